"""Train the linear pipeline (imputation, scaling, one-hot + regressor) on the train split; log with dvclive."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd

from medcost.cli import run
from medcost.config import PathsParams, TrainLinearParams, TransformParams, section
from medcost.features import feature_columns, history_columns
from medcost.models import build_linear_pipeline, describe, fit, log_with_dvclive, save_model, training_metrics


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Train the linear pipeline on the train split."""
    paths = section(params, "paths", PathsParams)
    transform = section(params, "transform", TransformParams)
    cfg = section(params, "train_linear", TrainLinearParams)
    columns = feature_columns(transform)
    pipeline = build_linear_pipeline(cfg, columns, history_columns(transform))
    train = pd.read_parquet(paths.train)
    model = fit(pipeline, train, columns, n_threads=1)
    save_model(model, Path(paths.models) / "linear.pkl")
    metrics = training_metrics(model, train, columns)
    log_with_dvclive(Path(paths.dvclive) / "train_linear", {**cfg.model_dump(), **describe(model)}, metrics)


if __name__ == "__main__":
    run(main)
