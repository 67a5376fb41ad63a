"""Checking that the rows extract wrote are the rows the fingerprint describes, before they are moved into place.

DVC caches ``data/raw`` under the fingerprint file, so the written rows must be the
fingerprinted ones. The cheap, direct check runs each table's fingerprint query over the
Parquet file just written, in DuckDB: the queries are portable SQL over the same columns, so
the written rows' fingerprint equals the file's when they are the rows it describes. Where it
cannot tell (a query DuckDB cannot run, a query over other tables, a source whose arithmetic
differs from DuckDB's, such as exact NUMERIC amounts), the source is fingerprinted again by
the database, as the fingerprint stage did, and that decides.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from medcost.core.contracts import SourceFingerprint, TableFingerprint
from medcost.core.errors import MedcostError, summarise
from medcost.extract.fingerprint import ROWS, require_unchanged, stable_value
from medcost.extract.stream import read_query

log = logging.getLogger(__name__)

_BIND = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
"""A SQLAlchemy bind parameter (``:as_of``), not a PostgreSQL cast (``::date``)."""


def written_fingerprint(
    files: Mapping[str, Path], queries: Mapping[str, str | Path], bind: Mapping[str, Any]
) -> dict[str, TableFingerprint]:
    """Each table's fingerprint query run in DuckDB over the Parquet file extract wrote (a view named as the table).

    Raises whatever DuckDB raises for a query it cannot run (another dialect's function, a table
    that was not extracted).
    """
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        con.execute("SET enable_progress_bar = false")
        for name, path in files.items():
            source = str(path).replace("'", "''")
            con.execute(f"CREATE VIEW \"{name}\" AS SELECT * FROM read_parquet('{source}')")
        tables = {}
        for name, query in queries.items():
            sql = _BIND.sub(r"$\1", read_query(query))
            used = {key: bind[key] for key in _BIND.findall(read_query(query))}
            relation = con.execute(sql, used)
            columns = [d[0].lower() for d in relation.description or []]
            rows = relation.fetchall()
            if len(rows) != 1 or ROWS not in columns:
                raise ValueError(f"{name}: the query returned {len(rows)} rows")
            row = {c: stable_value(v) for c, v in zip(columns, rows[0], strict=True)}
            count = row.pop(ROWS)
            if not isinstance(count, int):
                raise ValueError(f"{name}: `{ROWS}` is {count!r}")
            tables[name] = TableFingerprint(rows=count, signature=row)
        return tables
    finally:
        con.close()


def require_written_as_fingerprinted(
    expected: SourceFingerprint,
    files: Mapping[str, Path],
    queries: Mapping[str, str | Path],
    bind: Mapping[str, Any],
    rescan: Callable[[], SourceFingerprint],
    path: str | Path,
) -> None:
    """Stop unless the written ``files`` are the rows the fingerprint file ``path`` (``expected``) describes.

    First by the fingerprint queries over the files in DuckDB; when those cannot run or disagree,
    by ``rescan`` (the source fingerprinted again by the database), which raises the one-line
    error of :func:`~medcost.extract.fingerprint.require_unchanged` if the source changed.
    """
    try:
        written = written_fingerprint(files, queries, bind)
    except (MedcostError, ValueError, ImportError) as exc:
        log.info("the fingerprint queries do not run over the extract (%s): fingerprinting the source again", exc)
    except Exception as exc:  # duckdb's errors for SQL it cannot run: the source decides
        log.info("the fingerprint queries do not run in DuckDB (%s): fingerprinting the source again", summarise(exc))
    else:
        if written == expected.tables:
            log.info(
                "the extract's fingerprint is the source's: %s",
                ", ".join(f"{n} {t.rows} rows" for n, t in written.items()),
            )
            return
        differ = sorted(n for n in expected.tables.keys() | written.keys() if written.get(n) != expected.tables.get(n))
        log.info(
            "the extract's fingerprint differs from the file's (%s): fingerprinting the source again", ", ".join(differ)
        )
    require_unchanged(expected, rescan(), path)
