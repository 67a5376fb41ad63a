"""The staged feature table validated where it is (DuckDB over Arrow data) gives what pandas gives on its frame, to the byte.

The feature table comes from the real stages (extract, transform, load) on the demo source;
each case writes it back, with dirt put in by DuckDB and its rows shuffled over several
files, as a Delta table and as a Parquet file. The features suite runs once on the frame the
lakehouse reads (the Delta version into pandas, sorted by the key: the reference, Great
Expectations' pandas engine) and once on the Arrow dataset in DuckDB: every expectation's
result (success, counts, unexpected values and row positions, observed values), the report,
its one-line failure message and the Data Docs (every page) must be equal.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable, write_deltalake

from medcost import validate
from medcost.core.catalog import Catalog
from medcost.core.duck import connect
from medcost.core.params import DuckDBParams, ExtractParams, LoadParams, TransformParams, ValidateParams, section
from medcost.load import open_staging, staged_dataset, to_frame
from medcost.validate.metrics import quantiles
from medcost.validate.ordered import first_rows
from medcost.validate.tables import ROW
from tests.data.test_validate import run_stages, stage_params
from tests.data.test_validate_in_duckdb import pages
from tests.unit.test_extract import ROOT

KEY = ["client_id", "year"]
SHUFFLED = "FROM features ORDER BY hash(client_id * 7 + year)"  # not the key's order
CASES = {
    "clean": f"SELECT * {SHUFFLED}",
    # many kinds of dirt at once, each in its own rows or columns (so every one shows in the results)
    "dirty": f"""
        SELECT * REPLACE (
            CASE WHEN client_id % 37 = 3 THEN 'Atlantis' WHEN client_id % 37 = 4 THEN NULL ELSE region END AS region,
            CASE WHEN client_id % 53 = 5 THEN 250.0 ELSE age END AS age,
            CASE WHEN client_id % 41 = 6 THEN 'nan'::DOUBLE WHEN client_id % 41 = 7 THEN -1.0
                 WHEN client_id % 41 = 8 THEN 1e9 ELSE cost_prev1 END AS cost_prev1,
            CASE WHEN client_id % 29 = 1 AND year = 2026 THEN 12.5
                 WHEN client_id % 31 = 2 AND year < 2026 THEN NULL ELSE target_cost END AS target_cost,
            CASE WHEN client_id % 97 = 9 AND year = 2026 THEN NULL ELSE year END AS year
        ) {SHUFFLED}
    """,
    # whole rows twice (a duplicated client), and the target a hundred times too high (mean, quantiles)
    "repeated-rows": """
        SELECT * REPLACE (target_cost * 100 AS target_cost)
        FROM (SELECT * FROM features UNION ALL (SELECT * FROM features WHERE client_id % 23 = 0))
        ORDER BY hash(client_id * 7 + year)
    """,
    # integral floats in an int column, a column all missing, text in a numeric column, one column gone, one too many
    "types-and-columns": f"""
        SELECT * EXCLUDE (copd) REPLACE (
            CAST(client_id AS DOUBLE) AS client_id,
            CAST(NULL AS DOUBLE) AS children,
            CASE WHEN client_id % 50 = 1 THEN 'n/a' ELSE CAST(bmi AS VARCHAR) END AS bmi
        ), 42.0 AS shoe_size {SHUFFLED}
    """,
}


@pytest.fixture(scope="module")
def staged(small_source, params, tmp_path_factory) -> tuple[pa.Table, dict[str, Any]]:
    """The feature table the real stages load for the demo source (as load staged it), and the stages' params."""
    folder = tmp_path_factory.mktemp("stages")
    stage = stage_params(params, folder / "out", Path(small_source["path"]))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)  # the SQL files are named relative to the repository
        patch.delenv("MEDCOST_SOURCE_URL", raising=False)
        run_stages(stage, "fingerprint", "extract", "transform", "load")
    catalog = Catalog.from_params(stage)
    receipt, staged = staged_dataset(
        catalog.load_receipt, open_staging(section(stage, "load", LoadParams), catalog.staging)
    )
    frame = to_frame(staged, receipt.key)  # the staged version as validate's pandas engine read it, sorted by the key
    return pa.Table.from_pandas(frame, preserve_index=False), stage


def written(features: pa.Table, sql: str, folder: Path) -> tuple[Path, Path]:
    """The case's rows as a Delta table (two files, two commits) and as one Parquet file of several row groups."""
    con = duckdb.connect()
    con.register("features", features)
    rows = con.sql(sql).to_arrow_table()
    con.close()
    half = rows.num_rows // 2
    delta, parquet = folder / "delta", folder / "features.parquet"
    write_deltalake(str(delta), rows.slice(0, half))
    write_deltalake(str(delta), rows.slice(half), mode="append")
    pq.write_table(rows, parquet, row_group_size=max(1, rows.num_rows // 3))
    return delta, parquet


def reference(
    delta: Path, models: tuple[ExtractParams, TransformParams, ValidateParams], backtest_years: int
) -> validate.Batch:
    """The batch as validate built it on pandas: the Delta version read and sorted as the lakehouse reads it."""
    extract, transform, cfg = models
    frame = DeltaTable(str(delta)).to_pandas().sort_values(KEY, kind="stable").reset_index(drop=True)
    target = pd.to_numeric(frame[transform.target], errors="coerce")
    observed = {q: float(target.quantile(q)) for q in cfg.target.quantiles}
    suite = validate.features_suite(extract, transform, cfg, None, None, observed, backtest_years)
    return validate.Batch("features", validate.typed_frame(frame, validate.feature_kinds(transform)), suite)


def comparable(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each result as compared: the expectation's id (new in each suite) and the exception's traceback aside."""
    out = []
    for r in results:
        r = dict(r, expectation_config={k: v for k, v in r["expectation_config"].items() if k != "id"})
        r["exception_info"] = untraced(r.get("exception_info") or {})
        out.append(r)
    return out


def untraced(info: Any) -> Any:
    """exception_info without its tracebacks (flat, or one per metric id)."""
    if not isinstance(info, dict):
        return info
    return {k: untraced(v) for k, v in info.items() if k != "exception_traceback"}


@pytest.mark.parametrize("case", list(CASES))
def test_duckdb_gives_the_pandas_results_report_message_and_docs(case, staged, tmp_path):
    features, stage = staged
    models = (
        section(stage, "extract", ExtractParams),
        section(stage, "transform", TransformParams),
        section(stage, "validate", ValidateParams),
    )
    delta, parquet = written(features, CASES[case], tmp_path)
    on = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    expected_batch = reference(delta, models, stage["backtest"]["years"])
    expected_results = comparable(validate.expectation_results([expected_batch], run_time=on)["features"])
    expected = validate.run_suites([expected_batch], docs_dir=tmp_path / "pandas", run_time=on)
    con = connect(DuckDBParams(memory_limit="1GB", temp_directory=str(tmp_path / "spill"), threads=None))
    for kind, data in (("delta", DeltaTable(str(delta)).to_pyarrow_dataset()), ("parquet", ds.dataset(parquet))):

        def batch(data: Any = data) -> validate.Batch:  # a new table each run (its memo is the run's)
            table = validate.features_table(con, models[1], data)
            return validate.features_batch(*models, table, backtest_years=stage["backtest"]["years"])

        found_results = comparable(validate.expectation_results([batch()], run_time=on)["features"])
        for mine, theirs in zip(found_results, expected_results, strict=True):
            assert mine == theirs, (kind, theirs["expectation_config"]["type"], theirs["expectation_config"]["kwargs"])
        found = validate.run_suites([batch()], docs_dir=tmp_path / kind, run_time=on)
        assert found == expected, (kind, validate.failure_message(found))
        assert validate.failure_message(found) == validate.failure_message(expected)
        assert pages(tmp_path / kind) == pages(tmp_path / "pandas"), kind
    con.close()
    failed = {(f.column, f.expectation) for f in expected.suites["features"].failures}
    if case == "clean":
        assert expected.success and not expected.meta.problems
    elif case == "dirty":  # every kind of dirt is seen (by both engines)
        assert {
            ("region", "expect_column_values_to_be_in_set"),
            ("age", "expect_column_values_to_be_between"),
            ("cost_prev1", "expect_column_values_to_be_between"),
            ("target_cost", "expect_column_values_to_be_null"),
            ("target_cost", "expect_column_values_to_not_be_null"),
            ("year", "expect_column_values_to_not_be_null"),
        } <= failed, failed
    elif case == "repeated-rows":
        assert {
            ("client_id,year", "expect_compound_columns_to_be_unique"),
            ("target_cost", "expect_column_mean_to_be_between"),
        } <= failed, failed
    else:
        assert ("bmi", "expect_column_type_to_be") in failed and expected.meta.problems


def test_the_dirt_is_really_there(staged, tmp_path):
    """Guards the SQL above: the dirty rows exist, some positions come after a missing key, and the order is not the key's."""
    features, _ = staged
    delta, parquet = written(features, CASES["dirty"], tmp_path)
    rows = pq.read_table(parquet).to_pandas()
    assert rows["cost_prev1"].isna().any() and rows["year"].isna().any()
    assert not rows[KEY].equals(rows.sort_values(KEY)[KEY].reset_index(drop=True))
    assert len(DeltaTable(str(delta)).file_uris()) == 2


def test_positions_are_the_sorted_frames_and_repeated_keys_are_ranked_the_same_whatever_the_file_order(tmp_path):
    """ROW of the first unexpected rows: the frame's index after a stable sort by key (missing keys last)."""
    rng = np.random.default_rng(3)
    n = 5000
    frame = pd.DataFrame(
        {
            "client_id": rng.integers(0, 1500, n),
            "year": rng.choice([2024, 2025, 2026], n),
            "x": np.round(rng.normal(0, 1, n), 3),
        }
    )
    frame.loc[frame.sample(40, random_state=1).index, "year"] = np.nan  # missing key values sort last
    frame["year"] = frame["year"].astype("Int64")
    frame = frame.drop_duplicates(KEY, keep="first")  # equal keys only below, where ties are ranked
    frame = pd.concat([frame, frame.iloc[:30].assign(x=frame["x"].iloc[:30] + 10)])  # 30 repeated keys
    con = duckdb.connect()
    kinds = {"client_id": "int", "year": "int", "x": "float"}
    found = []
    for seed in (1, 2):
        shuffled = pa.Table.from_pandas(frame.sample(frac=1, random_state=seed), preserve_index=False)
        table = validate.arrow_table(con, f"t{seed}", shuffled, kinds, KEY)
        rows = first_rows(table, '"x" > 0.5', [], ["x"], None).to_pandas()
        found.append(pd.Series(rows["x"].to_numpy(), index=rows[ROW].to_numpy()))
    con.close()
    assert found[0].equals(found[1])  # the same data gives the same positions, whatever the file order
    stable = frame.sort_values(KEY, kind="stable").reset_index(drop=True)  # as the lakehouse reads it
    unique = ~stable.duplicated(KEY, keep=False)
    mine = found[0]
    assert mine[unique[mine.index].to_numpy()].equals(stable["x"][unique & (stable["x"] > 0.5)])
    ties = frame.sort_values([*KEY, "x"], kind="stable").reset_index(drop=True)  # repeated keys: by their values
    assert mine.equals(ties["x"][ties["x"] > 0.5])
    assert stable["year"].isna().sum() > 0 and stable.duplicated(KEY).sum() == 30  # the cases are there


@pytest.mark.parametrize("n", [1, 2, 3, 10, 101, 4000])
def test_quantiles_are_pandas_linear_ones_to_the_bit(n):
    rng = np.random.default_rng(n)
    values = np.round(rng.lognormal(7, 2, n), 2)
    values[rng.random(n) < 0.2] = np.nan
    qs = [0.0, 0.1, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0]
    con = duckdb.connect()
    table = validate.arrow_table(
        con, "q", pa.table({"k": np.arange(n), "v": values}), {"k": "int", "v": "float"}, ["k"]
    )
    found = quantiles(table, "v", qs)
    expected = {q: float(pd.Series(values).quantile(q)) for q in qs}
    assert {q: repr(v) for q, v in found.items()} == {q: repr(v) for q, v in expected.items()}  # NaN too
    con.close()


@pytest.mark.parametrize(
    "condition",
    ["==", "!=", "<", ">=", "in", "not in", "is null", "is not null", "and", "or"],
)
def test_row_conditions_keep_the_rows_pandas_query_keeps(condition):
    from great_expectations.expectations.row_conditions import Column

    from medcost.validate.conditions import row_filter

    frame = pd.DataFrame(
        {
            "i": pd.array([2025, None, 2026, 2024], dtype="Int64"),
            "f": [1.0, np.nan, 2.0, 1.0],
            "s": pd.array(["a", None, "b", "a"], dtype="string"),
            "k": pd.array(range(4), dtype="Int64"),
        }
    )
    con = duckdb.connect()
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    table = validate.arrow_table(con, "c", arrow, {"i": "int", "f": "float", "s": "str", "k": "int"}, ["k"])
    for column, value in (("i", 2025), ("f", 1.0), ("s", "a")):
        c = Column(column)
        built = {
            "==": c == value,
            "!=": c != value,
            "<": c < value,
            ">=": c >= value,
            "in": c.is_in([value]),
            "not in": c.is_not_in([value]),
            "is null": c.is_null(),
            "is not null": c.is_not_null(),
            "and": (c == value) & Column("k").is_in([0, 1, 2]),
            "or": (c != value) | (Column("k") == 0),
        }[condition]
        kept = con.execute(
            f"SELECT k FROM {table.view} WHERE {row_filter(table, {'row_condition': built.dict()})} ORDER BY k"
        )
        from great_expectations.execution_engine import PandasExecutionEngine

        expected = list(frame.query(PandasExecutionEngine().condition_to_filter_clause(built)).index)
        assert [r[0] for r in kept.fetchall()] == expected, (column, condition)
    con.close()
