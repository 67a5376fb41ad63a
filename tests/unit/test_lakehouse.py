"""The Delta Lake feature table: idempotent loads, receipts, reading the loaded version."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from medcost.errors import MedcostError
from medcost.lakehouse import DeltaLakehouse, content_hash, open_lakehouse, read_loaded

KEY = ["client_id", "year"]


def features(n: int = 50, year: int = 2025, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "client_id": np.arange(1, n + 1, dtype="int64"),
        "year": np.full(n, year, dtype="int64"),
        "cutoff_date": [dt.date(year, 1, 1)] * n,
        "region": rng.choice(["northeast", "southwest", None], n),
        "bmi": rng.normal(28, 5, n),
        "target_cost": rng.gamma(0.5, 8000, n),
    })


def test_loading_the_same_rows_twice_leaves_the_same_table(tmp_path):
    lake = DeltaLakehouse(tmp_path / "features")
    frame = features()
    first = lake.write(frame, KEY)
    second = lake.write(frame.sample(frac=1, random_state=1), KEY)  # same rows, other order
    assert second["version"] == first["version"]  # no new version for identical content
    assert second["content_hash"] == first["content_hash"]
    table = read_loaded(lake, second)
    assert len(table) == len(frame)
    assert not table.duplicated(KEY).any()


def test_upsert_replaces_changed_rows_and_keeps_other_years(tmp_path):
    lake = DeltaLakehouse(tmp_path / "features")
    lake.write(features(year=2024), KEY)
    old = lake.write(features(year=2025), KEY)
    changed = features(year=2025)
    changed.loc[0, "bmi"] = 99.0
    changed = changed.iloc[:-1]  # a client gone from the source
    new = lake.write(changed, KEY)
    assert new["version"] == old["version"] + 1
    assert read_loaded(lake, new)["bmi"].iloc[0] == 99.0
    assert len(read_loaded(lake, new)) == len(changed)
    # the earlier version is still there (time travel), and the other year untouched
    assert len(read_loaded(lake, old)) == len(features())
    every_year = lake.read({**new, "years": [2024, 2025]})
    assert (every_year["year"] == 2024).sum() == 50


def test_content_hash_ignores_row_order_but_not_values():
    frame = features()
    assert content_hash(frame, KEY) == content_hash(frame.iloc[::-1], KEY)
    changed = frame.copy()
    changed.loc[3, "target_cost"] += 0.01
    assert content_hash(changed, KEY) != content_hash(frame, KEY)


def test_a_table_changed_after_loading_is_refused(tmp_path):
    lake = DeltaLakehouse(tmp_path / "features")
    receipt = lake.write(features(), KEY)
    with pytest.raises(MedcostError, match="differs from the load receipt"):
        read_loaded(lake, {**receipt, "content_hash": "0" * 64})


def test_missing_version_is_a_clear_error(tmp_path):
    lake = DeltaLakehouse(tmp_path / "features")
    receipt = lake.write(features(), KEY)
    with pytest.raises(MedcostError, match="version 7: cannot be read"):
        lake.read({**receipt, "version": 7})


def test_unknown_backend():
    with pytest.raises(MedcostError, match="load.backend = 'bigquery'"):
        open_lakehouse("bigquery", "x", "t")
