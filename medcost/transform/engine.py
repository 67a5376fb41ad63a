"""The feature table from the raw extract's Parquet files, by the engine ``transform.engine`` names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from medcost.core.contracts import TransformSummary
from medcost.core.io import read_parquet, write_parquet
from medcost.core.params import TransformParams
from medcost.transform.duck import duckdb_feature_table, write_duckdb_feature_table
from medcost.transform.features import (
    backtest_cutoffs,
    build_feature_table,
    first_paid,
    history_years,
    short_history,
    snapshot_cutoffs,
)
from medcost.transform.spark import spark_feature_table, write_spark_feature_table


def feature_table(
    clients: Path, claims: Path, as_of: dt.date, cfg: TransformParams, backtest_years: int = 0
) -> pd.DataFrame:
    """Training rows and scoring snapshot: DuckDB over the files (default), Spark, or pandas in memory (the reference);
    with ``backtest_years`` earlier cutoffs (``backtest.years``) before the training ones."""
    if cfg.engine == "pandas":
        frames = (read_parquet(clients, made_by="extract"), read_parquet(claims, made_by="extract"))
        return build_feature_table(*frames, as_of, cfg, backtest_years)
    if cfg.engine == "spark":
        return spark_feature_table(clients, claims, as_of, cfg, backtest_years)
    return duckdb_feature_table(clients, claims, as_of, cfg, backtest_years)


def transform_summary(
    rows: Mapping[int, int], first: dt.date | None, as_of: dt.date, cfg: TransformParams, backtest_years: int = 0
) -> TransformSummary:
    """metrics/transform.json: the rows of each cutoff and the claims history it had (from the first paid claim)."""
    cutoffs = snapshot_cutoffs(as_of, cfg.training_years, backtest_years)
    backtest = backtest_cutoffs(cutoffs, cfg.training_years)
    history = history_years(first, cutoffs, cfg.lookback_years)
    return TransformSummary(
        training_years=[c.on.year for c in cutoffs[:-1] if c not in backtest],
        backtest_cutoffs=[c.on.year for c in backtest],
        scoring_year=cutoffs[-1].on.year,
        rows={str(year): int(rows.get(year, 0)) for year in sorted(history)},
        first_paid=first.isoformat() if first is not None else None,
        history_years={str(year): years for year, years in sorted(history.items())},
        short_history=short_history(history, cutoffs, cfg.lookback_years, skip=backtest),
    )


def write_feature_table(
    clients: Path, claims: Path, as_of: dt.date, cfg: TransformParams, out: Path, backtest_years: int = 0
) -> TransformSummary:
    """:func:`feature_table` written to ``out`` atomically (DuckDB streams it there, never holding the whole
    table); returns its summary."""
    if cfg.engine == "pandas":
        frames = (read_parquet(clients, made_by="extract"), read_parquet(claims, made_by="extract"))
        table = build_feature_table(*frames, as_of, cfg, backtest_years)
        write_parquet(table, out)
        rows, first = table["year"].value_counts().to_dict(), first_paid(frames[1])
    elif cfg.engine == "spark":
        rows, first = write_spark_feature_table(clients, claims, as_of, cfg, out, backtest_years)
    else:
        rows, first = write_duckdb_feature_table(clients, claims, as_of, cfg, out, backtest_years)
    return transform_summary(rows, first, as_of, cfg, backtest_years)
