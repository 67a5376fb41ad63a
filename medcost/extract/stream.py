"""Extract: run the SQL files with bound parameters and stream the rows to Parquet, one file per table.

Rows are read by the source's Arrow reader (:mod:`medcost.extract.readers`) where there is
one, else through SQLAlchemy. Every chunk is converted to the table's declared column types (:mod:`medcost.extract.convert`)
before it is written, so nothing half-typed reaches the features.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from medcost.core.contracts import TableExtract
from medcost.core.errors import MedcostError, summarise
from medcost.core.progress import counting
from medcost.core.secrets import mask_url
from medcost.extract.convert import arrow_schema, convert_array, convert_column
from medcost.extract.readers import read_batches, reader_name, why_not_arrow

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


def _typed_sqlalchemy(
    engine: Engine, table: str, sql: str, columns: Mapping[str, str], bind: Mapping[str, Any], chunk_rows: int
) -> Iterator[pa.Table]:
    schema = arrow_schema(columns)
    for chunk in stream_query(engine, table, sql, bind, chunk_rows):
        _require_columns(table, columns, list(chunk.columns))
        yield pa.Table.from_arrays([convert_column(table, n, k, chunk[n]) for n, k in columns.items()], schema=schema)


def _typed_arrow(
    url: URL, table: str, sql: str, columns: Mapping[str, str], bind: Mapping[str, Any], chunk_rows: int
) -> Iterator[pa.Table]:
    schema = arrow_schema(columns)
    floats = [name for name, kind in columns.items() if kind == "float"]
    for batch in read_batches(url, sql, bind, chunk_rows, floats):
        _require_columns(table, columns, batch.schema.names)
        arrays = [convert_array(table, n, k, batch.column(n)) for n, k in columns.items()]
        yield pa.Table.from_arrays(arrays, schema=schema)


def _require_columns(table: str, columns: Mapping[str, str], returned: list[str]) -> None:
    missing = [c for c in columns if c not in returned]
    if missing:
        raise MedcostError(
            f"{table}: column(s) {', '.join(missing)} missing from the query result (it returned: {', '.join(returned)})"
        )


def _write(
    table: str, columns: Mapping[str, str], chunks: Iterator[pa.Table], out_path: Path, total: int | None
) -> int:
    """Write the typed chunks to ``out_path`` (one row group each); the rows written."""
    rows = 0
    writer: pq.ParquetWriter | None = None
    try:
        with counting(f"extract {table}", total) as advance:
            for chunk in chunks:
                if writer is None:
                    writer = pq.ParquetWriter(out_path, arrow_schema(columns), compression="zstd")
                writer.write_table(chunk)
                rows += chunk.num_rows
                advance(chunk.num_rows)
    finally:
        if writer is not None:
            writer.close()
    return rows


def choose_reader(url: URL, reader: str) -> bool:
    """True when ``url`` is read on the Arrow path (``extract.reader``: auto, arrow or sqlalchemy), else False."""
    if reader == "sqlalchemy":
        return False
    why_not = why_not_arrow(url)
    if why_not is None:
        return True
    if reader == "arrow":
        raise MedcostError(
            f"extract.reader = arrow: {mask_url(url)}: {why_not}; set extract.reader to auto or sqlalchemy"
        )
    log.info("reading %s through SQLAlchemy: %s", mask_url(url), why_not)
    return False


def extract_table(
    engine: Engine,
    table: str,
    sql: str,
    columns: Mapping[str, str],
    bind: Mapping[str, Any],
    chunk_rows: int,
    out_path: Path,
    total: int | None = None,
    reader: str = "sqlalchemy",
) -> TableExtract:
    """Stream one query into ``out_path`` (Parquet); return its row count (``total``: the rows expected, for the bar).

    ``reader``: ``arrow`` reads with the URL's Arrow reader (its failure stops the extract),
    ``auto`` too but reads the table again through SQLAlchemy when the Arrow reader fails (SQLite
    columns whose type changes after the first batch, say), ``sqlalchemy`` only through SQLAlchemy.
    """
    started = time.perf_counter()
    used = "sqlalchemy"
    rows = 0
    if reader in ("auto", "arrow"):
        used = reader_name(engine.url)
        try:
            rows = _write(
                table, columns, _typed_arrow(engine.url, table, sql, columns, bind, chunk_rows), out_path, total
            )
        except MedcostError:
            raise  # a bad value or column: the same message as the SQLAlchemy path's
        except Exception as exc:  # any failure of the driver: SQLAlchemy's path is the reference
            if reader == "arrow":
                raise MedcostError(f"{table}: query failed ({used}): {_summary(exc, engine.url)}") from None
            log.warning(
                "%s: %s failed (%s); reading %s through SQLAlchemy", table, used, _summary(exc, engine.url), table
            )
            used = "sqlalchemy"
    if used == "sqlalchemy":
        rows = _write(table, columns, _typed_sqlalchemy(engine, table, sql, columns, bind, chunk_rows), out_path, total)
    if rows == 0:
        shown = ", ".join(f"{k}={v}" for k, v in bind.items())
        raise MedcostError(f"{table}: the query returned no rows ({shown})")
    seconds = time.perf_counter() - started
    log.info("%s: %d rows in %.1fs (%s)", table, rows, seconds, used)
    return TableExtract(rows=rows, columns=len(columns))  # timings go to the run log, never into metrics


def _summary(exc: BaseException, url: URL) -> str:
    line = summarise(exc)
    return line.replace(url.password, "***") if url.password else line


def extract_tables(
    engine: Engine,
    tables: Mapping[str, tuple[str, Mapping[str, str]]],
    bind: Mapping[str, Any],
    chunk_rows: int,
    out_dir: Path,
    totals: Mapping[str, int] | None = None,
    reader: str = "auto",
) -> dict[str, TableExtract]:
    """Extract every table (name -> (sql, columns)) into ``out_dir/<name>.parquet``; ``totals``: rows expected per table.

    ``reader`` (``extract.reader``): ``auto`` reads with the source's Arrow reader where there is
    one, ``arrow`` requires one, ``sqlalchemy`` reads through SQLAlchemy only.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    how = reader if choose_reader(engine.url, reader) else "sqlalchemy"

    def one(name: str) -> TableExtract:
        sql, columns = tables[name]
        path = out_dir / f"{name}.parquet"
        return extract_table(engine, name, sql, columns, bind, chunk_rows, path, (totals or {}).get(name), how)

    # two tables at a time, on connections of their own: the database's scans and the drivers' decoding run in
    # C, so the small tables are read while the claims are (each file is the same as read alone)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="extract") as pool:
        done = {name: pool.submit(one, name) for name in tables}
        return {name: future.result() for name, future in done.items()}  # the first table's error first
