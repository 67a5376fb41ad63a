"""The Arrow readers against real SQLite, PostgreSQL and MariaDB: the SQLAlchemy path's files and messages, bounded batches."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.dialects.sqlite.base import SQLiteDialect
from sqlalchemy.engine import URL, make_url

from medcost.core.errors import MedcostError
from medcost.core.params import ExtractParams, section
from medcost.demo_data import generate
from medcost.extract import (
    arrow_schema,
    bound_query,
    choose_reader,
    connect,
    driver_uri,
    extract_tables,
    literal_query,
    why_not_arrow,
)
from medcost.extract.readers import numeric_as_double, read_ahead, sqlite_rows
from tests.conftest import fresh_database, require_mariadb, require_postgres
from tests.unit.test_extract import ROOT, copy_source, run_extract

TEST_DB = "medcost_i13_extract"
BIND = {"as_of": dt.date(2026, 1, 1), "history_start": dt.date(2021, 1, 1)}


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """small_source's seeded rows (1,500 clients, seed 7) in a database of their own on PostgreSQL and MariaDB."""
    urls = {
        "postgresql": fresh_database(require_postgres(), TEST_DB),
        "mariadb": fresh_database(require_mariadb() + "/", TEST_DB),
    }
    for url in urls.values():
        truth = tmp_path_factory.mktemp("truth") / "truth.parquet"
        generate(url, clients=1500, first_year=2021, years=5, seed=7, truth_path=truth, progress=False)
    yield urls


@pytest.mark.postgres
def test_every_database_gives_the_same_typed_files_on_both_readers(servers, small_source, params, tmp_path):
    """SQLite (text dates, 0/1 flags), PostgreSQL (numeric) and MariaDB (FLOAT, DECIMAL, TINYINT): one set of files."""
    cfg = section(params, "extract", ExtractParams)
    reference = tmp_path / "sqlite-sqlalchemy"
    run_extract(small_source["url"], params, reference, reader="sqlalchemy")
    sources = {"sqlite": small_source["url"], **servers}
    for name, url in sources.items():
        for reader in ("arrow", "sqlalchemy"):
            out = tmp_path / f"{name}-{reader}"
            run_extract(url, params, out, chunk_rows=1000, reader=reader)  # many batches
            for table, spec in cfg.tables.items():
                written = pq.read_table(out / f"{table}.parquet")
                assert written.schema.remove_metadata() == arrow_schema(spec.columns), (name, reader, table)
                expected = pd.read_parquet(reference / f"{table}.parquet")
                pd.testing.assert_frame_equal(written.to_pandas(), expected, obj=f"{name} {reader} {table}")


def test_batches_are_bounded_by_chunk_rows(small_source, params, tmp_path):
    run_extract(small_source["url"], params, tmp_path, chunk_rows=1000, reader="arrow")
    meta = pq.read_metadata(tmp_path / "claims.parquet")
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert max(sizes) == 1000 and sum(sizes) == meta.num_rows and len(sizes) > 20


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        (
            "UPDATE claims SET amount = 'n/a' WHERE claim_id = (SELECT min(claim_id) FROM claims)",
            "claims.amount: expected float, found 1 value(s) that are not: 'n/a'",
        ),
        (
            "UPDATE claims SET client_id = 2.5 WHERE claim_id = (SELECT min(claim_id) FROM claims)",
            "claims.client_id: expected int, found 1 value(s) that are not: 2.5",
        ),
        (
            "UPDATE clients SET smoker = 'maybe' WHERE client_id = (SELECT min(client_id) FROM clients)",
            "clients.smoker: expected bool, found 1 value(s) that are not: 'maybe'",
        ),
        (
            "UPDATE clients SET birth_date = 'yesterday' WHERE client_id = (SELECT min(client_id) FROM clients)",
            "clients.birth_date: expected date, found 1 value(s) that are not: 'yesterday'",
        ),
    ],
)
def test_a_bad_value_is_named_alike_by_the_arrow_reader(small_source, params, tmp_path, statement, message):
    url = copy_source(small_source, tmp_path, statement)
    for reader in ("arrow", "sqlalchemy"):
        with pytest.raises(MedcostError) as err:
            run_extract(url, params, tmp_path / reader, reader=reader)
        assert str(err.value) == message, reader


@pytest.mark.postgres
def test_text_in_a_number_column_is_named_alike_on_the_servers(servers, params, tmp_path):
    sql = (
        "SELECT claim_id, CASE WHEN claim_id = (SELECT MIN(claim_id) FROM claims) THEN 'n/a' "
        "ELSE CAST(amount AS CHAR(20)) END AS amount FROM claims WHERE paid_date < :as_of ORDER BY claim_id"
    )
    queries = {"claims": (sql, {"claim_id": "int", "amount": "float"})}
    for name, url in servers.items():
        engine = connect(url)
        for reader in ("arrow", "sqlalchemy"):
            with pytest.raises(MedcostError) as err:
                extract_tables(engine, queries, BIND, 1000, tmp_path / name / reader, reader=reader)
            assert str(err.value) == "claims.amount: expected float, found 1 value(s) that are not: 'n/a'", name
        engine.dispose()


def test_auto_reads_through_sqlalchemy_when_the_arrow_reader_fails(small_source, params, tmp_path, caplog):
    """ADBC's SQLite driver types a column by its first batch: all-NULL dates there, text later, stop it."""
    url = copy_source(small_source, tmp_path, "UPDATE clients SET enrolled_to = NULL WHERE client_id <= 1200")
    with pytest.raises(MedcostError) as err:
        run_extract(url, params, tmp_path / "arrow", chunk_rows=1000, reader="arrow")
    assert str(err.value).startswith("clients: query failed (adbc_driver_sqlite): ")
    assert "\n" not in str(err.value)
    with caplog.at_level(logging.WARNING, logger="medcost.extract.stream"):
        run_extract(url, params, tmp_path / "auto", chunk_rows=1000, reader="auto")
    assert "clients: adbc_driver_sqlite failed" in caplog.text and "reading clients through SQLAlchemy" in caplog.text
    run_extract(url, params, tmp_path / "sqlalchemy", chunk_rows=1000, reader="sqlalchemy")
    for table in ("clients", "claims"):
        auto = pd.read_parquet(tmp_path / "auto" / f"{table}.parquet")
        pd.testing.assert_frame_equal(auto, pd.read_parquet(tmp_path / "sqlalchemy" / f"{table}.parquet"))


def test_a_source_without_an_arrow_reader_is_read_through_sqlalchemy(small_source, params, tmp_path, caplog):
    url = f"{small_source['url']}?timeout=30"  # SQLite with URL options: SQLAlchemy's driver takes them
    assert why_not_arrow(make_url(url)) is not None
    with caplog.at_level(logging.INFO, logger="medcost.extract.stream"):
        stats = run_extract(url, params, tmp_path, reader="auto")
    assert "through SQLAlchemy" in caplog.text and stats["claims"].rows > 0
    with pytest.raises(MedcostError, match=r"^extract.reader = arrow: sqlite:///.*demo.db: an in-memory SQLite"):
        run_extract(url, params, tmp_path / "arrow", reader="arrow")


def test_a_dialect_without_an_arrow_reader_is_named_with_password_masked():
    url = make_url("mssql+pyodbc://etl:s3cret@db.example/claims")
    assert why_not_arrow(url) == "no Arrow reader for mssql (there is one for mysql, postgresql, sqlite)"
    assert choose_reader(url, "auto") is False and choose_reader(url, "sqlalchemy") is False
    with pytest.raises(MedcostError) as err:
        choose_reader(url, "arrow")
    assert str(err.value) == (
        "extract.reader = arrow: mssql+pyodbc://etl:***@db.example/claims: no Arrow reader for mssql "
        "(there is one for mysql, postgresql, sqlite); set extract.reader to auto or sqlalchemy"
    )
    assert choose_reader(make_url("mariadb+pymysql://root@127.0.0.1/x"), "arrow") is True  # read as MySQL


def test_the_url_becomes_the_driver_uri():
    assert driver_uri(
        make_url("sqlite:///data/my source.db")
    ) == f"file:{Path('data/my source.db').resolve()}?mode=ro".replace(" ", "%20")
    query = {"options": "-csearch_path=src"}
    pg = URL.create("postgresql+psycopg2", "etl", "p@ss/w:%", "db", 5433, "claims", query)  # as make_url parses it
    assert (
        driver_uri(pg)
        == "postgresql://etl:p%40ss%2Fw%3A%25@db:5433/claims?connect_timeout=10&options=-csearch_path%3Dsrc"
    )
    assert driver_uri(make_url("mysql+pymysql://root@127.0.0.1:3306/x")) == "mysql://root@127.0.0.1:3306/x"


def test_parameters_are_bound_in_the_drivers_paramstyle():
    sql = "SELECT a FROM t WHERE d >= :history_start AND d < :as_of AND note <> 'x:y' AND n::int > 0"
    assert bound_query(sql, BIND, SQLiteDialect(paramstyle="qmark")) == (
        "SELECT a FROM t WHERE d >= ? AND d < ? AND note <> 'x:y' AND n::int > 0",
        ["2021-01-01", "2026-01-01"],  # as SQLAlchemy's SQLite Date stores them
    )
    query, values = bound_query(sql, {**BIND, "unused": 1}, PGDialect(paramstyle="numeric_dollar"))
    assert query.startswith("SELECT a FROM t WHERE d >= $1 AND d < $2") and values == [
        BIND["history_start"],
        BIND["as_of"],
    ]
    with pytest.raises(ValueError, match="no value for the query parameter"):
        bound_query(sql, {"as_of": BIND["as_of"]}, SQLiteDialect(paramstyle="qmark"))


def test_connectorx_gets_only_date_and_number_literals():
    sql = "SELECT a FROM t WHERE d < :as_of AND n > :n AND s LIKE 'a%'"
    assert literal_query(sql, {"as_of": dt.date(2026, 1, 1), "n": 5}) == (
        "SELECT a FROM t WHERE d < '2026-01-01' AND n > 5 AND s LIKE 'a%'"
    )
    assert literal_query(sql, {"as_of": "2026-01-01'; DROP TABLE t; --", "n": 5}) is None  # text: SQLAlchemy binds it


def test_adbc_sqlite_computes_the_fingerprint_sqlalchemy_does(small_source, params):
    """The fingerprint runs on ADBC's newer SQLite where it can: the same row as Python's SQLite gives."""
    cfg = section(params, "extract", ExtractParams)
    engine = connect(small_source["url"])
    for spec in cfg.tables.values():
        sql = (ROOT / spec.fingerprint).read_text()
        with engine.connect() as conn:
            expected = [dict(row) for row in conn.execute(text(sql), BIND).mappings().all()]
        assert sqlite_rows(engine.url, sql, BIND) == expected
    engine.dispose()


def test_the_read_ahead_gives_every_batch_in_order_and_the_readers_error():
    batches = [pa.record_batch({"n": [i, i + 1]}) for i in range(0, 20, 2)]

    def failing() -> Iterator[pa.RecordBatch]:
        yield from batches[:3]
        raise ValueError("the driver failed at batch 4")

    assert [b.column(0).to_pylist() for b in read_ahead(iter(batches))] == [b.column(0).to_pylist() for b in batches]
    seen = []
    with pytest.raises(ValueError, match="the driver failed at batch 4"):
        for batch in read_ahead(failing()):
            seen.append(batch)
    assert len(seen) == 3


def test_a_consumer_that_stops_closes_the_reader():
    """An error while writing stops the reader, which closes its cursor (its generator's finally)."""
    closed = []

    def reader() -> Iterator[pa.RecordBatch]:
        try:
            while True:
                yield pa.record_batch({"n": [1]})
        finally:
            closed.append(True)

    ahead = read_ahead(reader(), depth=2)
    next(ahead)
    ahead.close()
    assert closed == [True]


def test_postgresql_sends_numeric_float_columns_as_double_and_keeps_the_query_inside():
    """ADBC reads NUMERIC as text: the server converts the declared floats, the query (and its order) untouched."""
    schema = pa.schema(
        [
            pa.field("claim_id", pa.int64(), metadata={"POSTGRESQL:type": "int8"}),
            pa.field("amount", pa.string(), metadata={"POSTGRESQL:type": "numeric"}),
            pa.field("code", pa.string(), metadata={"POSTGRESQL:type": "numeric"}),
        ]
    )
    query = "SELECT claim_id, amount, code FROM claims ORDER BY claim_id"
    assert numeric_as_double(query, schema, ["amount"]) == (
        'SELECT "claim_id", "amount"::float8 AS "amount", "code" FROM '
        "(SELECT claim_id, amount, code FROM claims ORDER BY claim_id) AS medcost_extract"
    )
    assert numeric_as_double(query, schema, ["claim_id"]) == query  # not numeric: as it was
