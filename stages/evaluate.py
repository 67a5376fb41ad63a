"""Score both models and a mean-predictor baseline on the test split: metrics, plot data, importances."""

from __future__ import annotations

import argparse
import logging
from typing import Any

import pyarrow.parquet as pq

from medcost.core.catalog import MODEL_NAMES, Catalog
from medcost.core.contracts import write_contract
from medcost.core.entry import run_stage
from medcost.core.features import FeatureSpec
from medcost.core.io import read_parquet
from medcost.core.model_file import load_model, read_model_rows
from medcost.core.params import EvaluateParams, TransformParams, section
from medcost.evaluate import evaluate_models, importance_tables, log_scores, write_plots

log = logging.getLogger("medcost.evaluate")


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Score both models and a mean-predictor baseline on the test split."""
    catalog = Catalog.from_params(params)
    spec = FeatureSpec.from_params(section(params, "transform", TransformParams))
    cfg = section(params, "evaluate", EvaluateParams)
    models = {name: load_model(catalog.model(name)) for name in MODEL_NAMES}
    train = read_model_rows(catalog.train, spec, made_by="split")
    test = read_model_rows(catalog.test, spec, made_by="split", with_key=True)
    truth = None
    if catalog.truth.exists():
        # the true expected cost of the test rows' years only: the file holds every client-year (20 M at 5 M clients)
        needed = [*spec.key, "expected_cost"]
        complete = set(needed) <= set(pq.read_schema(catalog.truth).names)  # else oracle_frame says what is missing
        years = sorted(int(y) for y in test["year"].unique()) if complete and "year" in spec.key else None
        truth = read_parquet(
            catalog.truth, columns=needed if complete else None, filters=[("year", "in", years)] if years else None
        )
    else:
        log.info("no %s (the source is not the demo generator): oracle metrics skipped", catalog.truth)
    evaluation, tables = evaluate_models(
        models,
        train,
        test,
        spec,
        top_share=cfg.top_share,
        deciles=cfg.deciles,
        truth=truth,
        bootstrap_samples=cfg.bootstrap_samples,
        interval=cfg.interval,
        seed=cfg.seed,
    )
    tables.update(
        importance_tables(models, test, spec, rows=cfg.importance_rows, repeats=cfg.importance_repeats, seed=cfg.seed)
    )
    write_plots(catalog.evaluate_plots, tables, list(MODEL_NAMES))
    write_contract(catalog.evaluation, evaluation)
    log_scores(evaluation)


if __name__ == "__main__":
    run_stage(main)
