"""The source fingerprint on SQLite, PostgreSQL and MariaDB: same data, same bytes; a changed or deleted row is seen."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from medcost.core.contracts import SourceFingerprint, TableFingerprint, read_contract, write_contract
from medcost.core.errors import MedcostError
from medcost.core.params import ExtractParams, section
from medcost.demo_data import generate
from medcost.extract import (
    connect,
    extract_tables,
    require_written_as_fingerprinted,
    source_fingerprint,
    written_fingerprint,
)
from tests.conftest import fresh_database as create_database
from tests.conftest import require_mariadb, require_postgres

ROOT = Path(__file__).resolve().parents[2]
TEST_DB = "medcost_fp_test"
AS_OF, HISTORY_START = dt.date(2026, 1, 1), dt.date(2021, 1, 1)


def fingerprint(url: str, params: dict[str, Any], queries: dict[str, Path] | None = None) -> SourceFingerprint:
    cfg = section(params, "extract", ExtractParams)
    queries = queries or {name: ROOT / spec.fingerprint for name, spec in cfg.tables.items()}
    engine = connect(url)
    try:
        return source_fingerprint(engine, url, queries, {"as_of": cfg.as_of, "history_start": cfg.history_start})
    finally:
        engine.dispose()


def fresh_database(server: str) -> str:
    """The server's medcost_fp_test database, dropped and created empty (the test's own database)."""
    return create_database(server, TEST_DB)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres), "mariadb"])
def source(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A small generated source (300 clients, seed 3) on each database; the same rows on all three."""
    kind = request.param
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'demo.db'}"
    elif kind == "postgresql":
        url = fresh_database(require_postgres())
    else:
        url = fresh_database(f"{require_mariadb()}/")
    generate(url, clients=300, first_year=2021, years=5, seed=3, truth_path=tmp_path / "truth.parquet", progress=False)
    yield url


def execute(url: str, sql: str, **bind: Any) -> Any:
    """Run one statement (committed); return the first value of a SELECT."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql), bind)
            return result.scalar() if result.returns_rows else None
    finally:
        engine.dispose()


def in_window_claim(url: str) -> int:
    sql = "SELECT MIN(claim_id) FROM claims WHERE paid_date >= :start AND paid_date < :as_of"
    return int(execute(url, sql, start=HISTORY_START, as_of=AS_OF))


def open_client(url: str) -> int:
    return int(execute(url, "SELECT MIN(client_id) FROM clients WHERE enrolled_to IS NULL"))


def flip_flag(url: str) -> None:
    execute(url, "UPDATE clients SET diabetes = NOT diabetes WHERE client_id = :id", id=open_client(url))


def raise_amount(url: str) -> None:
    execute(url, "UPDATE claims SET amount = amount + 0.01 WHERE claim_id = :id", id=in_window_claim(url))


def move_birth_date(url: str) -> None:
    client = open_client(url)
    born = execute(url, "SELECT birth_date FROM clients WHERE client_id = :id", id=client)
    born = dt.date.fromisoformat(born) if isinstance(born, str) else born
    execute(url, "UPDATE clients SET birth_date = :d WHERE client_id = :id", d=born + dt.timedelta(days=1), id=client)


def delete_claim(url: str) -> None:
    execute(url, "DELETE FROM claims WHERE claim_id = :id", id=in_window_claim(url))


def test_the_same_source_gives_byte_identical_files_on_every_database(source, params, tmp_path):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    write_contract(first, fingerprint(source, params), digits=None)
    write_contract(second, fingerprint(source, params), digits=None)
    assert first.read_bytes() == second.read_bytes()
    written = read_contract(first, SourceFingerprint)
    assert written.dialect == make_url(source).get_backend_name()
    assert written.identity == source  # no password in these URLs: the identity is the URL itself
    assert written.tables["clients"].rows == 300 and written.tables["claims"].rows > 3000
    assert all(value is not None for table in written.tables.values() for value in table.signature.values())


@pytest.mark.postgres
def test_portable_sql_gives_the_same_signatures_on_sqlite_postgres_and_mariadb(params, tmp_path):
    sqlite_url = f"sqlite:///{tmp_path / 'demo.db'}"
    generate(
        sqlite_url, clients=300, first_year=2021, years=5, seed=3, truth_path=tmp_path / "t.parquet", progress=False
    )
    expected = fingerprint(sqlite_url, params).tables
    servers = {"postgresql": require_postgres, "mariadb": lambda: f"{require_mariadb()}/"}
    for kind, server in servers.items():
        url = fresh_database(server())
        generate(url, clients=300, first_year=2021, years=5, seed=3, truth_path=tmp_path / "t.parquet", progress=False)
        assert fingerprint(url, params).tables == expected, kind


@pytest.mark.parametrize(
    ("change", "table"),
    [(flip_flag, "clients"), (raise_amount, "claims"), (move_birth_date, "clients")],
    ids=["a flag", "an amount", "a date"],
)
def test_one_changed_row_changes_the_signature(source, params, change, table):
    before = fingerprint(source, params)
    change(source)
    after = fingerprint(source, params)
    assert after.tables[table].rows == before.tables[table].rows
    assert after.tables[table].signature != before.tables[table].signature
    other = "claims" if table == "clients" else "clients"
    assert after.tables[other] == before.tables[other]


def test_a_deleted_row_changes_the_row_count(source, params):
    before = fingerprint(source, params)
    delete_claim(source)
    after = fingerprint(source, params)
    assert after.tables["claims"].rows == before.tables["claims"].rows - 1
    assert after.tables["clients"] == before.tables["clients"]


def test_rows_extract_does_not_read_leave_the_fingerprint_alone(params, tmp_path):
    """A claim paid after as_of is not known at the snapshot date: extract need not rerun for it."""
    url = f"sqlite:///{tmp_path / 'source.db'}"
    generate(url, clients=200, first_year=2021, years=5, seed=4, truth_path=tmp_path / "t.parquet", progress=False)
    before = fingerprint(url, params)
    insert = (
        "INSERT INTO claims (claim_id, client_id, service_date, paid_date, category, amount) "
        "VALUES (:id, :client, :service, :paid, 'pharmacy', 12.5)"
    )
    new_id = int(execute(url, "SELECT MAX(claim_id) FROM claims")) + 1
    execute(url, insert, id=new_id, client=open_client(url), service=AS_OF, paid=dt.date(2026, 2, 1))
    assert fingerprint(url, params) == before
    execute(url, insert, id=new_id + 1, client=open_client(url), service=AS_OF, paid=dt.date(2025, 12, 30))
    assert fingerprint(url, params).tables["claims"].rows == before.tables["claims"].rows + 1


def test_a_relative_sqlite_path_stays_relative(small_source, params, monkeypatch):
    monkeypatch.chdir(small_source["path"].parent)
    relative = f"sqlite:///{small_source['path'].name}"
    assert fingerprint(relative, params).identity == relative


@pytest.mark.postgres
def test_the_identity_masks_the_password(params, tmp_path):
    url = fresh_database(require_postgres())
    generate(url, clients=50, first_year=2021, years=5, seed=3, truth_path=tmp_path / "t.parquet", progress=False)
    secret = url.replace("postgres@", "postgres:hunter2@")
    shown = fingerprint(secret, params)
    assert "hunter2" not in shown.model_dump_json() and "postgres:***@127.0.0.1:5432" in shown.identity


def test_a_broken_fingerprint_query_is_one_line_naming_table_and_file(small_source, params, tmp_path):
    no_rows = tmp_path / "no_rows.sql"
    no_rows.write_text("SELECT COUNT(*) AS n FROM clients")
    with pytest.raises(MedcostError, match=r"^clients: fingerprint query .*no_rows.sql must return a column `rows`"):
        fingerprint(small_source["url"], params, {"clients": no_rows})
    bad_column = tmp_path / "bad_column.sql"
    bad_column.write_text("SELECT COUNT(*) AS rows, SUM(premium) AS premium_sum FROM claims")
    with pytest.raises(
        MedcostError, match=r"^claims: fingerprint query .*bad_column.sql failed: no such column: premium$"
    ):
        fingerprint(small_source["url"], params, {"claims": bad_column})


def run_stage(params_file: Path, url: str) -> subprocess.CompletedProcess:
    env = {"MEDCOST_SOURCE_URL": url, "PATH": str(Path(sys.executable).parent)}
    command = [sys.executable, "-m", "stages.fingerprint", "--params", str(params_file)]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)


def test_the_stage_writes_the_file_and_an_unreachable_source_touches_nothing(small_source, params, tmp_path):
    paths = {**params["paths"], "source_fingerprint": str(tmp_path / "source.fingerprint.json")}
    params_file = tmp_path / "params.yaml"
    params_file.write_text(yaml.safe_dump({**params, "paths": paths}))
    assert run_stage(params_file, small_source["url"]).returncode == 0
    written = Path(paths["source_fingerprint"])
    assert read_contract(written, SourceFingerprint) == fingerprint(small_source["url"], params)
    before = written.read_bytes()
    assert run_stage(params_file, small_source["url"]).returncode == 0
    assert written.read_bytes() == before  # an unchanged source: the same bytes, extract does not rerun

    result = run_stage(params_file, "postgresql+psycopg2://bob:s3cret@127.0.0.1:1/nowhere")
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("error: fingerprint: cannot connect to postgresql+psycopg2://bob:***@127.0.0.1:1/nowhere: ")
    )
    assert "s3cret" not in result.stderr and "Traceback" not in result.stderr
    assert written.read_bytes() == before  # the persisted file is kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.yaml", "source.fingerprint.json"]


def extracted(url: str, params: dict[str, Any], folder: Path) -> dict[str, Path]:
    """The source's tables extracted to Parquet in ``folder`` as the extract stage writes them."""
    cfg = section(params, "extract", ExtractParams)
    queries = {name: ((ROOT / spec.query).read_text(), spec.columns) for name, spec in cfg.tables.items()}
    engine = connect(url)
    try:
        extract_tables(engine, queries, {"as_of": cfg.as_of, "history_start": cfg.history_start}, 5000, folder)
    finally:
        engine.dispose()
    return {name: folder / f"{name}.parquet" for name in cfg.tables}


def fingerprint_queries(params: dict[str, Any]) -> tuple[dict[str, Path], dict[str, Any]]:
    cfg = section(params, "extract", ExtractParams)
    queries = {name: ROOT / spec.fingerprint for name, spec in cfg.tables.items()}
    return queries, {"as_of": cfg.as_of, "history_start": cfg.history_start}


def test_the_fingerprint_of_the_written_parquet_is_the_sources_on_every_database(source, params, tmp_path):
    """extract checks what it wrote without scanning the source again: the same queries in DuckDB, the same values."""
    queries, bind = fingerprint_queries(params)
    files = extracted(source, params, tmp_path / "raw")
    assert written_fingerprint(files, queries, bind) == fingerprint(source, params).tables


def test_a_written_row_that_differs_is_seen_in_the_parquet(small_source, params, tmp_path):
    queries, bind = fingerprint_queries(params)
    files = extracted(small_source["url"], params, tmp_path / "raw")
    claims = pq.read_table(files["claims"])
    amounts = claims.column("amount").to_pylist()
    amounts[7] += 0.01
    pq.write_table(
        claims.set_column(claims.schema.get_field_index("amount"), "amount", pa.array(amounts)), files["claims"]
    )
    written = written_fingerprint(files, queries, bind)
    expected = fingerprint(small_source["url"], params).tables
    assert written["clients"] == expected["clients"]
    assert written["claims"].rows == expected["claims"].rows and written["claims"] != expected["claims"]


def test_the_source_decides_when_duckdb_cannot_run_a_fingerprint_query(small_source, params, tmp_path):
    """A query in the source's own dialect (SQLite's julianday) is not DuckDB's: the source is fingerprinted again."""
    queries, bind = fingerprint_queries(params)
    dialect = tmp_path / "fingerprint_clients.sql"
    dialect.write_text("SELECT COUNT(*) AS rows, SUM(julianday(birth_date)) AS born FROM clients")
    queries = {**queries, "clients": dialect}
    expected = fingerprint(small_source["url"], params, queries)
    files = extracted(small_source["url"], params, tmp_path / "raw")
    rescans: list[SourceFingerprint] = []

    def rescan() -> SourceFingerprint:
        rescans.append(fingerprint(small_source["url"], params, queries))
        return rescans[-1]

    require_written_as_fingerprinted(expected, files, queries, bind, rescan, tmp_path / "source.fingerprint.json")
    assert len(rescans) == 1
    with pytest.raises(
        MedcostError, match=r"changed since .*source.fingerprint.json was written: clients \(1500 -> 1499"
    ):
        shrunk = expected.model_copy(update={"tables": {**expected.tables}})
        shrunk.tables["clients"] = TableFingerprint(rows=1500, signature=expected.tables["clients"].signature)
        require_written_as_fingerprinted(
            shrunk,
            files,
            queries,
            bind,
            lambda: expected.model_copy(
                update={"tables": {**expected.tables, "clients": TableFingerprint(rows=1499, signature={})}}
            ),
            tmp_path / "source.fingerprint.json",
        )


def test_matching_parquet_needs_no_second_scan_of_the_source(small_source, params, tmp_path):
    queries, bind = fingerprint_queries(params)
    expected = fingerprint(small_source["url"], params)
    files = extracted(small_source["url"], params, tmp_path / "raw")

    def rescan() -> SourceFingerprint:
        raise AssertionError("the source was scanned again")

    require_written_as_fingerprinted(expected, files, queries, bind, rescan, tmp_path / "source.fingerprint.json")
