"""The feature table from the raw extract's Parquet files, by the engine ``transform.engine`` names."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from medcost.core.io import read_parquet, write_parquet
from medcost.core.params import TransformParams
from medcost.transform.duck import duckdb_feature_table, write_duckdb_feature_table
from medcost.transform.features import build_feature_table
from medcost.transform.spark import spark_feature_table, write_spark_feature_table


def feature_table(clients: Path, claims: Path, as_of: dt.date, cfg: TransformParams) -> pd.DataFrame:
    """Training rows and scoring snapshot: DuckDB over the files (default), Spark, or pandas in memory (the reference)."""
    if cfg.engine == "pandas":
        frames = (read_parquet(clients, made_by="extract"), read_parquet(claims, made_by="extract"))
        return build_feature_table(*frames, as_of, cfg)
    if cfg.engine == "spark":
        return spark_feature_table(clients, claims, as_of, cfg)
    return duckdb_feature_table(clients, claims, as_of, cfg)


def write_feature_table(clients: Path, claims: Path, as_of: dt.date, cfg: TransformParams, out: Path) -> None:
    """:func:`feature_table` written to ``out`` atomically; DuckDB streams it there, never holding the whole table."""
    if cfg.engine == "pandas":
        write_parquet(feature_table(clients, claims, as_of, cfg), out)
    elif cfg.engine == "spark":
        write_spark_feature_table(clients, claims, as_of, cfg, out)
    else:
        write_duckdb_feature_table(clients, claims, as_of, cfg, out)
