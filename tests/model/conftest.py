"""Model-behaviour fixtures: the default pipelines, trained on the small demo source's features."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from medcost.core.features import FeatureSpec
from medcost.core.params import ExtractParams, SplitParams, TrainLinearParams, TrainTreeParams, TransformParams, section
from medcost.extract import connect, extract_tables
from medcost.split import split_train_test, training_and_scoring
from medcost.train import build_linear_pipeline, build_tree_pipeline, fit
from medcost.transform import build_feature_table

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def small_features(
    small_source: dict[str, Any], params: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """Train / test / scoring rows of the 1,500-client demo source, made by the project's own code, and their spec."""
    extract = section(params, "extract", ExtractParams)
    transform = section(params, "transform", TransformParams)
    split = section(params, "split", SplitParams)
    raw = tmp_path_factory.mktemp("raw")
    queries = {name: ((ROOT / spec.query).read_text(), spec.columns) for name, spec in extract.tables.items()}
    engine = connect(small_source["url"])
    try:
        extract_tables(
            engine, queries, {"as_of": extract.as_of, "history_start": extract.history_start}, extract.chunk_rows, raw
        )
    finally:
        engine.dispose()
    table = build_feature_table(
        pd.read_parquet(raw / "clients.parquet"), pd.read_parquet(raw / "claims.parquet"), extract.as_of, transform
    )
    years = extract.training_years(transform.training_years)
    rows, scoring = training_and_scoring(table, transform.target, years, extract.scoring_year)
    train, test = split_train_test(
        rows,
        transform.target,
        transform.key,
        split.test_size,
        split.seed,
        split.bins,
        split.tail,
        min_test_rows=split.min_test_rows,  # 1,500 clients: the small-data rule applies (with its warning)
    )
    return {"train": train, "test": test, "scoring": scoring, "spec": FeatureSpec.from_params(transform)}


@pytest.fixture(scope="session")
def default_models(small_features: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The default tree and linear pipelines (params.yaml as shipped), fitted on the small train split."""
    tree_cfg = section(params, "train_tree", TrainTreeParams)
    linear_cfg = section(params, "train_linear", TrainLinearParams)
    spec: FeatureSpec = small_features["spec"]
    return {
        "tree": fit(build_tree_pipeline(tree_cfg, spec), small_features["train"], spec, n_threads=tree_cfg.n_jobs),
        "linear": fit(build_linear_pipeline(linear_cfg, spec), small_features["train"], spec, n_threads=1),
    }
