"""The train/test split: seeded, stratified on the binned target, independent of row order."""

import numpy as np
import pandas as pd
import pytest

from medcost.core.errors import MedcostError
from medcost.core.params import SplitParams, section
from medcost.split import split_train_test, target_strata, training_and_scoring

KEY = ["client_id", "year"]


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
    train, test = split_train_test(frame, "target_cost", KEY, test_size=0.2, seed=42, bins=10, tail=0.01)
    pd.testing.assert_frame_equal(frame, before)  # input untouched
    assert len(test) == 400 and len(train) == 1600
    assert set(train["client_id"]).isdisjoint(test["client_id"])
    assert train["client_id"].is_monotonic_increasing and test["client_id"].is_monotonic_increasing
    # the heavy tail lands in both parts, in proportion
    top = frame["target_cost"].nlargest(20)
    assert 2 <= test["client_id"].isin(frame.loc[top.index, "client_id"]).sum() <= 6
    assert (test["target_cost"] == 0).mean() == pytest.approx((frame["target_cost"] == 0).mean(), abs=0.01)
    again = split_train_test(frame.sample(frac=1.0, random_state=3), "target_cost", KEY, 0.2, 42, 10, 0.01)
    pd.testing.assert_frame_equal(again[1], test)  # same rows whatever order they came in
    other = split_train_test(frame, "target_cost", KEY, 0.2, 7, 10, 0.01)[1]
    assert not other["client_id"].equals(test["client_id"])  # the seed matters


def test_tiny_data_uses_fewer_bins_or_fails_on_one_line():
    frame = heavy_tailed(30)
    train, test = split_train_test(frame, "target_cost", KEY, 0.2, 42, 10, 0.01)
    assert len(train) + len(test) == 30 and len(test) == 6
    with pytest.raises(MedcostError, match="too few"):
        split_train_test(heavy_tailed(1), "target_cost", KEY, 0.2, 42, 10, 0.01)


def test_training_and_scoring_rows():
    train_rows = heavy_tailed(5)
    scoring_rows = train_rows.assign(year=2026, target_cost=np.nan)
    rows, scoring = training_and_scoring(pd.concat([scoring_rows, train_rows]), "target_cost", 2025, 2026)
    assert len(rows) == 5 and (rows["year"] == 2025).all()
    assert len(scoring) == 5 and "target_cost" not in scoring.columns
    broken = pd.concat([train_rows.assign(target_cost=np.nan), scoring_rows])
    with pytest.raises(MedcostError, match="5 training row.*no target_cost"):
        training_and_scoring(broken, "target_cost", 2025, 2026)
    with pytest.raises(MedcostError, match="no scoring rows for year 2026"):
        training_and_scoring(train_rows, "target_cost", 2025, 2026)
