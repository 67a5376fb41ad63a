"""Extract: run the SQL files with bound parameters and stream the rows to Parquet, one file per table.

Every chunk is converted to the table's declared column types (:mod:`medcost.extract.convert`)
before it is written, so nothing half-typed reaches the features.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from medcost.core.contracts import TableExtract
from medcost.core.errors import MedcostError, summarise
from medcost.core.progress import counting
from medcost.extract.convert import arrow_schema, convert_column

log = logging.getLogger(__name__)


def read_query(path: str | Path) -> str:
    """The text of a SQL file named in params, or a one-line error naming it."""
    try:
        return Path(path).read_text()
    except OSError as exc:
        raise MedcostError(f"extract.tables: query file {path}: {exc.strerror}") from None


def stream_query(
    engine: Engine, table: str, sql: str, bind: Mapping[str, Any], chunk_rows: int
) -> Iterator[pd.DataFrame]:
    """Yield the query's rows as data frames of at most ``chunk_rows`` rows (server-side cursor where supported)."""
    try:
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=chunk_rows).execute(text(sql), dict(bind))
            columns = list(result.keys())
            for rows in result.partitions(chunk_rows):
                yield pd.DataFrame.from_records(rows, columns=columns)
            if not columns:
                return
    except (DBAPIError, SQLAlchemyError) as exc:
        raise MedcostError(f"{table}: query failed: {summarise(exc)}") from None


def extract_table(
    engine: Engine,
    table: str,
    sql: str,
    columns: Mapping[str, str],
    bind: Mapping[str, Any],
    chunk_rows: int,
    out_path: Path,
    total: int | None = None,
) -> TableExtract:
    """Stream one query into ``out_path`` (Parquet); return its row count (``total``: the rows expected, for the bar)."""
    started = time.perf_counter()
    schema = arrow_schema(columns)
    rows = 0
    writer: pq.ParquetWriter | None = None
    try:
        with counting(f"extract {table}", total) as advance:
            for chunk in stream_query(engine, table, sql, bind, chunk_rows):
                missing = [c for c in columns if c not in chunk.columns]
                if missing:
                    raise MedcostError(
                        f"{table}: column(s) {', '.join(missing)} missing from the query result "
                        f"(it returned: {', '.join(chunk.columns)})"
                    )
                arrays = [convert_column(table, name, kind, chunk[name]) for name, kind in columns.items()]
                batch = pa.Table.from_arrays(arrays, schema=schema)
                if writer is None:
                    writer = pq.ParquetWriter(out_path, schema, compression="zstd")
                writer.write_table(batch)
                rows += len(chunk)
                advance(len(chunk))
    finally:
        if writer is not None:
            writer.close()
    if rows == 0:
        shown = ", ".join(f"{k}={v}" for k, v in bind.items())
        raise MedcostError(f"{table}: the query returned no rows ({shown})")
    seconds = time.perf_counter() - started
    log.info("%s: %d rows in %.1fs", table, rows, seconds)
    return TableExtract(rows=rows, columns=len(columns))  # timings go to the run log, never into metrics


def extract_tables(
    engine: Engine,
    tables: Mapping[str, tuple[str, Mapping[str, str]]],
    bind: Mapping[str, Any],
    chunk_rows: int,
    out_dir: Path,
    totals: Mapping[str, int] | None = None,
) -> dict[str, TableExtract]:
    """Extract every table (name -> (sql, columns)) into ``out_dir/<name>.parquet``; ``totals``: rows expected per table."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return {
        name: extract_table(
            engine, name, sql, columns, bind, chunk_rows, out_dir / f"{name}.parquet", (totals or {}).get(name)
        )
        for name, (sql, columns) in tables.items()
    }
