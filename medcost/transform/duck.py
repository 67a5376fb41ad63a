"""The feature table computed by DuckDB over the Parquet extract, out of core: only the per-client rows come back.

DuckDB scans the Parquet files itself (the claims never enter pandas), aggregates within
``transform.duckdb.memory_limit`` and spills beyond it to ``transform.duckdb.temp_directory``.
The query is :func:`medcost.transform.sql.feature_sql`, the engine-neutral definition Spark
runs as well (``medcost.transform.spark``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from medcost.core.duck import connect
from medcost.core.errors import MedcostError
from medcost.core.params import TransformParams
from medcost.transform.features import CLAIM_COLUMNS, client_columns, snapshot_cutoffs, warn_short_history
from medcost.transform.result import (
    check_parquet,
    checked_feature_table,
    to_frame,
    warn_unknown_categories,
    write_batches,
)
from medcost.transform.sql import Cutoff, feature_sql, first_paid_sql, unknown_categories_sql

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa


def _parquet_view(con: duckdb.DuckDBPyConnection, name: str, path: Path, columns: Sequence[str]) -> None:
    check_parquet(path, name, columns)
    quoted = str(path).replace("'", "''")
    con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{quoted}')")


BATCH_ROWS = 131_072
"""Feature rows per batch from DuckDB to the Parquet writer: the stage holds one batch, not the table."""


@contextmanager
def _result(
    clients: Path, claims: Path, cutoffs: Sequence[Cutoff], cfg: TransformParams
) -> Iterator[tuple[pa.RecordBatchReader, dt.date | None]]:
    """The feature rows of ``cutoffs``, sorted by year and client, as a stream of Arrow batches; the first paid date."""
    import duckdb

    con = connect(cfg.duckdb)
    try:
        _parquet_view(con, "clients", Path(clients), client_columns(cfg))
        _parquet_view(con, "claims", Path(claims), CLAIM_COLUMNS)
        first = con.execute(first_paid_sql()).fetchone()
        first_paid = first[0] if first is not None else None
        warn_short_history(first_paid, cutoffs, cfg)
        warn_unknown_categories(con.execute(unknown_categories_sql(cfg, cutoffs)).fetchall(), cutoffs)
        yield con.sql(feature_sql(cfg, cutoffs)).to_arrow_reader(BATCH_ROWS), first_paid
    except duckdb.OutOfMemoryException:
        raise MedcostError(
            f"transform: DuckDB ran out of memory at transform.duckdb.memory_limit = {cfg.duckdb.memory_limit} "
            f"computing {len(cutoffs)} cutoffs: raise it (or lower transform.training_years / backtest.years)"
        ) from None
    finally:
        con.close()


def duckdb_features(clients: Path, claims: Path, cutoffs: Sequence[Cutoff], cfg: TransformParams) -> pd.DataFrame:
    """The feature rows of ``cutoffs`` from the Parquet files ``clients`` and ``claims``, sorted by year and client."""
    with _result(clients, claims, cutoffs, cfg) as (batches, _):
        return to_frame(batches.read_all())


def duckdb_feature_table(
    clients: Path, claims: Path, as_of: dt.date, cfg: TransformParams, backtest_years: int = 0
) -> pd.DataFrame:
    """Training rows and scoring snapshot, as :func:`medcost.transform.features.build_feature_table`, by DuckDB."""
    return checked_feature_table(duckdb_features, clients, claims, as_of, cfg, backtest_years)


def write_duckdb_feature_table(
    clients: Path, claims: Path, as_of: dt.date, cfg: TransformParams, out: Path, backtest_years: int = 0
) -> tuple[dict[int, int], dt.date | None]:
    """The feature table of :func:`duckdb_feature_table` written to ``out`` batch by batch, atomically;
    the rows per year and the first paid date of the claims."""
    cutoffs = snapshot_cutoffs(as_of, cfg.training_years, backtest_years)
    with _result(clients, claims, cutoffs, cfg) as (batches, first_paid):
        return write_batches(batches, cutoffs, out), first_paid
