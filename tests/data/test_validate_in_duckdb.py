"""The raw extract validated where it is (DuckDB over its Parquet files) gives what pandas gives on the frames, to the byte.

Each case is the demo extract with dirt written into its Parquet files by DuckDB: the raw
suites run once on the frames ``read_raw`` reads (Great Expectations' pandas engine, the
reference) and once on the files in DuckDB; the reports, the Data Docs (every page, byte for
byte) and the snapshot profiles must be equal.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pytest

from medcost import validate
from medcost.core.duck import connect
from medcost.core.params import DuckDBParams, ExtractParams, TransformParams, ValidateParams, section
from tests.unit.test_extract import run_extract

CLIENTS = "read_parquet('{raw}/clients.parquet')"
CLAIMS = "read_parquet('{raw}/claims.parquet')"

# Many kinds of dirt at once, each in its own rows or columns (so every one shows in the results).
DIRTY_CLIENTS = f"""
SELECT * REPLACE (
    CASE WHEN client_id % 97 = 5 THEN DATE '1776-01-01' ELSE birth_date END AS birth_date,
    CASE WHEN client_id % 50 = 1 THEN 'Atlantis' WHEN client_id % 50 = 2 THEN ' NorthEast' || chr(160)
         WHEN client_id % 50 = 3 THEN 'SOUTHWEST' || chr(10) WHEN client_id % 50 = 4 THEN 'west' || chr(11)
         ELSE region END AS region,
    CASE WHEN client_id % 41 = 0 THEN DATE '2020-01-01' ELSE enrolled_to END AS enrolled_to,
    CASE WHEN client_id % 13 = 0 THEN NULL ELSE smoker END AS smoker,
    CASE WHEN client_id % 89 = 3 THEN NULL ELSE client_id END AS client_id
) FROM {CLIENTS}
UNION ALL (SELECT * FROM {CLIENTS} WHERE client_id % 101 = 7)
"""
DIRTY_CLAIMS = f"""
SELECT * REPLACE (
    CASE WHEN claim_id % 500 = 3 THEN DATE '2026-02-01' ELSE service_date END AS service_date,
    CASE WHEN claim_id % 700 = 1 THEN service_date - 3 ELSE paid_date END AS paid_date,
    CASE WHEN claim_id % 1000 = 1 THEN -5.0 WHEN claim_id % 1000 = 2 THEN 1e9 WHEN claim_id % 1000 = 3 THEN 'nan'::DOUBLE
         WHEN claim_id % 1000 = 4 THEN NULL WHEN claim_id % 1000 = 5 THEN 'inf'::DOUBLE ELSE amount END AS amount,
    CASE WHEN claim_id % 300 = 7 THEN client_id + 10000000 WHEN claim_id % 300 = 8 THEN NULL ELSE client_id END
        AS client_id,
    CASE WHEN claim_id % 200 = 1 THEN 'Dental' WHEN claim_id % 200 = 2 THEN NULL WHEN claim_id % 200 = 3 THEN ' PHARMACY '
         ELSE category END AS category
) FROM {CLAIMS}
UNION ALL (SELECT * FROM {CLAIMS} WHERE claim_id % 2000 = 1)
"""
CASES = {
    "clean": (None, None),
    "dirty": (DIRTY_CLIENTS, DIRTY_CLAIMS),
    "types": (
        # an int stored as float (integral: typed Int64), another with fractions (left float), a column all NULL
        f"SELECT * REPLACE (CAST(children AS DOUBLE) + CASE WHEN client_id % 100 = 0 THEN 0.5 ELSE 0 END AS children,"
        f" CAST(NULL AS DOUBLE) AS bmi) FROM {CLIENTS}",
        f"SELECT * REPLACE (CAST(client_id AS DOUBLE) AS client_id) FROM {CLAIMS}",
    ),
    "columns-and-no-claims": (
        f"SELECT * EXCLUDE (bmi), 42.0 AS shoe_size FROM {CLIENTS}",
        f"SELECT * FROM {CLAIMS} WHERE false",
    ),
    "text-amounts": (
        None,
        f"SELECT * REPLACE (CASE WHEN claim_id % 1000 = 1 THEN 'n/a' ELSE amount::VARCHAR END AS amount) FROM {CLAIMS}",
    ),
}


@pytest.fixture(scope="module")
def clean_raw(small_source, params, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("raw")
    run_extract(small_source["url"], params, folder)
    return folder


def dirty_copy(clean: Path, folder: Path, clients: str | None, claims: str | None) -> Path:
    folder.mkdir()
    con = duckdb.connect()
    for name, sql in (
        ("clients", clients or f"SELECT * FROM {CLIENTS}"),
        ("claims", claims or f"SELECT * FROM {CLAIMS}"),
    ):
        con.execute(f"COPY ({sql.format(raw=clean)}) TO '{folder / name}.parquet' (FORMAT parquet)")
    con.close()
    return folder


TRACEBACK = re.compile(rb"Traceback \(most recent call last\):.*?(?=</span>|</td>|</div>)", re.DOTALL)
"""The stack of an expectation that raised: the same error is raised from other code in DuckDB than in pandas."""


def pages(folder: Path) -> dict[str, bytes]:
    """Every file of the Data Docs by path (styles and fonts too), tracebacks aside."""
    return {
        p.relative_to(folder).as_posix(): TRACEBACK.sub(b"(traceback)", p.read_bytes())
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("case", list(CASES))
def test_duckdb_gives_the_pandas_results_reports_docs_and_profile(case, clean_raw, params, tmp_path):
    raw = dirty_copy(clean_raw, tmp_path / "raw", *CASES[case])
    extract, transform = section(params, "extract", ExtractParams), section(params, "transform", TransformParams)
    cfg = section(params, "validate", ValidateParams)
    on = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    frames = validate.read_raw(raw / "clients.parquet"), validate.read_raw(raw / "claims.parquet")
    expected = validate.run_suites(
        validate.raw_batches(extract, transform, cfg, *frames), docs_dir=tmp_path / "pandas", run_time=on
    )
    con = connect(DuckDBParams(memory_limit="1GB", temp_directory=str(tmp_path / "spill"), threads=None))
    tables = validate.raw_tables(con, extract, raw / "clients.parquet", raw / "claims.parquet")
    found = validate.run_suites(
        validate.raw_batches(extract, transform, cfg, *tables), docs_dir=tmp_path / "duckdb", run_time=on
    )
    assert found == expected, validate.failure_message(found)
    assert validate.failure_message(found) == validate.failure_message(expected)
    docs = pages(tmp_path / "duckdb")
    assert docs == pages(tmp_path / "pandas")
    assert (b"(traceback)" in b"".join(docs.values())) == (case in ("columns-and-no-claims", "text-amounts"))
    if case == "clean":
        assert expected.success
    else:
        assert not expected.success and expected.suites["claims"].rows == len(frames[1])
    if case != "text-amounts":  # a mean of text is an error either way
        profile = validate.profile_snapshot(*tables, extract, transform)
        assert profile == validate.profile_snapshot(*frames, extract, transform)  # exactly: published, compared
    con.close()


def test_the_dirt_is_really_there(clean_raw, tmp_path):
    """Guards the SQL above: the dirty copy has the rows it is meant to have."""
    raw = dirty_copy(clean_raw, tmp_path / "raw", *CASES["dirty"])
    con = duckdb.connect()
    claims = f"read_parquet('{raw}/claims.parquet')"
    assert con.execute(f"SELECT count(*) FROM {claims} WHERE isnan(amount)").fetchall()[0][0] > 0
    assert con.execute(f"SELECT count(*) FROM {claims} WHERE category = ' PHARMACY '").fetchall()[0][0] > 0
    clients = f"read_parquet('{raw}/clients.parquet')"
    assert con.execute(f"SELECT count(*) - count(DISTINCT client_id) FROM {clients}").fetchall()[0][0] > 0
