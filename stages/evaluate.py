"""Score both models and a mean-predictor baseline on the test split: metrics, plot data, importances."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from medcost.cli import run
from medcost.config import EvaluateParams, PathsParams, TransformParams, section
from medcost.evaluation import evaluate_models, permutation_importances, scatter_figure
from medcost.features import feature_columns
from medcost.io import atomic_path, write_json
from medcost.models import input_columns, load_model

log = logging.getLogger("medcost.evaluate")

MODELS = ("tree", "linear")


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Score both models and a mean-predictor baseline on the test split."""
    paths = section(params, "paths", PathsParams)
    transform = section(params, "transform", TransformParams)
    cfg = section(params, "evaluate", EvaluateParams)
    columns = feature_columns(transform)
    models = {name: load_model(Path(paths.models) / f"{name}.pkl") for name in MODELS}
    train, test = pd.read_parquet(paths.train), pd.read_parquet(paths.test)
    truth = None
    if Path(paths.truth).exists():
        truth = pd.read_parquet(paths.truth)
    else:
        log.info("no %s (the source is not the demo generator): oracle metrics skipped", paths.truth)
    metrics, tables = evaluate_models(models, train, test, columns, top_share=cfg.top_share, deciles=cfg.deciles,
                                      truth=truth, key=transform.key)
    x_test = test[input_columns(columns)]
    for name, model in models.items():
        tables[f"importance_{name}"] = permutation_importances(
            model, x_test, test[columns["target"]], rows=cfg.importance_rows, repeats=cfg.importance_repeats,
            seed=cfg.seed).round({"importance": 6, "std": 6})

    with atomic_path(Path(paths.plots) / "evaluate") as folder:
        folder.mkdir()
        for name, table in tables.items():
            table.to_csv(folder / f"{name}.csv", index=False)
        scatter_figure(tables, list(MODELS)).savefig(folder / "predicted_vs_actual.png", dpi=90,
                                                     metadata={"Software": None})
    write_json(Path(paths.metrics) / "evaluate.json", metrics)
    for name in (*MODELS, "baseline", "oracle"):
        if name in metrics:
            test_metrics = metrics[name]["test"]
            log.info("%-8s test R² %.4f  RMSE %.0f  total ratio %.3f  top-decile share %.3f", name,
                     test_metrics["r2"], test_metrics["rmse"], test_metrics["total_ratio"], test_metrics["top_decile_share"])


if __name__ == "__main__":
    run(main)
