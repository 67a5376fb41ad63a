"""Tune each model family's settings by grouped k-fold cross-validation on the train part (when tune.enabled)."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from medcost.core.catalog import Catalog
from medcost.core.contracts import write_contract
from medcost.core.entry import run_stage
from medcost.core.params import TrainLinearParams, TrainTreeParams, TuneParams, section
from medcost.train import build_linear_pipeline, build_tree_pipeline, fit, kept_inputs, without_dropped_inputs
from medcost.tune import disabled, linear_family, read_cv_rows, tree_family, tune, tune_metrics

log = logging.getLogger(__name__)


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Search the tree and linear settings (or, with tune.enabled false, write that tuning is off)."""
    catalog = Catalog.from_params(params)
    cfg = section(params, "tune", TuneParams)
    if not cfg.enabled:
        log.info("tune.enabled is false: the train stages use their params as they are")
        tuned = disabled()
    else:
        spec = kept_inputs(params, catalog)
        families = [
            tree_family(
                without_dropped_inputs(section(params, "train_tree", TrainTreeParams), spec),
                cfg.tree,
                build_tree_pipeline,
                fit,
            ),
            linear_family(section(params, "train_linear", TrainLinearParams), cfg.linear, build_linear_pipeline, fit),
        ]
        frame, groups = read_cv_rows(catalog.train, spec)
        tuned = tune(families, frame, groups, spec, cfg)
    write_contract(catalog.tuned, tuned)
    write_contract(catalog.tune_metrics, tune_metrics(tuned))


if __name__ == "__main__":
    run_stage(main)
