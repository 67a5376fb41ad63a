"""Several training years: k yearly cutoffs with their own features and targets, split by whole clients.

The sources are made by the project's generator: 1,500 clients over 2020-2025 (six years, room
for three training cutoffs with three years of history each) and over 2024-2025 only (two
years: the short history the transform must name).
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from medcost.core.errors import MedcostError
from medcost.core.params import ExtractParams, SplitParams, TransformParams, section
from medcost.split import split_train_test, target_strata, training_and_scoring
from medcost.transform import Cutoff, duckdb_features, snapshot_cutoffs, write_feature_table
from tests.unit.test_extract import run_extract

ENGINES = ["pandas", "duckdb"]
AS_OF = dt.date(2026, 1, 1)  # extract.as_of in params.yaml


def generated(folder: Path, first_year: int, years: int) -> str:
    from medcost.demo_data import generate

    db = folder / "demo.db"
    generate(
        f"sqlite:///{db}", clients=1500, first_year=first_year, years=years, seed=7, truth_path=folder / "t.parquet"
    )
    return f"sqlite:///{db}"


def years_params(params: dict[str, Any], training_years: int, history_years: int, folder: Path) -> dict[str, Any]:
    """params.yaml with ``training_years`` cutoffs, ``history_years`` extracted and DuckDB spilling into ``folder``."""
    out = copy.deepcopy(params)
    out["transform"]["training_years"] = training_years
    out["transform"]["duckdb"]["temp_directory"] = str(folder / "spill")
    out["extract"]["history_years"] = history_years
    return out


def build(url: str, params: dict[str, Any], folder: Path, engine: str = "duckdb") -> tuple[pd.DataFrame, Any]:
    """The feature table the transform stage writes for ``params`` (and its summary), from a real extract."""
    folder.mkdir(parents=True, exist_ok=True)
    run_extract(url, params, folder)
    cfg = section(params, "transform", TransformParams).model_copy(update={"engine": engine})
    as_of = section(params, "extract", ExtractParams).as_of
    out = folder / f"features-{engine}.parquet"
    summary = write_feature_table(folder / "clients.parquet", folder / "claims.parquet", as_of, cfg, out)
    return pd.read_parquet(out), summary


@pytest.fixture(scope="module")
def six_years(tmp_path_factory: pytest.TempPathFactory) -> str:
    return generated(tmp_path_factory.mktemp("six"), 2020, 6)


@pytest.fixture(scope="module")
def stacked(six_years: str, params: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Three training cutoffs (2023-2025) and the scoring one, from the six-year source, by both engines."""
    folder = tmp_path_factory.mktemp("stacked")
    stage = years_params(params, 3, 6, folder)
    tables = {engine: build(six_years, stage, folder / engine, engine) for engine in ENGINES}
    return {"params": stage, "tables": tables, "raw": folder / "duckdb"}


def test_the_cutoffs_are_consecutive_first_januaries_ending_at_the_last_complete_year():
    as_of = AS_OF
    assert snapshot_cutoffs(as_of) == [Cutoff(dt.date(2025, 1, 1), dt.date(2026, 1, 1)), Cutoff(as_of)]  # as before
    assert snapshot_cutoffs(as_of, 3) == [
        Cutoff(dt.date(2023, 1, 1), dt.date(2024, 1, 1)),
        Cutoff(dt.date(2024, 1, 1), dt.date(2025, 1, 1)),
        Cutoff(dt.date(2025, 1, 1), dt.date(2026, 1, 1)),
        Cutoff(as_of),
    ]


def test_stacked_years_have_their_own_point_in_time_rows_and_targets(stacked):
    table, summary = stacked["tables"]["duckdb"]
    cfg = section(stacked["params"], "transform", TransformParams)
    rows = table["year"].value_counts().sort_index()
    assert rows.index.tolist() == [2023, 2024, 2025, 2026]
    assert summary.training_years == [2023, 2024, 2025] and summary.scoring_year == 2026
    assert summary.rows == {str(y): int(n) for y, n in rows.items()}
    assert summary.history_years == {"2023": 3, "2024": 3, "2025": 3, "2026": 3} and summary.short_history == []
    assert summary.first_paid is not None and summary.first_paid.startswith("2020-")
    # k x clients-ish training rows: each cutoff has the clients enrolled on its 1 January
    assert 3 * 1000 < rows.loc[[2023, 2024, 2025]].sum() < 3 * 1500
    assert not table.duplicated(cfg.key).any()
    training = table[table["year"] < 2026]
    assert training[cfg.target].notna().all() and table.loc[table["year"] == 2026, cfg.target].isna().all()
    # each year's target is that year's claims: next year's first history year, per client (not one shared target)
    for year in (2023, 2024):
        pair = table[table["year"] == year].merge(
            table[table["year"] == year + 1], on="client_id", suffixes=("", "_next")
        )
        np.testing.assert_allclose(pair[cfg.target], pair["cost_prev1_next"], rtol=1e-12)
        assert (pair[cfg.target] != pair[f"{cfg.target}_next"]).mean() > 0.8
    # a cutoff's rows do not depend on the others stacked with it: 2025 as the one training year of k = 1
    raw = stacked["raw"]
    one = duckdb_features(raw / "clients.parquet", raw / "claims.parquet", [Cutoff(dt.date(2025, 1, 1), AS_OF)], cfg)
    pd.testing.assert_frame_equal(table[table["year"] == 2025].reset_index(drop=True), one, check_exact=True)


def test_stacked_years_match_the_pandas_reference(stacked):
    """Floats within 1e-9 relative: the engines sum the same amounts in different orders."""
    (duck, duck_summary), (reference, reference_summary) = stacked["tables"]["duckdb"], stacked["tables"]["pandas"]
    assert duck_summary == reference_summary
    assert list(duck.columns) == list(reference.columns) and duck.dtypes.to_dict() == reference.dtypes.to_dict()
    floats = [c for c in reference.columns if reference[c].dtype.kind == "f"]
    exact = [c for c in reference.columns if c not in floats]
    pd.testing.assert_frame_equal(duck[exact], reference[exact], check_exact=True)
    for column in floats:
        np.testing.assert_allclose(duck[column], reference[column], rtol=1e-9, atol=0, equal_nan=True, err_msg=column)


def stacked_split(stacked: dict[str, Any], rows: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    stage = stacked["params"]
    extract, cfg = section(stage, "extract", ExtractParams), section(stage, "transform", TransformParams)
    split = section(stage, "split", SplitParams)  # min_test_rows aside: 3,100 rows cannot give 1,000 to test at 0.2
    if rows is None:
        rows, _ = training_and_scoring(
            stacked["tables"]["duckdb"][0], cfg.target, extract.training_years(3), extract.scoring_year
        )
    return split_train_test(
        rows,
        cfg.target,
        cfg.key,
        split.test_size,
        split.seed,
        split.bins,
        split.tail,
        min_test_rows=100,
    )


def test_grouped_split_leaves_no_client_in_both_parts(stacked):
    rows, _ = training_and_scoring(stacked["tables"]["duckdb"][0], "target_cost", [2023, 2024, 2025], 2026)
    train, test = stacked_split(stacked, rows)
    assert set(train["client_id"]).isdisjoint(test["client_id"])
    assert len(train) + len(test) == len(rows) and set(test["year"]) == set(train["year"]) == {2023, 2024, 2025}
    # whole clients: every client's rows of all years are in its one part
    per_client = rows.groupby("client_id").size()
    in_test = test.groupby("client_id").size()
    pd.testing.assert_series_equal(in_test, per_client.loc[in_test.index])
    assert len(test) / len(rows) == pytest.approx(0.2, abs=0.02)  # test_size of the clients, about that of the rows
    # stratified as far as grouping allows: the costliest clients are in both parts, in proportion
    mean = rows.groupby("client_id")["target_cost"].mean()
    top = set(mean.nlargest(50).index)
    assert 5 <= len(top & set(test["client_id"])) <= 15
    # seeded and independent of the order the rows came in; sorted by the key
    again = stacked_split(stacked, rows.sample(frac=1.0, random_state=5))
    pd.testing.assert_frame_equal(again[0], train)
    pd.testing.assert_frame_equal(again[1], test)
    assert test[["client_id", "year"]].apply(tuple, axis=1).is_monotonic_increasing


def test_with_one_row_per_client_the_split_is_the_plain_stratified_split_of_before():
    """k = 1 keeps its outputs: the rows of each part are those of the former row-level split."""
    rng = np.random.default_rng(3)
    n = 3000
    rows = pd.DataFrame(
        {
            "client_id": rng.permutation(np.arange(10, 10 + n)),
            "year": 2025,
            "target_cost": np.where(rng.random(n) < 0.2, 0.0, rng.lognormal(8, 1.6, n)),
        }
    )
    train, test = split_train_test(rows, "target_cost", ["client_id", "year"], 0.2, 42, 10, 0.01, min_test_rows=100)
    ordered = rows.sort_values(["client_id", "year"], kind="stable").reset_index(drop=True)
    labels = target_strata(ordered["target_cost"], 10, 0.01)
    old_train, old_test = train_test_split(np.arange(n), test_size=600, random_state=42, shuffle=True, stratify=labels)
    pd.testing.assert_frame_equal(test, ordered.iloc[np.sort(old_test)].reset_index(drop=True))
    pd.testing.assert_frame_equal(train, ordered.iloc[np.sort(old_train)].reset_index(drop=True))


def test_whole_clients_below_the_minimum_name_split_test_size():
    """Clients of one and of five years: a third of the clients need not be a third of the rows.

    test_size 0.3334 passes the check on the rows (1,001 of 3,000 in test); the clients drawn with
    seed 3 hold 982 rows, below split.min_test_rows, and the error says so (seed 0's hold 1,026).
    """
    counts = np.tile([1, 5], 500)
    clients = np.repeat(np.arange(1, 1001), counts)
    years = np.concatenate([np.arange(2026 - c, 2026) for c in counts])
    rows = pd.DataFrame({"client_id": clients, "year": years, "target_cost": (clients % 7) * 100.0})
    train, test = split_train_test(rows, "target_cost", ["client_id", "year"], 0.3334, 0, 4, 0.0, min_test_rows=1000)
    assert len(test) == 1026 and set(train["client_id"]).isdisjoint(test["client_id"])
    with pytest.raises(MedcostError) as err:
        split_train_test(rows, "target_cost", ["client_id", "year"], 0.3334, 3, 4, 0.0, min_test_rows=1000)
    assert str(err.value) == (
        "split.test_size = 0.3334 leaves 982 of 3000 training rows in test (whole clients, each with all its years), "
        "fewer than the 1000 each part needs: raise split.test_size a little (or lower split.min_test_rows)"
    )


# ------------------------------------------------------------------------------- short history


@pytest.fixture(scope="module")
def two_years(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A source with claims of 2024 and 2025 only: the training cutoff 2025 has one year of history."""
    return generated(tmp_path_factory.mktemp("two"), 2024, 2)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_history_shorter_than_the_lookback_is_named_in_one_line(two_years, params, engine, tmp_path, caplog):
    stage = years_params(params, 1, 5, tmp_path)  # the repository's defaults: the params are fine, the data is short
    with caplog.at_level(logging.WARNING, logger="medcost.transform"):
        table, summary = build(two_years, stage, tmp_path / "raw", engine)
    lines = [r.getMessage() for r in caplog.records if "history" in r.getMessage()]
    assert lines == [
        "transform: the claims start in 2024 (the first paid claim), so training year 2025 has 1 of "
        "transform.lookback_years = 3 years of claims history (scoring 2026: 2): the older cost_prev* are 0 for "
        "every client there, and drift will flag them; lower transform.lookback_years or transform.training_years, "
        "or use a source with older claims"
    ]
    assert summary.short_history == [2025] and summary.history_years == {"2025": 1, "2026": 2}
    training = table[table["year"] == 2025]
    assert (training[["cost_prev2", "cost_prev3"]] == 0).all().all()  # what drift would have flagged


def test_the_message_names_every_short_training_year(small_source, params, tmp_path, caplog):
    """The 2021-2025 source with three training years: 2023 lacks 2020; 2024 and 2025 have their three years."""
    stage = years_params(params, 3, 6, tmp_path)
    with caplog.at_level(logging.WARNING, logger="medcost.transform"):
        _, summary = build(small_source["url"], stage, tmp_path / "raw")
    assert summary.short_history == [2023] and summary.history_years["2023"] == 2
    assert "training year 2023 has 2 of transform.lookback_years = 3 years" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="medcost.transform"):
        _, summary = build(small_source["url"], years_params(params, 2, 5, tmp_path), tmp_path / "two")
    assert summary.short_history == [] and "history" not in caplog.text
