"""Extract: bound queries, declared types, streaming, and one-line errors for bad sources."""

import datetime as dt
import decimal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from sqlalchemy import create_engine

from medcost.core.contracts import TableExtract
from medcost.core.errors import MedcostError
from medcost.core.params import ExtractParams, section
from medcost.core.secrets import mask_url
from medcost.extract import arrow_schema, connect, convert_column, extract_tables, read_query

ROOT = Path(__file__).resolve().parents[2]


def run_extract(
    url: str, params: dict, out_dir: Path, chunk_rows: int | None = None, reader: str = "auto"
) -> dict[str, TableExtract]:
    cfg = section(params, "extract", ExtractParams)
    queries = {n: ((ROOT / s.query).read_text(), s.columns) for n, s in cfg.tables.items()}
    bind = {"as_of": cfg.as_of, "history_start": cfg.history_start}
    engine = connect(url)
    try:
        return extract_tables(engine, queries, bind, chunk_rows or cfg.chunk_rows, out_dir, reader=reader)
    finally:
        engine.dispose()


def test_extract_writes_declared_schema(small_source, params, tmp_path):
    stats = run_extract(small_source["url"], params, tmp_path, chunk_rows=1000)  # many chunks
    cfg = section(params, "extract", ExtractParams)
    for table, spec in cfg.tables.items():
        written = pq.read_schema(tmp_path / f"{table}.parquet")
        assert written.remove_metadata() == arrow_schema(spec.columns)
        assert pq.read_metadata(tmp_path / f"{table}.parquet").num_rows == stats[table].rows > 0


def test_queries_are_point_in_time(small_source, params, tmp_path):
    """The claims query keeps exactly the claims paid inside [history_start, as_of)."""
    run_extract(small_source["url"], params, tmp_path)
    cfg = section(params, "extract", ExtractParams)
    claims = pd.read_parquet(tmp_path / "claims.parquet")
    assert claims["paid_date"].max() < cfg.as_of
    assert claims["paid_date"].min() >= cfg.history_start
    with sqlite3.connect(small_source["path"]) as con:
        expected = con.execute(
            "SELECT count(*) FROM claims WHERE paid_date >= ? AND paid_date < ?",
            (cfg.history_start.isoformat(), cfg.as_of.isoformat()),
        ).fetchone()[0]
        later = con.execute("SELECT count(*) FROM claims WHERE paid_date >= ?", (cfg.as_of.isoformat(),)).fetchone()[0]
    assert len(claims) == expected
    assert later > 0, "the demo data should hold claims paid after as_of, so the filter is exercised"


def test_every_extracted_claims_client_is_extracted_once_the_window_has_moved(small_source, params, tmp_path):
    """A year later the window starts a year later: a client who left before it, with a claim serviced while
    enrolled and paid in it, is extracted with that claim (validate's claims->clients check would reject it)."""
    moved = {**params, "extract": {**params["extract"], "history_years": 4}}  # history_start 2022
    run_extract(small_source["url"], moved, tmp_path)
    cfg = section(moved, "extract", ExtractParams)
    clients = pd.read_parquet(tmp_path / "clients.parquet")
    claims = pd.read_parquet(tmp_path / "claims.parquet")
    assert claims["client_id"].isin(clients["client_id"]).all()
    left_before = clients.loc[pd.to_datetime(clients["enrolled_to"]) < pd.Timestamp(cfg.history_start), "client_id"]
    assert len(left_before) > 0, "the demo data should hold such clients, so the rule is exercised"
    assert left_before.isin(claims["client_id"]).all()  # only those with a claim paid in the window
    with sqlite3.connect(small_source["path"]) as con:
        in_window = con.execute(
            "SELECT count(*) FROM clients WHERE enrolled_from < ? AND (enrolled_to IS NULL OR enrolled_to >= ?)",
            (cfg.as_of.isoformat(), cfg.history_start.isoformat()),
        ).fetchone()[0]
    assert len(clients) == in_window + len(left_before)


def test_the_same_source_gives_byte_identical_files(small_source, params, tmp_path):
    run_extract(small_source["url"], params, tmp_path / "a")
    run_extract(small_source["url"], params, tmp_path / "b", chunk_rows=777)
    for name in ("clients", "claims"):
        assert pd.read_parquet(tmp_path / "a" / f"{name}.parquet").equals(
            pd.read_parquet(tmp_path / "b" / f"{name}.parquet")
        )


@pytest.mark.parametrize(
    ("kind", "values", "expected"),
    [
        ("int", [1, "2", None, 3.0], [1, 2, None, 3]),
        ("float", [decimal.Decimal("1.25"), "2.5", None, 3], [1.25, 2.5, None, 3.0]),
        ("bool", [1, 0, True, None, "f"], [True, False, True, None, False]),
        (
            "date",
            ["2024-02-29", dt.date(2023, 1, 2), None, dt.datetime(2022, 5, 6)],
            [dt.date(2024, 2, 29), dt.date(2023, 1, 2), None, dt.date(2022, 5, 6)],
        ),
        ("str", ["a", 1, None], ["a", "1", None]),
    ],
)
def test_driver_values_become_the_declared_type(kind, values, expected):
    assert convert_column("t", "c", kind, pd.Series(values, dtype=object)).to_pylist() == expected


@pytest.mark.parametrize(
    ("kind", "values", "shown"),
    [
        ("float", [1.0, "abc"], "'abc'"),
        ("int", [1, 2.5], "2.5"),
        ("bool", [1, "maybe"], "'maybe'"),
        ("date", ["2024-01-01", "yesterday"], "'yesterday'"),
    ],
)
def test_a_value_of_the_wrong_type_is_named(kind, values, shown):
    with pytest.raises(
        MedcostError, match=rf"claims\.amount: expected {kind}, found 1 value\(s\) that are not: {shown}"
    ):
        convert_column("claims", "amount", kind, pd.Series(values, dtype=object))


def copy_source(small_source, tmp_path, *statements: str) -> str:
    db = tmp_path / "source.db"
    with sqlite3.connect(small_source["path"]) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
        for statement in statements:
            dst.execute(statement)
    return f"sqlite:///{db}"


@pytest.mark.parametrize(
    ("statements", "message"),
    [
        # the clients query reads claims too (clients who left before the window with a claim paid in it)
        (["DROP TABLE claims"], "query failed: no such table: claims"),
        (["ALTER TABLE clients DROP COLUMN bmi"], "clients: query failed: no such column: bmi"),
        (["DELETE FROM claims"], "claims: the query returned no rows (as_of=2026-01-01, history_start=2021-01-01)"),
        (
            ["UPDATE claims SET amount = 'n/a' WHERE claim_id = (SELECT min(claim_id) FROM claims)"],
            "claims.amount: expected float, found 1 value(s) that are not: 'n/a'",
        ),
    ],
)
@pytest.mark.parametrize("reader", ["auto", "sqlalchemy"])
def test_bad_source_gives_one_line_error_and_no_output(small_source, params, tmp_path, statements, message, reader):
    url = copy_source(small_source, tmp_path, *statements)
    with pytest.raises(MedcostError) as err:
        run_extract(url, params, tmp_path / "raw", reader=reader)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_unreachable_server_is_named_with_password_masked():
    url = "postgresql+psycopg2://medcost:s3cret@127.0.0.1:1/nowhere"
    with pytest.raises(MedcostError) as err:
        connect(url)
    text = str(err.value)
    assert text.startswith("cannot connect to postgresql+psycopg2://medcost:***@127.0.0.1:1/nowhere")
    assert "s3cret" not in text


def test_missing_sqlite_file_is_named(tmp_path):
    with pytest.raises(MedcostError, match="does not exist .*make data"):
        connect(f"sqlite:///{tmp_path}/missing.db")


def test_wrong_password_is_refused_and_masked():
    """MariaDB on this machine checks passwords (PostgreSQL here trusts every local user)."""
    url = "mysql+pymysql://root:wrong-password@127.0.0.1:3306/test"
    try:
        create_engine("mysql+pymysql://root@127.0.0.1:3306/test").connect().close()
    except Exception as exc:
        pytest.skip(f"MariaDB at 127.0.0.1:3306 not reachable: {str(exc).splitlines()[0]}")
    with pytest.raises(MedcostError) as err:
        connect(url)
    assert "Access denied" in str(err.value)
    assert "wrong-password" not in str(err.value)
    assert mask_url(url) in str(err.value)


def test_a_missing_query_file_is_named(tmp_path):
    with pytest.raises(MedcostError, match=r"extract.tables: query file .*nope.sql: No such file or directory"):
        read_query(tmp_path / "nope.sql")


def run_stage(stage: str, params_file: Path, url: str) -> subprocess.CompletedProcess:
    env = {"MEDCOST_SOURCE_URL": url, "PATH": str(Path(sys.executable).parent)}
    command = [sys.executable, "-m", f"stages.{stage}", "--params", str(params_file)]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)


def test_extract_writes_nothing_unless_the_source_is_the_fingerprinted_one(small_source, params, tmp_path):
    """DVC caches data/raw under the fingerprint file: a stale file or a source changed since must stop extract."""
    work = tmp_path / "work"
    names = ("source_fingerprint", "raw", "metrics", "run_log")
    paths = {**params["paths"], **{name: str(work / name) for name in names}}
    params_file = tmp_path / "params.yaml"
    params_file.write_text(yaml.safe_dump({**params, "paths": paths}))
    url = copy_source(small_source, tmp_path)
    assert run_stage("fingerprint", params_file, url).returncode == 0

    delete = "DELETE FROM claims WHERE claim_id = (SELECT MAX(claim_id) FROM claims WHERE paid_date < '2026-01-01')"
    with sqlite3.connect(tmp_path / "source.db") as db:  # a live source changes after the fingerprint stage ran
        db.execute(delete)
    changed = run_stage("extract", params_file, url)
    assert changed.returncode == 1, changed.stderr
    line = changed.stderr.strip().splitlines()[-1]
    assert line.startswith(f"error: extract: source {url} changed since {work / 'source_fingerprint'} was written: ")
    assert "claims (" in line and "clients" not in line and "run `dvc repro` again" in line
    assert sorted(p.name for p in work.iterdir()) == ["run_log", "source_fingerprint"]  # no raw, no temporaries

    other = f"sqlite:///{small_source['path']}"
    stale = run_stage("extract", params_file, other)
    assert stale.returncode == 1
    assert stale.stderr.strip().splitlines()[-1] == (
        f"error: extract: {work / 'source_fingerprint'} describes source {url}, but the source is {other}: "
        "nothing was written; run `dvc repro` (its fingerprint stage runs first), not extract alone"
    )
    assert not (work / "raw").exists()

    assert run_stage("fingerprint", params_file, url).returncode == 0
    assert run_stage("extract", params_file, url).returncode == 0
    assert sorted(p.name for p in (work / "raw").iterdir()) == ["claims.parquet", "clients.parquet"]
