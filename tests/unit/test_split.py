"""The train/test split: seeded, stratified on the binned target, independent of row order."""

import numpy as np
import pandas as pd
import pytest

from medcost.core.errors import MedcostError
from medcost.core.params import SplitParams, section
from medcost.split import SMALL_DATA_SHARE, required_rows, split_train_test, target_strata, training_and_scoring

KEY = ["client_id", "year"]
ANY_SIZE = 1  # min_test_rows for the tests of stratification and order (the minimum has its own tests)


def heavy_tailed(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cost = np.where(rng.random(n) < 0.2, 0.0, rng.lognormal(8, 1.6, n))
    return pd.DataFrame(
        {
            "client_id": np.arange(1, n + 1),
            "year": 2025,
            "age": rng.integers(18, 85, n).astype(float),
            "target_cost": cost,
        }
    )


def test_repository_split_params_are_valid(params):
    cfg = section(params, "split", SplitParams)
    assert 0 < cfg.test_size < 1
    assert cfg.min_test_rows == 1000
    with pytest.raises(MedcostError, match=r"split.min_test_rows = 0: Input should be greater than or equal to 1"):
        section({**params, "split": {**params["split"], "min_test_rows": 0}}, "split", SplitParams)


def test_strata_by_hand():
    y = np.array([0.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 100.0, 0.0, 8.0])
    labels = target_strata(y, bins=2, tail=0.0)
    assert labels.tolist() == [0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 0, 2]  # zeros; lower half; upper half of the positives
    with_tail = target_strata(y, bins=2, tail=0.2)  # the top 20% of the 9 positives (8 and 100) are a bin
    assert with_tail[[9, 11]].tolist() == [3, 3] and with_tail[8] == 2


def test_small_strata_are_merged_and_labels_ignore_row_order():
    y = np.array([0.0, 5.0, 6.0, 7.0, 8.0, 9.0, 1e6])
    labels = target_strata(y, bins=3, tail=0.1)  # the zero and the tail would be strata of one
    assert np.bincount(labels)[np.bincount(labels) > 0].min() >= 2
    order = np.random.default_rng(1).permutation(len(y))
    assert target_strata(y[order], bins=3, tail=0.1).tolist() == labels[order].tolist()


def test_split_is_seeded_stratified_and_sorted():
    frame = heavy_tailed()
    before = frame.copy()
    train, test = split_train_test(frame, "target_cost", KEY, 0.2, 42, 10, 0.01, min_test_rows=ANY_SIZE)
    pd.testing.assert_frame_equal(frame, before)  # input untouched
    assert len(test) == 400 and len(train) == 1600
    assert set(train["client_id"]).isdisjoint(test["client_id"])
    assert train["client_id"].is_monotonic_increasing and test["client_id"].is_monotonic_increasing
    # the heavy tail lands in both parts, in proportion
    top = frame["target_cost"].nlargest(20)
    assert 2 <= test["client_id"].isin(frame.loc[top.index, "client_id"]).sum() <= 6
    assert (test["target_cost"] == 0).mean() == pytest.approx((frame["target_cost"] == 0).mean(), abs=0.01)
    again = split_train_test(
        frame.sample(frac=1.0, random_state=3), "target_cost", KEY, 0.2, 42, 10, 0.01, min_test_rows=ANY_SIZE
    )
    pd.testing.assert_frame_equal(again[1], test)  # same rows whatever order they came in
    other = split_train_test(frame, "target_cost", KEY, 0.2, 7, 10, 0.01, min_test_rows=ANY_SIZE)[1]
    assert not other["client_id"].equals(test["client_id"])  # the seed matters


def test_tiny_data_uses_fewer_bins_or_fails_on_one_line():
    frame = heavy_tailed(30)
    train, test = split_train_test(frame, "target_cost", KEY, 0.2, 42, 10, 0.01, min_test_rows=1000)
    assert len(train) + len(test) == 30 and len(test) == 6
    with pytest.raises(MedcostError, match="too few"):
        split_train_test(heavy_tailed(1), "target_cost", KEY, 0.2, 42, 10, 0.01, min_test_rows=1000)


def test_training_and_scoring_rows():
    train_rows = heavy_tailed(5)
    scoring_rows = train_rows.assign(year=2026, target_cost=np.nan)
    rows, scoring = training_and_scoring(pd.concat([scoring_rows, train_rows]), "target_cost", [2025], 2026)
    assert len(rows) == 5 and (rows["year"] == 2025).all()
    assert len(scoring) == 5 and "target_cost" not in scoring.columns
    broken = pd.concat([train_rows.assign(target_cost=np.nan), scoring_rows])
    with pytest.raises(MedcostError, match="5 training row.*no target_cost"):
        training_and_scoring(broken, "target_cost", [2025], 2026)
    with pytest.raises(MedcostError, match="no scoring rows for year 2026"):
        training_and_scoring(train_rows, "target_cost", [2025], 2026)


def split_with(frame: pd.DataFrame, test_size: float, min_test_rows: int = 1000) -> tuple[pd.DataFrame, pd.DataFrame]:
    return split_train_test(frame, "target_cost", KEY, test_size, 42, 10, 0.01, min_test_rows=min_test_rows)


def test_a_test_size_leaving_fewer_than_the_minimum_in_test_is_named_with_the_fix():
    frame = heavy_tailed(20_000)
    with pytest.raises(MedcostError) as err:
        split_with(frame, 0.0001)  # the case: 2 test rows, R² -2.49 and a deepchecks error much later
    assert str(err.value) == (
        "split.test_size = 0.0001 leaves 2 of 20000 training rows in test, fewer than split.min_test_rows = 1000: "
        "set split.test_size to at least 0.05 (or lower split.min_test_rows)"
    )
    train, test = split_with(frame, 0.05)  # the suggested value works, exactly at the minimum
    assert len(test) == 1000 and len(train) == 19_000
    with pytest.raises(MedcostError, match=r"leaves 999 of 20000 training rows in test"):
        split_with(frame, 0.04995)


def test_a_test_size_leaving_fewer_than_the_minimum_in_train_is_named_with_the_fix():
    frame = heavy_tailed(20_000)
    with pytest.raises(MedcostError) as err:
        split_with(frame, 0.96)
    assert str(err.value) == (
        "split.test_size = 0.96 leaves 800 of 20000 training rows in train, fewer than split.min_test_rows = 1000: "
        "set split.test_size to at most 0.95 (or lower split.min_test_rows)"
    )
    train, test = split_with(frame, 0.95)
    assert len(train) == 1000 and len(test) == 19_000


def test_at_twice_the_minimum_both_parts_need_the_full_minimum(caplog):
    frame = heavy_tailed(2000)
    with pytest.raises(MedcostError, match=r"leaves 400 of 2000 .* in test, .* = 1000: .* at least 0.5 "):
        split_with(frame, 0.2)
    with caplog.at_level("WARNING", logger="medcost.split.split"):
        train, test = split_with(frame, 0.5)
    assert len(train) == len(test) == 1000
    assert "min_test_rows" not in caplog.text  # the data is large enough: no small-data warning
    assert required_rows(2000, 1000) == 1000 and required_rows(1999, 1000) == 200


def test_data_smaller_than_twice_the_minimum_needs_a_tenth_in_each_part_and_warns(caplog):
    """The e2e and model tests' 1,500-client sources have about 1,100 training rows: the default params must split them."""
    frame = heavy_tailed(1500)
    with caplog.at_level("WARNING", logger="medcost.split.split"):
        train, test = split_with(frame, 0.2)
    assert len(test) == 300 and len(train) == 1200
    assert (
        "1500 training rows, fewer than 2 x split.min_test_rows = 2000: each part needs 150 (10%) rows" in caplog.text
    )
    assert SMALL_DATA_SHARE == 0.1
    with pytest.raises(MedcostError) as err:
        split_with(frame, 0.05)
    assert str(err.value) == (
        "split.test_size = 0.05 leaves 75 of 1500 training rows in test, fewer than 150 (10% of them: the data has "
        "fewer than 2 x split.min_test_rows rows): set split.test_size to at least 0.1 (or lower split.min_test_rows)"
    )
    with pytest.raises(MedcostError, match=r"leaves 135 of 1500 training rows in train, .*at most 0.9 "):
        split_with(frame, 0.91)
    assert len(split_with(frame, 0.1)[1]) == 150 and len(split_with(frame, 0.9)[0]) == 150
