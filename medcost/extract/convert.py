"""Driver values to the declared column types, so every source database gives the same Parquet schema.

Every column is converted to its declared type (params: extract.tables.<table>.columns),
so SQLite (text dates, 0/1 booleans), PostgreSQL (date, numeric, boolean) and MySQL give
the same Parquet schema. A value that cannot be converted stops the extract with a line
naming the table, column and value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from medcost.core.errors import MedcostError

ARROW_TYPES: dict[str, pa.DataType] = {
    "int": pa.int64(),
    "float": pa.float64(),
    "str": pa.string(),
    "bool": pa.bool_(),
    "date": pa.date32(),
}
_BOOLEANS = {
    True: True,
    False: False,
    "1": True,
    "0": False,  # True/False also match 1/0 (equal hashes)
    "true": True,
    "false": False,
    "t": True,
    "f": False,
}


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
            mapped = values.map(
                lambda v: _BOOLEANS.get(v.strip().lower() if isinstance(v, str) else v), na_action="ignore"
            ).astype("boolean")
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
        return pa.array(
            stamps.dt.normalize() if stamps.dt.tz is None else stamps.dt.tz_localize(None).dt.normalize(),
            from_pandas=True,
        ).cast(pa.date32())
    if kind == "str":
        try:
            return pa.array(values, type=pa.string(), from_pandas=True)
        except (pa.ArrowTypeError, pa.ArrowInvalid):  # numbers among the strings: keep their text
            return pa.array(values.map(str, na_action="ignore"), type=pa.string(), from_pandas=True)
    raise MedcostError(f"{table}.{column}: unknown column type {kind!r}")


def convert_array(table: str, column: str, kind: str, values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Convert one column of an Arrow reader's batch to its declared type, equal to :func:`convert_column`'s result.

    Arrow types that convert exactly (integers, doubles, decimals, dates, booleans, text) take
    Arrow casts; anything else (mixed or unusual driver types, a value that does not convert)
    goes through :func:`convert_column`, so the values and error messages are the same.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values.type, pa.BaseExtensionType):  # PostgreSQL numeric: text in an opaque extension type
        values = values.storage
    target = ARROW_TYPES.get(kind)
    if target is not None and values.null_count == len(values):
        return pa.nulls(len(values), target)
    try:
        fast = _cast(kind, values)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        fast = None  # a value the cast refuses: convert_column names it
    if fast is not None:
        return fast
    return convert_column(table, column, kind, values.to_pandas(date_as_object=True))


def _cast(kind: str, values: pa.Array) -> pa.Array | None:
    # None: no exact Arrow cast from this type; casts are safe (they raise on lost precision)
    t = values.type
    numeric = pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)
    if kind == "int" and (pa.types.is_integer(t) or pa.types.is_float64(t)):
        return pc.cast(values, pa.int64())
    if kind == "float" and (numeric or pa.types.is_string(t) or pa.types.is_large_string(t)):
        if pa.types.is_float32(t):  # MySQL FLOAT: the decimal text the server shows, as the SQL path reads it
            values = pc.cast(values, pa.string())
        numbers = pc.cast(values, pa.float64())
        if pa.types.is_floating(t) and not pa.types.is_float32(t):
            return pc.if_else(pc.is_nan(numbers), pa.scalar(None, pa.float64()), numbers)  # NaN is missing
        return None if pc.any(pc.is_nan(numbers)).as_py() else numbers  # 'NaN' text is not a number here
    if kind == "bool" and pa.types.is_boolean(t):
        return values
    if kind == "bool" and pa.types.is_integer(t):
        bounds = pc.min_max(values).as_py()  # nulls skipped
        if bounds["min"] < 0 or bounds["max"] > 1:
            return None
        return pc.not_equal(values, pa.scalar(0, t))
    if kind == "date" and (pa.types.is_date(t) or pa.types.is_string(t) or pa.types.is_large_string(t)):
        return pc.cast(values, pa.date32())
    if kind == "date" and pa.types.is_timestamp(t) and t.tz is None:
        return pc.cast(pc.floor_temporal(values, unit="day"), pa.date32())
    if kind == "str" and (pa.types.is_string(t) or pa.types.is_large_string(t)):
        return pc.cast(values, pa.string())
    return None


def _as_number(value: Any) -> Any:
    # Decimal (PostgreSQL numeric) and numeric text; booleans are not numbers here.
    if isinstance(value, bool):
        return float("nan")
    return float(value) if not isinstance(value, str) else value.strip()


def _as_date_text(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value).strip()
