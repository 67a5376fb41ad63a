"""The demo source-database generator: determinism, schema, invariants, realism, backends."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from medcost import demo_data
from medcost.core.errors import MedcostError
from medcost.core.secrets import mask_url
from medcost.demo_data import simulate, writer

ROOT = Path(__file__).resolve().parents[2]
FIRST_YEAR, YEARS = 2021, 5
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def _generate(tmp: Path, name: str = "demo", *, clients: int = 300, seed: int = 7, **kw) -> tuple[Path, Path, dict]:
    db, truth = tmp / f"{name}.db", tmp / f"{name}.truth.parquet"
    summary = demo_data.generate(
        f"sqlite:///{db}",
        clients=clients,
        first_year=FIRST_YEAR,
        years=YEARS,
        seed=seed,
        truth_path=truth,
        progress=False,
        **kw,
    )
    return db, truth, summary


def _rows(db: Path, table: str) -> list[tuple]:
    with sqlite3.connect(db) as con:
        return con.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A moderate population (8,000 clients x 5 years), shared by the read-only tests."""
    tmp = tmp_path_factory.mktemp("demo")
    db, truth, summary = _generate(tmp, clients=8_000, seed=11)
    with sqlite3.connect(db) as con:
        clients = pd.read_sql_query("SELECT * FROM clients", con)
        claims = pd.read_sql_query("SELECT * FROM claims", con)
    return {
        "db": db,
        "truth_path": truth,
        "summary": summary,
        "clients": clients,
        "claims": claims,
        "truth": pd.read_parquet(truth),
    }


# ------------------------------------------------------------------------ determinism


def test_same_seed_same_rows_different_seed_different_rows(tmp_path: Path) -> None:
    a = _generate(tmp_path, "a", seed=7)
    b = _generate(tmp_path, "b", seed=7)
    c = _generate(tmp_path, "c", seed=8)
    for table in ("clients", "claims"):
        assert _rows(a[0], table) == _rows(b[0], table)
        assert _rows(a[0], table) != _rows(c[0], table)
    pd.testing.assert_frame_equal(pd.read_parquet(a[1]), pd.read_parquet(b[1]))
    assert not pd.read_parquet(a[1]).equals(pd.read_parquet(c[1]))
    assert a[2]["claims"] == len(_rows(a[0], "claims")) > 0


def test_rows_do_not_depend_on_chunk_size_and_smaller_is_a_prefix(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(simulate, "SEED_BLOCK", 100)  # several random streams at a small size
    big = _generate(tmp_path, "big", clients=350, chunk_clients=1_000)
    chunked = _generate(tmp_path, "chunked", clients=350, chunk_clients=1)
    small = _generate(tmp_path, "small", clients=200)
    for table in ("clients", "claims"):
        assert _rows(big[0], table) == _rows(chunked[0], table)
    assert _rows(small[0], "clients") == _rows(big[0], "clients")[:200]
    small_claims = _rows(small[0], "claims")
    assert small_claims == _rows(big[0], "claims")[: len(small_claims)]


# ------------------------------------------------------------------------------ schema

CLIENT_TYPES = {
    "client_id": "INTEGER",
    "birth_date": "DATE",
    "sex": "VARCHAR(20)",
    "region": "VARCHAR(20)",
    "plan": "VARCHAR(20)",
    "smoker": "BOOLEAN",
    "bmi": "FLOAT",
    "children": "INTEGER",
    "diabetes": "BOOLEAN",
    "hypertension": "BOOLEAN",
    "heart_disease": "BOOLEAN",
    "copd": "BOOLEAN",
    "enrolled_from": "DATE",
    "enrolled_to": "DATE",
}
CLAIM_TYPES = {
    "claim_id": "INTEGER",
    "client_id": "INTEGER",
    "service_date": "DATE",
    "paid_date": "DATE",
    "category": "VARCHAR(20)",
    "amount": "NUMERIC(12, 2)",
}


def test_schema_names_and_types_on_sqlite(demo: dict) -> None:
    engine = sa.create_engine(f"sqlite:///{demo['db']}")
    try:
        inspector = sa.inspect(engine)
        assert set(inspector.get_table_names()) == {"clients", "claims"}  # no truth table inside
        for table, expected in (("clients", CLIENT_TYPES), ("claims", CLAIM_TYPES)):
            columns = inspector.get_columns(table)
            assert [c["name"] for c in columns] == list(expected)
            assert {c["name"]: str(c["type"]) for c in columns} == expected
        assert inspector.get_pk_constraint("clients")["constrained_columns"] == ["client_id"]
        assert inspector.get_pk_constraint("claims")["constrained_columns"] == ["claim_id"]
        indexed = {tuple(i["column_names"]) for i in inspector.get_indexes("claims")}
        assert indexed == {("client_id",)}
        for query in ("sql/claims.sql", "sql/fingerprint_claims.sql"):  # one scan in claim_id order, no sort
            sql = (ROOT / query).read_text()
            with engine.connect() as conn:
                plan = " | ".join(
                    str(row[-1])
                    for row in conn.execute(
                        sa.text(f"EXPLAIN QUERY PLAN {sql}"), {"history_start": "2021-01-01", "as_of": "2026-01-01"}
                    )
                )
            assert plan == "SCAN claims", (query, plan)
        with engine.connect() as conn:  # SQLAlchemy reads the stored values back with their types
            row = conn.execute(sa.select(demo_data.build_metadata().tables["claims"]).limit(1)).one()
        assert isinstance(row.service_date, dt.date) and row.amount >= 0
    finally:
        engine.dispose()


# -------------------------------------------------------------------------- invariants


def test_invariants(demo: dict) -> None:
    clients, claims = demo["clients"], demo["claims"]
    assert clients["client_id"].is_unique and claims["claim_id"].is_unique
    assert (claims["amount"] >= 0).all()
    assert claims["client_id"].isin(clients["client_id"]).all()
    service, paid = pd.to_datetime(claims["service_date"]), pd.to_datetime(claims["paid_date"])
    lag = (paid - service).dt.days
    assert lag.between(0, 62).all() and (lag < 21).mean() > 0.8
    assert service.dt.year.between(FIRST_YEAR, FIRST_YEAR + YEARS - 1).all()
    assert set(claims["category"]) == set(demo_data.CATEGORIES)
    # claims only while enrolled (enrolled_to is the last covered day)
    span = clients.set_index("client_id")[["enrolled_from", "enrolled_to"]].apply(pd.to_datetime)
    start = claims["client_id"].map(span["enrolled_from"])
    end = claims["client_id"].map(span["enrolled_to"]).fillna(pd.Timestamp("2100-01-01"))
    assert ((service >= start) & (service <= end)).all()
    assert (span["enrolled_to"].dropna() >= span["enrolled_from"].reindex(span["enrolled_to"].dropna().index)).all()


def test_truth_has_one_row_per_enrolled_client_year(demo: dict) -> None:
    clients, claims, truth = demo["clients"], demo["claims"], demo["truth"]
    assert list(truth.columns) == ["client_id", "year", "expected_cost"]
    assert [str(t) for t in truth.dtypes] == ["int64", "int64", "float64"]
    assert not truth.duplicated(["client_id", "year"]).any()
    assert (truth["expected_cost"] > 0).all()
    start = pd.to_datetime(clients["enrolled_from"])
    end = pd.to_datetime(clients["enrolled_to"]).fillna(pd.Timestamp("2100-01-01"))
    expected = set()
    for year in range(FIRST_YEAR, FIRST_YEAR + YEARS):
        enrolled = (start <= pd.Timestamp(year, 12, 31)) & (end >= pd.Timestamp(year, 1, 1))
        expected |= {(int(c), year) for c in clients.loc[enrolled, "client_id"]}
    assert set(zip(truth["client_id"].tolist(), truth["year"].tolist())) == expected
    claim_years = set(zip(claims["client_id"].tolist(), pd.to_datetime(claims["service_date"]).dt.year.tolist()))
    assert claim_years <= expected
    assert demo["summary"]["client_years"] == len(truth)


def test_truth_is_unbiased_for_the_yearly_totals(demo: dict) -> None:
    claims, truth = demo["claims"], demo["truth"]
    actual = claims.groupby(pd.to_datetime(claims["service_date"]).dt.year)["amount"].sum()
    expected = truth.groupby("year")["expected_cost"].sum()
    ratio = actual.sum() / expected.sum()
    assert 0.93 < ratio < 1.07, ratio


# ----------------------------------------------------------------------------- realism


def test_realism_against_meps(demo: dict) -> None:
    r = demo_data.realism_report(f"sqlite:///{demo['db']}", demo["truth_path"])
    assert 0.15 <= r["top1_share"] <= 0.32, r
    assert 0.38 <= r["top5_share"] <= 0.60, r
    assert r["bottom50_share"] <= 0.04, r
    assert 0.08 <= r["zero_share"] <= 0.28, r
    assert 2.2 <= r["age_ratio_65_vs_18_34"] <= 5.5, r
    assert 4_000 <= r["mean_cost"] <= 8_500, r
    assert 3.5 <= r["mean_claims"] <= 8.0, r
    assert 0.62 <= r["stay_bottom50"] <= 0.85, r
    assert 0.15 <= r["r2_truth"] <= 0.6, r  # the best possible model is far from R2 = 1
    assert r["r2_history_ols"] < r["r2_truth_next"], r
    by_age = list(r["mean_cost_by_age"].values())
    assert by_age == sorted(by_age), r


def test_dirty_values_exist(demo: dict) -> None:
    clients = demo["clients"]
    for column, canonical in (("sex", demo_data.SEXES), ("region", demo_data.REGIONS), ("plan", demo_data.PLANS)):
        odd = ~clients[column].isin(canonical)
        assert 0.005 < odd.mean() < 0.05, column
        assert clients.loc[odd, column].str.strip().str.lower().isin(canonical).all(), column
    assert 0.015 < clients["bmi"].isna().mean() < 0.05
    bad_bmi = (clients["bmi"] < 12) | (clients["bmi"] > 70)
    assert 0.001 < bad_bmi.mean() < 0.015
    assert clients["smoker"].isna().mean() > 0.003
    assert clients["children"].isna().sum() > 0
    plausible = clients.loc[~bad_bmi, "bmi"].dropna()
    assert 26 < plausible.median() < 30 and plausible.mean() > plausible.median()  # right-skewed
    assert 0.12 < clients["smoker"].mean() < 0.25


# --------------------------------------------------------------------- writing, safety


def test_core_insert_path_writes_the_same_rows(tmp_path: Path, monkeypatch) -> None:
    fast = _generate(tmp_path, "fast")
    monkeypatch.setattr(writer, "_insert_mode", lambda dialect, driver: "core")
    core = _generate(tmp_path, "core")
    for table in ("clients", "claims"):
        assert _rows(core[0], table) == _rows(fast[0], table)


def test_multi_row_inserts_store_the_same_values_and_types_as_one_row_statements(tmp_path: Path, monkeypatch) -> None:
    def stored(db: Path, table: str) -> list[tuple]:  # values and SQLite storage classes, by key
        with sqlite3.connect(db) as con:
            names = [row[1] for row in con.execute(f"PRAGMA table_info({table})")]
            types = ", ".join(f"typeof({n})" for n in names)
            return con.execute(f"SELECT *, {types} FROM {table} ORDER BY 1").fetchall()

    monkeypatch.setattr(writer, "INSERT_BATCH", 250)  # batches that leave rows over for one-row statements
    wide = _generate(tmp_path, "wide")
    monkeypatch.setattr(writer, "ROWS_PER_STATEMENT", 1)
    single = _generate(tmp_path, "single")
    for table in ("clients", "claims"):
        assert stored(wide[0], table) == stored(single[0], table)
    assert wide[2]["claims"] > writer.INSERT_BATCH > 0


def test_a_crash_leaves_the_previous_outputs_untouched(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(simulate, "SEED_BLOCK", 100)
    db, truth, _ = _generate(tmp_path, "demo", clients=300)
    before = (db.read_bytes(), truth.read_bytes())
    real = simulate.simulate_block
    calls = {"n": 0}

    def crash(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("boom")
        return real(*args, **kwargs)

    monkeypatch.setattr(simulate, "simulate_block", crash)
    with pytest.raises(RuntimeError, match="boom"):
        _generate(tmp_path, "demo", clients=300, seed=99)
    assert (db.read_bytes(), truth.read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.db", "demo.truth.parquet"]


def test_refuses_to_replace_a_sqlite_file_with_other_tables(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE precious (x INTEGER)")
    with pytest.raises(MedcostError, match="precious"):
        _generate(tmp_path, "demo")
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT name FROM sqlite_master").fetchall() == [("precious",)]


def test_bad_arguments_and_passwords_are_masked(tmp_path: Path, caplog) -> None:
    with pytest.raises(MedcostError, match="clients"):
        _generate(tmp_path, clients=0)
    assert "s3cret" not in mask_url("postgresql://bob:s3cret@db.example/x")
    with pytest.raises(MedcostError) as info:
        demo_data.generate(
            "postgresql://bob:s3cret@127.0.0.1:1/x",
            clients=10,
            first_year=2021,
            years=2,
            seed=1,
            truth_path=tmp_path / "t.parquet",
            progress=False,
        )
    assert "s3cret" not in str(info.value) and "s3cret" not in caplog.text
    assert "bob:***@" in str(info.value)
    assert not list(tmp_path.iterdir())  # no truth, no temp file left


# ----------------------------------------------------------------------- command line


def _params(tmp_path: Path) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(
        "paths:\n  source_db: data/source/demo.db\n  truth: data/source/truth.parquet\n"
        "demo:\n  clients: 120\n  first_year: 2022\n  years: 3\n  seed: 5\n"
    )
    return path


def test_cli_defaults_from_params_and_if_missing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MEDCOST_SOURCE_URL", raising=False)
    params = _params(tmp_path)
    summary = demo_data.main(["--params", str(params), "--no-progress"])
    db, truth = tmp_path / "data/source/demo.db", tmp_path / "data/source/truth.parquet"
    assert summary is not None and summary["clients"] == 120
    assert db.exists() and truth.exists()
    assert set(pd.read_parquet(truth)["year"]) <= {2022, 2023, 2024}
    stamp = db.stat().st_mtime_ns
    assert demo_data.main(["--params", str(params), "--if-missing"]) is None
    assert db.stat().st_mtime_ns == stamp
    summary = demo_data.main(["--params", str(params), "--clients", "50", "--seed", "6", "--no-progress"])
    assert summary is not None and len(_rows(db, "clients")) == 50


def test_cli_if_missing_leaves_an_external_source_alone(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MEDCOST_SOURCE_URL", "postgresql://bob:s3cret@db.example/claims")
    assert demo_data.main(["--params", str(_params(tmp_path)), "--if-missing"]) is None
    assert not (tmp_path / "data").exists()


def test_cli_if_missing_reads_the_source_url_from_dotenv(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MEDCOST_SOURCE_URL", raising=False)
    (tmp_path / ".env").write_text("MEDCOST_SOURCE_URL=postgresql://bob:s3cret@db.example/claims\n")
    try:
        assert demo_data.main(["--params", str(_params(tmp_path)), "--if-missing"]) is None
    finally:
        os.environ.pop("MEDCOST_SOURCE_URL", None)  # load_dotenv set it for this process
    assert not (tmp_path / "data").exists()


def test_cli_error_is_one_line_and_exit_1(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("MEDCOST_SOURCE_URL", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "medcost.demo_data",
            "--params",
            str(_params(tmp_path)),
            "--url",
            "postgresql://bob:s3cret@127.0.0.1:1/x",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: demo_data: ")
    assert "s3cret" not in done.stderr and "Traceback" not in done.stderr


# ------------------------------------------------------------------------- PostgreSQL


@pytest.mark.postgres
def test_writes_to_postgresql(tmp_path: Path) -> None:
    base = os.environ.get("MEDCOST_TEST_PG_URL", PG_DEFAULT)
    connect_args = {"connect_timeout": 5} if sa.engine.make_url(base).get_driver_name() == "psycopg2" else {}
    admin = sa.create_engine(base, connect_args=connect_args)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # any failure to reach the server
        cause = getattr(exc, "orig", None) or exc
        reason = f"PostgreSQL unreachable at {mask_url(base)}: {' '.join(str(cause).split())[:200]}"
        admin.dispose()
        if os.environ.get("CI"):
            pytest.fail(reason)
        print(reason)
        pytest.skip(reason)
    schema = f"medcost_test_{os.getpid()}"
    url = sa.engine.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        summary = demo_data.generate(
            url.render_as_string(hide_password=False),
            clients=400,
            first_year=FIRST_YEAR,
            years=YEARS,
            seed=7,
            truth_path=tmp_path / "pg.parquet",
            progress=False,
        )
        summary_again = demo_data.generate(
            url.render_as_string(hide_password=False),
            clients=400,
            first_year=FIRST_YEAR,
            years=YEARS,
            seed=7,
            truth_path=tmp_path / "pg.parquet",
            progress=False,
        )
        assert summary["claims"] == summary_again["claims"]  # dropped and recreated, not appended
        lite_db, lite_truth, lite = _generate(tmp_path, "lite", clients=400, seed=7)
        inspector = sa.inspect(admin)
        assert set(inspector.get_table_names(schema=schema)) == {"clients", "claims"}
        types = {c["name"]: str(c["type"]) for c in inspector.get_columns("claims", schema=schema)}
        assert types["amount"] == "NUMERIC(12, 2)" and types["service_date"] == "DATE"
        with admin.connect() as conn:
            pg_claims = conn.exec_driver_sql(
                f"SELECT count(*), sum(amount), min(service_date), max(paid_date) FROM {schema}.claims"
            ).one()
            pg_clients = conn.exec_driver_sql(
                f"SELECT count(*), count(bmi), count(enrolled_to), sum(CASE WHEN smoker THEN 1 ELSE 0 END) "
                f"FROM {schema}.clients"
            ).one()
        with sqlite3.connect(lite_db) as con:
            lite_claims = con.execute(
                "SELECT count(*), round(sum(amount), 2), min(service_date), max(paid_date) FROM claims"
            ).fetchone()
            lite_clients = con.execute(
                "SELECT count(*), count(bmi), count(enrolled_to), sum(smoker) FROM clients"
            ).fetchone()
        assert pg_claims[0] == lite_claims[0] == lite["claims"]
        assert float(pg_claims[1]) == pytest.approx(lite_claims[1], abs=0.01)
        assert (pg_claims[2].isoformat(), pg_claims[3].isoformat()) == (lite_claims[2], lite_claims[3])
        assert tuple(pg_clients) == tuple(lite_clients)
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "pg.parquet"), pd.read_parquet(lite_truth))
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()
