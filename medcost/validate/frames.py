"""The frames the suites validate: raw and feature tables in their declared dtypes, and the claims-clients relation."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from medcost.core.errors import MedcostError
from medcost.core.features import CUTOFF_COLUMN, FeatureSpec
from medcost.core.params import TransformParams

if TYPE_CHECKING:
    import pyarrow as pa

PANDAS_TYPES: dict[str, str] = {
    "int": "Int64",
    "float": "float64",
    "str": "string",
    "bool": "boolean",
    "date": "datetime64",  # any unit: dates far in the past do not fit nanoseconds
}
"""The pandas dtype each declared column type is validated as (nullable where it matters)."""

_EMPTY_TYPES = {**PANDAS_TYPES, "date": "datetime64[ns]"}
RELATION_COLUMN = "unknown_client_id"
"""The claims_clients frame's one column: a claim's client id when that client is not in clients."""


def typed_frame(frame: pd.DataFrame, kinds: Mapping[str, str]) -> pd.DataFrame:
    """A copy of ``frame`` with each declared column in its validation dtype (``PANDAS_TYPES``).

    Nothing is coerced: a column whose values are not all of the declared kind (text in
    a numeric column, say) keeps its dtype, and the type expectation names it. Columns
    not in ``kinds`` are left as they are. A column already of its dtype is shared with
    ``frame``, not copied (the feature table is the stage's largest frame); ``frame`` is not changed.
    """
    out = frame.copy(deep=False)
    for column, kind in kinds.items():
        if column in out.columns:
            out[column] = _as_kind(out[column], kind)
    return out


def _as_kind(values: pd.Series, kind: str) -> pd.Series:
    dtype = values.dtype
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    try:
        if inferred == "empty":  # no values at all: nothing to contradict the declared type
            return values.astype(_EMPTY_TYPES[kind], copy=False)
        if kind == "int" and (numeric or inferred in ("integer", "floating", "mixed-integer-float")):
            present = pd.to_numeric(values.dropna())
            if bool((present == present.round()).all()):
                return values.astype("Int64", copy=False)
        elif kind == "float" and (numeric or inferred in ("integer", "floating", "mixed-integer-float", "decimal")):
            return values.astype("float64", copy=False)
        elif kind == "str" and inferred == "string":
            return values.astype("string", copy=False)
        elif kind == "bool" and (pd.api.types.is_bool_dtype(dtype) or inferred == "boolean"):
            return values.astype("boolean", copy=False)
        elif kind == "date" and (
            pd.api.types.is_datetime64_any_dtype(dtype) or inferred in ("date", "datetime", "datetime64")
        ):
            if isinstance(dtype, pd.DatetimeTZDtype):  # a store that keeps time zones (a date has none)
                values = values.dt.tz_convert(None)
            stamps = values.astype("datetime64[ms]")
            try:
                return stamps.astype("datetime64[ns]", copy=False)  # Great Expectations compares ns columns vectorised
            except (OverflowError, ValueError):  # OutOfBoundsDatetime: before 1677, kept in ms
                return stamps
    except (TypeError, ValueError, OverflowError):
        pass
    return values


def read_raw(path: str | Path) -> pd.DataFrame:
    """One raw extract table (Parquet) with nullable integer, boolean and string columns.

    :func:`medcost.validate.run.raw_batches` types it for validation (:func:`typed_frame`).
    """
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except FileNotFoundError:
        raise MedcostError(f"{path}: not found (run the extract stage first)") from None
    return arrow_frame(table)


def arrow_frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as :func:`read_raw` reads it: nullable integer, boolean and string columns, dates as datetimes."""
    import pyarrow as pa

    nullable = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype(), pa.string(): pd.StringDtype()}
    return table.to_pandas(types_mapper=nullable.get, date_as_object=False)


def feature_kinds(transform: TransformParams) -> dict[str, str]:
    """The declared type of every column of the feature table, in the transform's terms."""
    spec = FeatureSpec.from_params(transform)
    kinds = {c: "int" for c in spec.key}
    kinds[CUTOFF_COLUMN] = "date"
    kinds.update({c: "str" for c in spec.categorical})
    kinds.update({c: "float" for c in spec.numeric})
    kinds[spec.target] = "float"
    return kinds


def claims_clients_frame(claims: pd.DataFrame, clients: pd.DataFrame) -> pd.DataFrame:
    """One row per claim: ``unknown_client_id`` is its client id if that client is not in ``clients``."""
    if "client_id" not in claims.columns or "client_id" not in clients.columns:
        return pd.DataFrame({RELATION_COLUMN: pd.Series(pd.NA, index=claims.index, dtype="Int64")})
    ids = pd.to_numeric(claims["client_id"], errors="coerce").astype("Int64")
    known = ids.isin(pd.to_numeric(clients["client_id"], errors="coerce").dropna())
    return pd.DataFrame({RELATION_COLUMN: ids.where(~known)})
