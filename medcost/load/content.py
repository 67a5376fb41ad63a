"""The content hash of a feature or prediction table: what every lakehouse write records and every read checks.

One definition for every form the rows take (a pandas frame, the Parquet file transform wrote,
a Delta version read back), computed in DuckDB in one streaming pass, without sorting or copying
the table:

* each column is cast to a canonical type, so that what a round trip changes does not change the
  hash: integers of any width or sign -> BIGINT (HUGEINT beyond), FLOAT/DOUBLE -> DOUBLE with NaN
  as NULL (pandas' missing value), strings, categoricals and dictionaries -> VARCHAR, timestamps of
  any precision -> TIMESTAMP (microseconds, what Delta stores; finer digits are not hashed), with a
  time zone -> TIMESTAMPTZ; other types (DATE, BOOLEAN, DECIMAL, ...) as they are;
* every row is hashed with DuckDB's ``hash()`` over its columns in name order, and the row hashes
  are summed as HUGEINT: the sum does not depend on row order (keys are unique, so no two rows
  cancel; a sum, not xor, all the same);
* the sum, the row count, the key and each column's name and canonical type go into a sha256.

So the same rows give the same hash in any row and column order, and a changed value, an added
or removed column or a column of another kind (int -> float, float -> string, date -> timestamp)
gives another. The hash is DuckDB's: a DuckDB release that changed ``hash()`` would change every
content hash once (one new, identical, version of each table; downstream stages rerun).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from medcost.core.duck import connect
from medcost.core.errors import MedcostError
from medcost.core.params import DuckDBParams
from medcost.load.rows import Rows, schema_of, stream

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

HASH_METADATA_KEY = "medcost.content_hash"
"""The Delta commit metadata key holding the content hash of the rows the commit wrote."""

_VIEW = "medcost_rows"
_CANONICAL = {
    **dict.fromkeys(("tinyint", "smallint", "integer", "bigint", "utinyint", "usmallint", "uinteger"), "BIGINT"),
    **dict.fromkeys(("ubigint", "hugeint", "uhugeint"), "HUGEINT"),
    **dict.fromkeys(("float", "double"), "DOUBLE"),
    **dict.fromkeys(("varchar", "enum"), "VARCHAR"),
    **dict.fromkeys(("timestamp_s", "timestamp_ms", "timestamp", "timestamp_ns"), "TIMESTAMP"),
    **dict.fromkeys(("timestamp with time zone", "timestamptz_ns"), "TIMESTAMPTZ"),
}


@dataclass(frozen=True)
class Content:
    """What one pass over a table found: its rows, columns (in order), distinct values of one column, hash."""

    rows: int
    columns: list[str]
    distinct: list[Any]
    digest: str


@contextmanager
def duck(settings: DuckDBParams | None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A private DuckDB connection: the params' resources (medcost.core.duck), or DuckDB's defaults."""
    if settings is not None:
        con = connect(settings)
    else:
        import duckdb

        con = duckdb.connect(":memory:")
        con.execute("SET enable_progress_bar = false")  # a stage's output is its log
    try:
        yield con
    finally:
        con.close()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _canonical(name: str, kind: Any) -> tuple[str, str]:
    """The SQL of a column in its canonical type, and that type's name."""
    canonical = _CANONICAL.get(str(kind.id))
    column = _quote(name)
    if canonical is None:
        return column, str(kind)
    if canonical == "DOUBLE":
        return f"CASE WHEN isnan({column}) THEN NULL ELSE {column}::DOUBLE END", canonical
    return f"{column}::{canonical}", canonical


def scan_content(
    rows: Rows, key: Sequence[str], *, distinct: str | None = None, settings: DuckDBParams | None = None
) -> Content:
    """One streaming pass over ``rows`` in DuckDB: count, columns, sorted distinct non-null ``distinct`` values, hash.

    A ``RecordBatchReader`` is consumed. ``settings``: the DuckDB resources (None: DuckDB's defaults;
    the pass is an aggregate of a few numbers, it holds a batch at a time).
    """
    columns = [str(c) for c in schema_of(rows).names]
    missing = [c for c in [*key, *([distinct] if distinct else [])] if c not in columns]
    if missing:
        raise MedcostError(
            f"the table has no column {', '.join(dict.fromkeys(missing))} (columns: {', '.join(columns)})"
        )
    with duck(settings) as con:
        con.register(_VIEW, stream(rows))
        bound = con.sql(f"SELECT * FROM {_VIEW}")  # bound, not run: a reader is read once, by the query below
        kinds = dict(zip(bound.columns, bound.types, strict=True))
        canonical = {name: _canonical(name, kinds[name]) for name in sorted(columns)}
        row_hash = f"hash({', '.join(sql for sql, _ in canonical.values())})"
        values = (
            f"list(DISTINCT {_quote(distinct)} ORDER BY {_quote(distinct)}) FILTER (WHERE {_quote(distinct)} IS NOT NULL)"
            if distinct
            else "NULL"
        )
        [(count, total, seen)] = con.execute(
            f"SELECT count(*), coalesce(sum({row_hash}::HUGEINT), 0), {values} FROM {_VIEW}"
        ).fetchall()
        con.unregister(_VIEW)
    digest = hashlib.sha256()
    digest.update(f"key={','.join(key)}\n".encode())
    digest.update(";".join(f"{name}:{kind}" for name, (_, kind) in canonical.items()).encode())
    digest.update(f"\nrows={count}\nsum={total}".encode())
    return Content(rows=int(count), columns=columns, distinct=list(seen or []), digest=digest.hexdigest())


def content_hash(rows: Rows, key: Sequence[str], settings: DuckDBParams | None = None) -> str:
    """The content hash of ``rows`` (independent of row and column order; see the module); a reader is consumed."""
    return scan_content(rows, key, settings=settings).digest
