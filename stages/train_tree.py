"""Train the tree-ensemble pipeline (preprocessing + regressor) on the train split; log with dvclive."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd

from medcost.cli import run
from medcost.config import PathsParams, TrainTreeParams, TransformParams, section
from medcost.features import feature_columns
from medcost.models import build_tree_pipeline, describe, fit, log_with_dvclive, save_model, training_metrics


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Train the tree-ensemble pipeline on the train split."""
    paths = section(params, "paths", PathsParams)
    columns = feature_columns(section(params, "transform", TransformParams))
    cfg = section(params, "train_tree", TrainTreeParams)
    pipeline = build_tree_pipeline(cfg, columns)
    train = pd.read_parquet(paths.train)
    model = fit(pipeline, train, columns, n_threads=cfg.n_jobs)
    save_model(model, Path(paths.models) / "tree.pkl")
    metrics = training_metrics(model, train, columns)
    log_with_dvclive(Path(paths.dvclive) / "train_tree", {**cfg.model_dump(), **describe(model)}, metrics)


if __name__ == "__main__":
    run(main)
