"""The feature table computed by DuckDB over the Parquet extract, out of core: only the per-client rows come back.

DuckDB scans the Parquet files itself (the claims never enter pandas), aggregates within
``transform.duckdb.memory_limit`` and spills beyond it to ``transform.duckdb.temp_directory``.
The query is :func:`medcost.transform.sql.feature_sql`, the engine-neutral definition Spark
is to run as well.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from medcost.core.duck import connect
from medcost.core.errors import MedcostError
from medcost.core.io import atomic_path
from medcost.core.params import TransformParams
from medcost.transform.features import CLAIM_COLUMNS, check_rows, client_columns, require, snapshot_cutoffs
from medcost.transform.sql import Cutoff, feature_sql, unknown_categories_sql

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

log = logging.getLogger(__name__)


def _parquet_view(con: duckdb.DuckDBPyConnection, name: str, path: Path, columns: Sequence[str]) -> None:
    import pyarrow.parquet as pq

    try:
        present = pq.read_schema(path).names
    except FileNotFoundError:
        raise MedcostError(f"{path}: file not found (run the extract stage first)") from None
    require(present, name, columns)
    quoted = str(path).replace("'", "''")
    con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{quoted}')")


def _warn_unknown_categories(con: duckdb.DuckDBPyConnection, cfg: TransformParams, cutoffs: Sequence[Cutoff]) -> None:
    """The pandas reference's warning: last-year claims whose category is not listed (once per cutoff)."""
    rows = con.execute(unknown_categories_sql(cfg, cutoffs)).fetchall()
    for cutoff in cutoffs:
        found = [(category, n) for year, category, n in rows if year == cutoff.on.year]
        if found:
            log.warning(
                "claims: %d claim(s) in categories not listed in transform.claim_categories: %s",
                sum(n for _, n in found),
                ", ".join(sorted(c for c, _ in found if c is not None)[:5]),
            )


BATCH_ROWS = 131_072
"""Feature rows per batch from DuckDB to the Parquet writer: the stage holds one batch, not the table."""


@contextmanager
def _result(
    clients: Path, claims: Path, cutoffs: Sequence[Cutoff], cfg: TransformParams
) -> Iterator[pa.RecordBatchReader]:
    """The feature rows of ``cutoffs``, sorted by year and client, as a stream of Arrow batches."""
    con = connect(cfg.duckdb)
    try:
        _parquet_view(con, "clients", Path(clients), client_columns(cfg))
        _parquet_view(con, "claims", Path(claims), CLAIM_COLUMNS)
        _warn_unknown_categories(con, cfg, cutoffs)
        yield con.sql(feature_sql(cfg, cutoffs)).to_arrow_reader(BATCH_ROWS)
    finally:
        con.close()


def duckdb_features(clients: Path, claims: Path, cutoffs: Sequence[Cutoff], cfg: TransformParams) -> pd.DataFrame:
    """The feature rows of ``cutoffs`` from the Parquet files ``clients`` and ``claims``, sorted by year and client."""
    with _result(clients, claims, cutoffs, cfg) as batches:
        table = batches.read_all()
    return table.to_pandas(self_destruct=True, split_blocks=True)


def duckdb_feature_table(clients: Path, claims: Path, as_of: dt.date, cfg: TransformParams) -> pd.DataFrame:
    """Training rows and scoring snapshot, as :func:`medcost.transform.features.build_feature_table`, by DuckDB."""
    table = duckdb_features(clients, claims, snapshot_cutoffs(as_of), cfg)
    check_rows(table["year"].value_counts().to_dict(), table.shape[1], as_of)
    return table


def write_duckdb_feature_table(clients: Path, claims: Path, as_of: dt.date, cfg: TransformParams, out: Path) -> None:
    """The feature table of :func:`duckdb_feature_table` written to ``out`` batch by batch, atomically.

    The file reads back (``pandas.read_parquet``) as the pandas engine's does: the same
    columns, dtypes and rows; only the per-client batches pass through memory.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    rows: Counter[int] = Counter()
    with _result(clients, claims, snapshot_cutoffs(as_of), cfg) as batches, atomic_path(out) as tmp:
        # text as plain string, as pandas writes it (DuckDB may hand out string views)
        schema = pa.schema(
            [pa.field(f.name, pa.string() if pa.types.is_string_view(f.type) else f.type) for f in batches.schema]
        )
        with pq.ParquetWriter(tmp, schema) as writer:
            for batch in batches:
                writer.write_batch(batch.cast(schema))
                counts = pc.value_counts(batch.column("year")).to_pylist()
                rows.update({item["values"]: item["counts"] for item in counts})
        check_rows(rows, len(schema), as_of)
