"""Train the linear pipeline (imputation, scaling, one-hot + regressor) on the train split; log with dvclive."""

from __future__ import annotations

import argparse
from typing import Any

from medcost.core.catalog import Catalog
from medcost.core.contracts import FeatureSelection, TunedSettings, read_contract
from medcost.core.entry import run_stage
from medcost.core.features import FeatureSpec
from medcost.core.model_file import read_model_rows, save_model
from medcost.core.params import TrainLinearParams, TransformParams, TuneParams, section
from medcost.train import build_linear_pipeline, describe, fit, log_with_dvclive, training_metrics, tuned_params


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Train the linear pipeline on the train split, on the inputs select kept (with tuned settings if on)."""
    catalog = Catalog.from_params(params)
    selection = read_contract(catalog.selection, FeatureSelection, made_by="select")
    spec = selection.restrict(FeatureSpec.from_params(section(params, "transform", TransformParams)))  # kept inputs
    enabled = section(params, "tune", TuneParams).enabled
    tuned = read_contract(catalog.tuned, TunedSettings, made_by="tune")
    cfg = tuned_params(
        section(params, "train_linear", TrainLinearParams), "train_linear", "linear", tuned, enabled, catalog.tuned
    )
    pipeline = build_linear_pipeline(cfg, spec)
    train = read_model_rows(catalog.train, spec, made_by="split")
    model = fit(pipeline, train, spec, n_threads=1)
    save_model(model, catalog.model("linear"))
    metrics = training_metrics(model, train, spec)
    log_with_dvclive(
        catalog.dvclive("train_linear"), {**cfg.model_dump(), "tuned": enabled, **describe(model)}, metrics
    )


if __name__ == "__main__":
    run_stage(main)
