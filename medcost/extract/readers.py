"""Arrow-native readers of a query's rows (ADBC: SQLite, PostgreSQL; ConnectorX: MySQL/MariaDB), in batches.

The source is still given as a SQLAlchemy URL; :func:`why_not_arrow` says whether a reader serves
it (and if none does, why, and extract then reads through SQLAlchemy). The SQL files' ``:name``
parameters are compiled by SQLAlchemy into the driver's paramstyle and bound: ``?`` for SQLite
(values as SQLAlchemy's SQLite types store them). PostgreSQL streams a query through ``COPY``
only without bound parameters, so date and number values are rendered into it by SQLAlchemy's
PostgreSQL dialect (ADBC would otherwise hold a bound query's whole result); other values are
bound (``$1``) and the query runs as a server-side cursor, fetched ``chunk_rows`` at a time.
ConnectorX cannot bind parameters: for MySQL/MariaDB, date and number values only are rendered
into the query by SQLAlchemy's MySQL dialect; any other value type leaves that query to
SQLAlchemy. Every reader runs in a thread of its own, a few batches ahead of the conversion
and the Parquet writer (:func:`read_ahead`): the database's work and ours overlap.
"""

from __future__ import annotations

import datetime as dt
import decimal
import importlib.util
import queue
import threading
from collections.abc import Collection, Generator, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyarrow as pa
from sqlalchemy import text
from sqlalchemy.dialects.mysql.base import MySQLDialect
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.dialects.sqlite.base import SQLiteDialect
from sqlalchemy.engine import URL, Dialect

READERS = {"sqlite": "adbc_driver_sqlite", "postgresql": "adbc_driver_postgresql", "mysql": "connectorx"}
"""The Arrow reader (its Python package) of each SQLAlchemy backend; MariaDB is read as MySQL."""

_LITERAL_TYPES = (dt.date, int, float, decimal.Decimal)  # dt.datetime is a dt.date; bool is an int
_CURSOR = "medcost_extract"


def _backend(url: URL) -> str:
    backend = url.get_backend_name()
    return "mysql" if backend == "mariadb" else backend


def why_not_arrow(url: URL) -> str | None:
    """Why no Arrow reader serves ``url`` (extract then reads it through SQLAlchemy), or None when one does."""
    backend = _backend(url)
    package = READERS.get(backend)
    if package is None:
        return f"no Arrow reader for {url.get_backend_name()} (there is one for {', '.join(sorted(READERS))})"
    if importlib.util.find_spec(package) is None:
        return f"the Arrow reader {package} is not installed"
    if backend == "sqlite" and (not url.database or url.database == ":memory:" or url.query):
        return "an in-memory SQLite database, or one given with URL options, is read by SQLAlchemy"
    if backend == "mysql" and url.query:
        return "ConnectorX does not take this MySQL URL's options"  # e.g. ssl: never dropped silently
    return None


def reader_name(url: URL) -> str:
    """The package that reads ``url`` on the Arrow path (for the log)."""
    return READERS[_backend(url)]


def driver_uri(url: URL) -> str:
    """The reader's URI for the SQLAlchemy ``url`` (with the password: never show it, show ``mask_url(url)``)."""
    backend = _backend(url)
    if backend == "sqlite":  # read-only: extract never writes the source
        return f"file:{quote(str(Path(url.database or '').resolve()))}?mode=ro"
    if backend == "postgresql":  # libpq's URI: the same query options (sslmode, options=-csearch_path...)
        query = {"connect_timeout": "10", **url.query}
        return url.set(drivername="postgresql", query=query).render_as_string(hide_password=False)
    return url.set(drivername="mysql", query={}).render_as_string(hide_password=False)


def bound_query(sql: str, bind: Mapping[str, Any], dialect: Dialect) -> tuple[str, list[Any]]:
    """``sql`` in ``dialect``'s positional paramstyle and its parameter values in order (the dialect's bind types)."""
    compiled = _statement(sql, bind).compile(dialect=dialect)
    values = []
    for name in compiled.positiontup or []:
        param = compiled.binds[name]
        process = param.type.dialect_impl(dialect).bind_processor(dialect)
        values.append(process(param.value) if process else param.value)
    return compiled.string, values


def literal_query(sql: str, bind: Mapping[str, Any], dialect: Dialect | None = None) -> str | None:
    """``sql`` with its date and number parameters rendered by ``dialect`` (MySQL's by default); None for any other value."""
    if not all(isinstance(v, _LITERAL_TYPES) for v in bind.values()):
        return None
    compiled = _statement(sql, bind).compile(
        dialect=dialect or MySQLDialect(paramstyle="named"), compile_kwargs={"literal_binds": True}
    )
    return str(compiled)  # named paramstyle: a % in the SQL stays one %


def _statement(sql: str, bind: Mapping[str, Any]) -> Any:
    # the values the query names (SQLAlchemy ignores the others too); a missing one is an error, never NULL
    statement = text(sql)
    names = set(statement.compile().params)
    missing = names - set(bind)
    if missing:
        raise ValueError(f"no value for the query parameter(s) {', '.join(sorted(missing))}")
    return statement.bindparams(**{k: v for k, v in bind.items() if k in names})


def read_batches(
    url: URL, sql: str, bind: Mapping[str, Any], chunk_rows: int, floats: Collection[str] = ()
) -> Iterator[pa.RecordBatch]:
    """The query's rows as record batches of at most ``chunk_rows`` rows, read by ``url``'s Arrow reader.

    ``floats``: the columns declared ``float``; PostgreSQL sends those that are NUMERIC as double.
    """
    backend = _backend(url)
    if backend == "postgresql":
        batches = _postgresql(driver_uri(url), sql, bind, chunk_rows, floats)
    else:
        batches = {"sqlite": _sqlite}.get(backend, _mysql)(driver_uri(url), sql, bind, chunk_rows)
    yield from read_ahead(batches)


READ_AHEAD = 2
"""Batches a reader may be ahead of the writer: memory stays a few batches."""


def read_ahead(batches: Iterable[pa.RecordBatch], depth: int = READ_AHEAD) -> Generator[pa.RecordBatch, None, None]:
    """``batches``, read in a thread of their own at most ``depth`` ahead; the reader's error is raised here.

    The drivers read in C without Python's lock, so the database's query and the driver's
    decoding run while the batches before are converted and written. A consumer that stops (an
    error in a later step) stops the reader too.
    """
    ahead: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for batch in batches:
                if not put(("batch", batch)):
                    return
            put(("end", None))
        except BaseException as exc:  # handed to the consumer's thread
            put(("error", exc))
        finally:
            close = getattr(batches, "close", None)
            if close is not None:  # a reader stopped early closes its cursor and connection here
                close()

    thread = threading.Thread(target=read, name="extract-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            kind, item = ahead.get()
            if kind == "end":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def sqlite_rows(url: URL, sql: str, bind: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows of a small query (a fingerprint) on a SQLite source, run by ADBC's SQLite.

    ADBC bundles a newer SQLite than Python's, which runs the fingerprint's scans twice as fast
    with the same results; the fingerprint stage and extract's rescan both use it.
    """
    import adbc_driver_sqlite.dbapi

    query, values = bound_query(sql, bind, SQLiteDialect(paramstyle="qmark"))
    with adbc_driver_sqlite.dbapi.connect(driver_uri(url)) as conn, conn.cursor() as cursor:
        cursor.execute(query, parameters=values)
        names = [str(column[0]) for column in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _sqlite(uri: str, sql: str, bind: Mapping[str, Any], chunk_rows: int) -> Iterator[pa.RecordBatch]:
    import adbc_driver_sqlite.dbapi

    query, values = bound_query(sql, bind, SQLiteDialect(paramstyle="qmark"))
    with adbc_driver_sqlite.dbapi.connect(uri) as conn, conn.cursor() as cursor:
        # the driver infers each column's type from its first batch: a later batch of another
        # type fails, and extract reads the table through SQLAlchemy instead
        cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(chunk_rows)})
        cursor.execute(query, parameters=values)
        yield from cursor.fetch_record_batch()


def numeric_as_double(query: str, schema: pa.Schema, floats: Collection[str]) -> str:
    """``query`` with its NUMERIC result columns that are declared ``float`` sent as double precision.

    ADBC hands NUMERIC over as decimal text (two-thirds of the claims' read time); the server's own
    conversion gives the same double (both round the exact decimal to the nearest one). The query
    runs as is inside, so its ORDER BY still orders the rows (a sorted subquery is not flattened).
    """
    numeric = [
        f.name for f in schema if f.name in set(floats) and (f.metadata or {}).get(b"POSTGRESQL:type") == b"numeric"
    ]
    if not numeric:
        return query
    names = ['"' + f.name.replace('"', '""') + '"' for f in schema]
    columns = [f"{n}::float8 AS {n}" if f.name in numeric else n for f, n in zip(schema, names, strict=True)]
    return f"SELECT {', '.join(columns)} FROM ({query}) AS medcost_extract"


def _postgresql(
    uri: str, sql: str, bind: Mapping[str, Any], chunk_rows: int, floats: Collection[str] = ()
) -> Iterator[pa.RecordBatch]:
    import adbc_driver_postgresql.dbapi

    literal = literal_query(sql, bind, PGDialect(paramstyle="named"))
    if literal is not None:  # no bound parameters: ADBC streams the rows through COPY
        with adbc_driver_postgresql.dbapi.connect(uri) as conn, conn.cursor() as cursor:
            if floats:
                literal = numeric_as_double(literal, cursor.adbc_execute_schema(literal), floats)
            cursor.execute(literal)
            yield from cursor.fetch_record_batch()
        return
    query, values = bound_query(sql, bind, PGDialect(paramstyle="numeric_dollar"))
    with adbc_driver_postgresql.dbapi.connect(uri) as conn:  # not autocommit: the cursor lives in this transaction
        try:
            with conn.cursor() as cursor:
                cursor.execute(f"DECLARE {_CURSOR} NO SCROLL CURSOR FOR {query}", parameters=values)
                cursor.adbc_statement.set_options(**{"adbc.postgresql.use_copy": "false"})  # COPY cannot FETCH
                while True:
                    cursor.execute(f"FETCH FORWARD {int(chunk_rows)} FROM {_CURSOR}")
                    batch = cursor.fetch_arrow_table()
                    if batch.num_rows == 0:
                        break
                    yield from batch.to_batches()
        finally:
            conn.rollback()  # read only: nothing to commit, and the cursor is closed with the transaction


def _mysql(uri: str, sql: str, bind: Mapping[str, Any], chunk_rows: int) -> Iterator[pa.RecordBatch]:
    import connectorx

    query = literal_query(sql, bind)
    if query is None:
        raise TypeError("ConnectorX cannot bind these parameter types")  # extract reads it through SQLAlchemy
    reader = connectorx.read_sql(uri, query, return_type="arrow_stream", batch_size=chunk_rows)
    yield from reader
