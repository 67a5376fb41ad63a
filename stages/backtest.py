"""Backtest each model family: trained on the cutoffs before each of the last backtest.years years, scored on it."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from medcost.backtest import Fit, Predictor, Rows, cutoff_rows, r2_table, run_backtest, truth_rows, write_plot
from medcost.core.catalog import MODEL_NAMES, Catalog
from medcost.core.contracts import write_contract
from medcost.core.entry import run_stage
from medcost.core.features import FeatureSpec
from medcost.core.model_file import predict
from medcost.core.params import (
    BacktestParams,
    EvaluateParams,
    ExtractParams,
    LoadParams,
    TransformParams,
    section,
)
from medcost.load import open_published, scan_published
from medcost.train import build_linear_pipeline, build_tree_pipeline, fit, kept_inputs, linear_settings, tree_settings

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

log = logging.getLogger("medcost.backtest")


def _family(pipeline: Pipeline, spec: FeatureSpec, n_threads: int) -> Fit:
    """The train stage's fit of ``pipeline`` (a fitted copy; the same threads), as the backtest calls it."""

    def fit_one(train: pd.DataFrame) -> Predictor:
        model = fit(pipeline, train, spec, n_threads=n_threads)
        return lambda rows: predict(model, rows)

    return fit_one


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Backtest both model families on the published feature table's earlier cutoffs."""
    catalog = Catalog.from_params(params)
    extract = section(params, "extract", ExtractParams)
    transform = section(params, "transform", TransformParams)
    cfg = section(params, "backtest", BacktestParams)
    evaluate = section(params, "evaluate", EvaluateParams)
    # the models the train stages fit: on the inputs select kept, with the tuned settings when tune.enabled
    spec = kept_inputs(params, catalog)
    tree, _ = tree_settings(params, catalog, spec)
    linear, _ = linear_settings(params, catalog)
    families = {
        "tree": _family(build_tree_pipeline(tree, spec), spec, tree.n_jobs),
        "linear": _family(build_linear_pipeline(linear, spec), spec, 1),
    }
    years = extract.training_years(cfg.years) if cfg.years else []
    rows: Rows = pd.DataFrame(columns=[*spec.key, "year", *spec.inputs, spec.target])
    truth = None
    if years:
        load = section(params, "load", LoadParams)
        _, published = scan_published(catalog.published, open_published(load, catalog.lakehouse))

        def published_rows(cutoffs: Sequence[int]) -> pd.DataFrame:  # one year's cutoffs at a time
            return cutoff_rows(published, cutoffs, spec)

        rows = published_rows
        truth = truth_rows(catalog.truth, years, spec.key) if catalog.truth.exists() else None
    else:
        log.info("backtest.years = 0: no backtest (the metrics file says so)")
    backtest = run_backtest(
        rows, families, years, transform.training_years, spec, evaluate.cap, evaluate.deciles, truth=truth
    )
    write_plot(catalog.backtest_plots, {"r2": r2_table(backtest, [*MODEL_NAMES, "baseline"])})
    write_contract(catalog.backtest, backtest)


if __name__ == "__main__":
    run_stage(main)
