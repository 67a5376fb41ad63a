"""The source fingerprint: the masked identity and per-table row counts and signatures, computed by SQL in the database.

The source database lives outside DVC's view. The fingerprint stage runs this every time
(``always_changed``) and extract depends on its file, so a switched URL or changed rows rerun
extract, and an unchanged source reruns nothing. Each table's query (``sql/fingerprint_*.sql``)
returns one row: ``rows`` plus signature columns (sums of keys, amounts and dates, counts of
flags, ...). The values are made stable here (integral numbers as int, dates as ISO text), so
the same source gives byte-identical JSON on every run and with every driver.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from medcost.core.contracts import SourceFingerprint, TableFingerprint
from medcost.core.errors import MedcostError, summarise
from medcost.core.progress import steps
from medcost.core.secrets import mask_url
from medcost.extract.readers import sqlite_rows, why_not_arrow
from medcost.extract.stream import read_query

log = logging.getLogger(__name__)

ROWS = "rows"
"""The column every fingerprint query returns: the number of rows extract would read."""

Value = str | int | float | None


def source_identity(url: str) -> str:
    """The source URL safe to record: driver, user, host, port and database, never the password.

    The URL as the user gave it, not the engine's: a relative SQLite path stays relative (the
    file names no machine, and `dvc exp run --temp`, which resolves it, sees the same identity).
    """
    return mask_url(url)


def source_fingerprint(
    engine: Engine, url: str, queries: Mapping[str, str | Path], bind: Mapping[str, Any]
) -> SourceFingerprint:
    """Fingerprint the source ``url`` (connected as ``engine``): each table's SQL file (name -> path) run with ``bind``."""
    shown = steps(queries.items(), "fingerprint", total=len(queries))
    tables = {name: table_fingerprint(engine, name, path, bind) for name, path in shown}
    return SourceFingerprint(dialect=engine.dialect.name, identity=source_identity(url), tables=tables)


def table_fingerprint(engine: Engine, table: str, path: str | Path, bind: Mapping[str, Any]) -> TableFingerprint:
    """One table's row count and signature: the single row the SQL file ``path`` returns."""
    sql = read_query(path)
    result = _sqlite_result(engine.url, sql, bind)
    if result is None:
        try:
            with engine.connect() as conn:
                result = [dict(row) for row in conn.execute(text(sql), dict(bind)).mappings().all()]
        except (DBAPIError, SQLAlchemyError) as exc:
            raise MedcostError(f"{table}: fingerprint query {path} failed: {summarise(exc)}") from None
    if len(result) != 1:
        raise MedcostError(f"{table}: fingerprint query {path} returned {len(result)} rows, expected exactly 1")
    row = {str(k).lower(): stable_value(v) for k, v in result[0].items()}
    rows = row.pop(ROWS, None)
    if not isinstance(rows, int) or rows < 0:
        shown = f"got {rows!r}" if ROWS in result[0] else f"it returned: {', '.join(map(str, result[0]))}"
        raise MedcostError(f"{table}: fingerprint query {path} must return a column `{ROWS}` = COUNT(*) ({shown})")
    log.info("%s: %d rows, %d signature columns", table, rows, len(row))
    return TableFingerprint(rows=rows, signature=row)


def _sqlite_result(url: URL, sql: str, bind: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    # SQLite through ADBC's newer, faster engine where it is installed; None: run it through SQLAlchemy
    # (also when ADBC fails, so that a broken query is named as SQLAlchemy's driver names it)
    if url.get_backend_name() != "sqlite" or why_not_arrow(url) is not None:
        return None
    try:
        return list(sqlite_rows(url, sql, bind))
    except Exception as exc:  # any driver error: SQLAlchemy's run gives the message
        log.debug("fingerprint through ADBC failed (%s); running it through SQLAlchemy", summarise(exc))
        return None


def stable_value(value: Any) -> Value:
    """A query result as a JSON value that is the same on every run and with every driver.

    Integral numbers (ints, Decimals, floats such as SQLite's sums of REALs) become ints;
    other numbers become fixed-point text (rounding in JSON would hide small changes); dates
    become ISO text; booleans 0/1.
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value)
        return int(value) if value == value.to_integral_value() else format(value.normalize(), "f")
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return int(value) if value.is_integer() and abs(value) < 2**53 else f"{value:.6f}"
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)


def require_same_identity(expected: SourceFingerprint, url: str, path: str | Path) -> None:
    """Stop before extracting if the fingerprint file ``path`` (``expected``) describes another source than ``url``.

    The file is stale when its stage failed (it keeps the last good one: DVC does not delete a
    persisted output) or did not run (`dvc repro -s extract`, `--downstream`); extracting then
    would store the new source's data in DVC's run cache under the old source's fingerprint.
    """
    identity = source_identity(url)
    if identity != expected.identity:
        raise _other_source(path, expected.identity, identity)


def require_unchanged(expected: SourceFingerprint, current: SourceFingerprint, path: str | Path) -> None:
    """Stop unless the source fingerprinted again after extracting (``current``) is the one ``path`` describes.

    The rows extract read are then the ones the fingerprint file describes, so DVC may cache them
    under it: a source that changed between the fingerprint stage and the end of extract (a live
    database) or a stale file fails here, before anything is moved into place.
    """
    if (current.dialect, current.identity) != (expected.dialect, expected.identity):
        raise _other_source(
            path, f"{expected.identity} ({expected.dialect})", f"{current.identity} ({current.dialect})"
        )
    changed = []
    for table in sorted(expected.tables.keys() | current.tables.keys()):
        before, now = expected.tables.get(table), current.tables.get(table)
        if before != now:
            rows = f"{before.rows if before else 'no'} -> {now.rows if now else 'no'} rows"
            changed.append(f"{table} ({rows}{', other content' if before and now and before.rows == now.rows else ''})")
    if changed:
        raise MedcostError(
            f"source {current.identity} changed since {path} was written: {'; '.join(changed)}; "
            "nothing was written: run `dvc repro` again (the fingerprint stage runs first)"
        )


def _other_source(path: str | Path, described: str, actual: str) -> MedcostError:
    return MedcostError(
        f"{path} describes source {described}, but the source is {actual}: nothing was written; "
        "run `dvc repro` (its fingerprint stage runs first), not extract alone"
    )
