"""Extract against the real PostgreSQL server: same columns, dtypes and values as SQLite."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from medcost.core.errors import MedcostError
from tests.conftest import require_postgres
from tests.unit.test_extract import run_extract

pytestmark = pytest.mark.postgres
SCHEMA = "medcost_extract_test"


@pytest.fixture(scope="module")
def pg_source(small_source, tmp_path_factory):
    """The same seeded demo data as small_source, written to its own PostgreSQL schema."""
    from medcost.demo_data import generate

    base = require_postgres()
    with create_engine(base).begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    url = f"{base}?options=-csearch_path%3D{SCHEMA}"
    generate(
        url,
        clients=1500,
        first_year=2021,
        years=5,
        seed=7,
        truth_path=tmp_path_factory.mktemp("pg") / "truth.parquet",
        progress=False,
    )
    yield url
    with create_engine(base).begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))


def test_postgres_and_sqlite_give_identical_extracts(pg_source, small_source, params, tmp_path):
    pg_stats = run_extract(pg_source, params, tmp_path / "pg", chunk_rows=5000, reader="arrow")  # cursor, many chunks
    lite_stats = run_extract(small_source["url"], params, tmp_path / "sqlite")
    assert pg_stats["claims"].rows == lite_stats["claims"].rows
    for table in ("clients", "claims"):
        pg = pd.read_parquet(tmp_path / "pg" / f"{table}.parquet")
        lite = pd.read_parquet(tmp_path / "sqlite" / f"{table}.parquet")
        assert list(pg.columns) == list(lite.columns)
        assert pg.dtypes.to_dict() == lite.dtypes.to_dict()
        pd.testing.assert_frame_equal(pg, lite)


def test_postgres_errors_are_one_line(pg_source, params, tmp_path):
    broken = pg_source.replace(SCHEMA, "no_such_schema")
    with pytest.raises(MedcostError) as err:
        run_extract(broken, params, tmp_path)
    assert 'clients: query failed: relation "clients" does not exist' in str(err.value)
    assert "\n" not in str(err.value)
