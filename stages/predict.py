"""Predict next year's cost for every client of the scoring snapshot with the champion model."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd

from medcost.cli import run
from medcost.config import PathsParams, PromoteParams, TransformParams, section
from medcost.evaluation import round_floats
from medcost.io import atomic_path, write_json
from medcost.predict import load_champion, predict_frame, summary, upsert_delta
from medcost.registry import tracking_uri


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Predict every client of the scoring snapshot with models:/<name>@champion."""
    paths = section(params, "paths", PathsParams)
    key = section(params, "transform", TransformParams).key
    name = section(params, "promote", PromoteParams).model_name
    model, version = load_champion(name, tracking_uri())
    predictions = predict_frame(model, pd.read_parquet(paths.scoring), key, name, version)
    with atomic_path(paths.predictions) as folder:
        folder.mkdir()
        predictions.to_parquet(folder / "predictions.parquet", index=False)
    upsert_delta(predictions, paths.predictions_table, [*key, "model_version"])
    write_json(Path(paths.metrics) / "predict.json", round_floats(summary(predictions)))


if __name__ == "__main__":
    run(main)
