"""Train the tree-ensemble pipeline (preprocessing + regressor) on the train split; log with dvclive."""

from __future__ import annotations

import argparse
from typing import Any

from medcost.core.catalog import Catalog
from medcost.core.entry import run_stage
from medcost.core.model_file import read_model_rows, save_model
from medcost.train import (
    build_tree_pipeline,
    describe,
    fit,
    kept_inputs,
    log_with_dvclive,
    training_metrics,
    tree_settings,
)


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Train the tree-ensemble pipeline on the train split, on the inputs select kept (with tuned settings if on)."""
    catalog = Catalog.from_params(params)
    spec = kept_inputs(params, catalog)
    cfg, tuned = tree_settings(params, catalog, spec)
    pipeline = build_tree_pipeline(cfg, spec)
    train = read_model_rows(catalog.train, spec, made_by="split")
    model = fit(pipeline, train, spec, n_threads=cfg.n_jobs)
    save_model(model, catalog.model("tree"))
    metrics = training_metrics(model, train, spec)
    log_with_dvclive(catalog.dvclive("train_tree"), {**cfg.model_dump(), "tuned": tuned, **describe(model)}, metrics)


if __name__ == "__main__":
    run_stage(main)
