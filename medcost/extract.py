"""Extract: run the SQL files with bound parameters and stream the rows to Parquet.

Every column is converted to its declared type (params: extract.tables.<table>.columns),
so SQLite (text dates, 0/1 booleans), PostgreSQL (date, numeric, boolean) and MySQL give
the same Parquet schema. A value that cannot be converted stops the extract with a line
naming the table, column and value: nothing half-typed reaches the features.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path
from typing import Any, Iterator, Mapping

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from medcost.db import describe_error
from medcost.errors import MedcostError

log = logging.getLogger(__name__)

ARROW_TYPES: dict[str, pa.DataType] = {
    "int": pa.int64(),
    "float": pa.float64(),
    "str": pa.string(),
    "bool": pa.bool_(),
    "date": pa.date32(),
}
_BOOLEANS = {True: True, False: False, 1: True, 0: False, "1": True, "0": False,
             "true": True, "false": False, "t": True, "f": False}


def arrow_schema(columns: Mapping[str, str]) -> pa.Schema:
    """The Parquet schema of a table from its declared column types."""
    return pa.schema([pa.field(name, ARROW_TYPES[kind]) for name, kind in columns.items()])


def _bad_value(table: str, column: str, kind: str, values: pd.Series, bad: pd.Series) -> MedcostError:
    examples = ", ".join(repr(v) for v in values[bad].head(3).tolist())
    return MedcostError(f"{table}.{column}: expected {kind}, found {int(bad.sum())} value(s) that are not: {examples}")


def convert_column(table: str, column: str, kind: str, values: pd.Series) -> pa.Array:
    """Convert one column of driver values to its declared Arrow type, or raise naming the bad values.

    Columns the driver already typed (numbers, ISO date text) take vectorised paths; mixed
    object columns (Decimal, text in a number column...) go value by value.
    """
    present = values.notna()
    numeric_dtype = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if kind in ("int", "float"):
        if numeric_dtype:
            numbers = values.astype("float64")
        else:
            numbers = pd.to_numeric(values.map(_as_number, na_action="ignore"), errors="coerce")
        bad = present & numbers.isna()
        if kind == "int":
            bad |= numbers.notna() & (numbers != numbers.round())
        if bad.any():
            raise _bad_value(table, column, kind, values, bad)
        if kind == "int":
            exact = values if pd.api.types.is_integer_dtype(values) else numbers.astype("Int64")
            return pa.array(exact, type=pa.int64(), from_pandas=True)
        return pa.array(numbers, type=pa.float64(), from_pandas=True)
    if kind == "bool":
        if numeric_dtype:
            mapped = values.where(values.isin([0, 1])).astype("float64").astype("boolean")
        else:
            mapped = values.map(lambda v: _BOOLEANS.get(v.strip().lower() if isinstance(v, str) else v),
                                na_action="ignore").astype("boolean")
        bad = present & mapped.isna()
        if bad.any():
            raise _bad_value(table, column, kind, values, bad)
        return pa.array(mapped, type=pa.bool_(), from_pandas=True)
    if kind == "date":
        try:
            stamps = pd.to_datetime(values, errors="coerce", format="ISO8601")
        except (TypeError, ValueError):
            stamps = pd.to_datetime(values.map(_as_date_text, na_action="ignore"), errors="coerce", format="ISO8601")
        bad = present & stamps.isna()
        if bad.any():
            raise _bad_value(table, column, kind, values, bad)
        return pa.array(stamps.dt.normalize() if stamps.dt.tz is None else stamps.dt.tz_localize(None).dt.normalize(),
                        from_pandas=True).cast(pa.date32())
    if kind == "str":
        try:
            return pa.array(values, type=pa.string(), from_pandas=True)
        except (pa.ArrowTypeError, pa.ArrowInvalid):  # numbers among the strings: keep their text
            return pa.array(values.map(str, na_action="ignore"), type=pa.string(), from_pandas=True)
    raise MedcostError(f"{table}.{column}: unknown column type {kind!r}")


def _as_number(value: Any) -> Any:
    # Decimal (PostgreSQL numeric) and numeric text; booleans are not numbers here.
    if isinstance(value, bool):
        return float("nan")
    return float(value) if not isinstance(value, str) else value.strip()


def _as_date_text(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value).strip()


def read_query(path: str | Path) -> str:
    """The text of a SQL file named in params, or a one-line error naming it."""
    try:
        return Path(path).read_text()
    except OSError as exc:
        raise MedcostError(f"extract.tables: query file {path}: {exc.strerror}") from None


def stream_query(engine: Engine, table: str, sql: str, bind: Mapping[str, Any], chunk_rows: int) -> Iterator[pd.DataFrame]:
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
        raise MedcostError(f"{table}: query failed: {describe_error(exc)}") from None


def extract_table(engine: Engine, table: str, sql: str, columns: Mapping[str, str],
                  bind: Mapping[str, Any], chunk_rows: int, out_path: Path) -> dict[str, Any]:
    """Stream one query into ``out_path`` (Parquet); return its row count and timing."""
    started = time.perf_counter()
    schema = arrow_schema(columns)
    rows = 0
    writer: pq.ParquetWriter | None = None
    try:
        for chunk in stream_query(engine, table, sql, bind, chunk_rows):
            missing = [c for c in columns if c not in chunk.columns]
            if missing:
                raise MedcostError(f"{table}: column(s) {', '.join(missing)} missing from the query result "
                                   f"(it returned: {', '.join(chunk.columns)})")
            arrays = [convert_column(table, name, kind, chunk[name]) for name, kind in columns.items()]
            batch = pa.Table.from_arrays(arrays, schema=schema)
            if writer is None:
                writer = pq.ParquetWriter(out_path, schema, compression="zstd")
            writer.write_table(batch)
            rows += len(chunk)
    finally:
        if writer is not None:
            writer.close()
    if rows == 0:
        shown = ", ".join(f"{k}={v}" for k, v in bind.items())
        raise MedcostError(f"{table}: the query returned no rows ({shown})")
    seconds = time.perf_counter() - started
    log.info("%s: %d rows in %.1fs", table, rows, seconds)
    return {"rows": rows, "columns": len(columns), "seconds": round(seconds, 3)}


def extract_tables(engine: Engine, tables: Mapping[str, tuple[str, Mapping[str, str]]],
                   bind: Mapping[str, Any], chunk_rows: int, out_dir: Path) -> dict[str, dict[str, Any]]:
    """Extract every table (name -> (sql, columns)) into ``out_dir/<name>.parquet``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return {
        name: extract_table(engine, name, sql, columns, bind, chunk_rows, out_dir / f"{name}.parquet")
        for name, (sql, columns) in tables.items()
    }
