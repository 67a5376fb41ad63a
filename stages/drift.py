"""Drift of the scoring snapshot against the training features: metrics/drift.json and reports/drift.html.

Drift beyond the thresholds is a result: the stage succeeds and drift.json says
``passed: false`` (promote obeys it). Missing or broken inputs are errors (exit 1).
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
from medcost.drift import drift_model, drift_report, read_sample, write_report


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
    predictions = (predict(model, train), predict(model, scoring))
    rows = {"train": n_train, "test": n_test, "scoring": n_scoring}
    summary, results = drift_report(train, test, scoring, spec, predictions, name, cfg, rows=rows)
    write_contract(catalog.drift_summary, summary)
    write_report(results, summary, catalog.drift_report)


if __name__ == "__main__":
    run_stage(main)
