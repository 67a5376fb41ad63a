"""Train the linear pipeline (imputation, scaling, one-hot + regressor) on the train split; log with dvclive."""

from __future__ import annotations

import argparse
from typing import Any

from medcost.core.catalog import Catalog
from medcost.core.entry import run_stage
from medcost.core.model_file import read_model_rows, save_model
from medcost.train import (
    build_linear_pipeline,
    describe,
    fit,
    kept_inputs,
    linear_settings,
    log_with_dvclive,
    training_metrics,
)


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Train the linear pipeline on the train split, on the inputs select kept (with tuned settings if on)."""
    catalog = Catalog.from_params(params)
    spec = kept_inputs(params, catalog)
    cfg, tuned = linear_settings(params, catalog)
    pipeline = build_linear_pipeline(cfg, spec)
    train = read_model_rows(catalog.train, spec, made_by="split")
    model = fit(pipeline, train, spec, n_threads=1)
    save_model(model, catalog.model("linear"))
    metrics = training_metrics(model, train, spec)
    log_with_dvclive(catalog.dvclive("train_linear"), {**cfg.model_dump(), "tuned": tuned, **describe(model)}, metrics)


if __name__ == "__main__":
    run_stage(main)
