"""Drift of the scoring snapshot against the training features: metrics/drift.json and reports/drift.html.

Drift beyond the thresholds is a result: the stage succeeds and drift.json says
``passed: false`` (promote obeys it). Missing or broken inputs are errors (exit 1).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd

from medcost.cli import run
from medcost.config import DriftParams, PathsParams, TransformParams, section
from medcost.drift import drift_model, drift_report, write_report
from medcost.errors import MedcostError
from medcost.features import feature_columns
from medcost.gates import VERDICT_FILE, read_verdict
from medcost.io import write_json
from medcost.models import load_model, predict


def read_table(path: str) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except FileNotFoundError:
        raise MedcostError(f"{path}: file not found (run the split stage first)") from None


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Compare the scoring snapshot with the training features (own statistics and deepchecks)."""
    paths = section(params, "paths", PathsParams)
    columns = feature_columns(section(params, "transform", TransformParams))
    cfg = section(params, "drift", DriftParams)
    train, test, scoring = read_table(paths.train), read_table(paths.test), read_table(paths.scoring)
    name = drift_model(read_verdict(Path(paths.metrics) / VERDICT_FILE), cfg.fallback_model)
    model = load_model(Path(paths.models) / f"{name}.pkl")
    predictions = (predict(model, train), predict(model, scoring))
    summary, results = drift_report(train, test, scoring, columns, predictions, name, cfg)
    write_json(Path(paths.metrics) / "drift.json", summary)
    write_report(results, summary, Path(paths.reports) / "drift.html")


if __name__ == "__main__":
    run(main)
