"""Drift of the scoring snapshot against the training features: metrics/drift.json and reports/drift.html.

The features judged are those the compared model reads (select may have dropped some). Drift beyond
the thresholds is a result: the stage succeeds and drift.json says ``passed: false`` (promote obeys
it). Missing or broken inputs are errors (exit 1).
"""

from __future__ import annotations

import argparse
from typing import Any

from medcost.core.catalog import Catalog
from medcost.core.contracts import QualityVerdict, read_contract, write_contract
from medcost.core.entry import run_stage
from medcost.core.features import FeatureSpec
from medcost.core.model_file import load_model, predict
from medcost.core.params import DriftParams, TransformParams, section
from medcost.core.sample import read_sample
from medcost.drift import drift_model, drift_report, write_report


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Compare the scoring snapshot with the training features (own statistics and deepchecks)."""
    catalog = Catalog.from_params(params)
    spec = FeatureSpec.from_params(section(params, "transform", TransformParams))
    cfg = section(params, "drift", DriftParams)
    (train, n_train), (test, n_test), (scoring, n_scoring) = (
        read_sample(path, cfg.max_rows, cfg.seed, made_by="split")
        for path in (catalog.train, catalog.test, catalog.scoring)
    )
    verdict = read_contract(catalog.quality_verdict, QualityVerdict, made_by="validate_metrics")
    name = drift_model(verdict, cfg.fallback_model)
    model = load_model(catalog.model(name))
    # judge the inputs this model reads: a feature select dropped for its drift does not hold predictions back
    spec = spec.restricted_to(list(getattr(model, "feature_names_in_", [])) or spec.inputs)
    cfg = cfg.model_copy(update={"calendar_features": [c for c in cfg.calendar_features if c in spec.numeric]})
    predictions = (predict(model, train), predict(model, scoring))
    rows = {"train": n_train, "test": n_test, "scoring": n_scoring}
    summary, results = drift_report(train, test, scoring, spec, predictions, name, cfg, rows=rows)
    write_contract(catalog.drift_summary, summary)
    write_report(results, summary, catalog.drift_report)


if __name__ == "__main__":
    run_stage(main)
