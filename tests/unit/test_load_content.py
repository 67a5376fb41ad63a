"""The one content hash: the same logical rows hash alike as a pandas frame, transform's Parquet or a Delta version read back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from medcost.core.errors import MedcostError
from medcost.core.params import DuckDBParams
from medcost.load import DeltaLakehouse, content_hash, open_parquet, read_loaded, scan_content, scan_loaded

KEY = ["client_id", "year"]


def rows(n: int = 40, seed: int = 0) -> pd.DataFrame:
    """Every kind of column the feature and prediction tables have, and the ones a round trip changes."""
    rng = np.random.default_rng(seed)
    missing = rng.random(n) < 0.2
    return pd.DataFrame(
        {
            "client_id": np.arange(1, n + 1, dtype="int64"),
            "year": np.full(n, 2025, dtype="int64"),
            "cutoff_date": [dt.date(2025, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 30, n)],
            "region": pd.Series(rng.choice(["northeast", "south"], n), dtype=object).where(~missing, None),
            "plan": pd.Categorical(rng.choice(["bronze", "gold"], n)),  # a dictionary in Arrow, a string in Delta
            "smoker": np.where(missing, np.nan, rng.integers(0, 2, n).astype(float)),  # NaN: pandas' missing value
            "bmi": rng.normal(28, 5, n),
            "children": np.arange(n, dtype="int32"),  # another integer width
            "visits": pd.array([None if m else int(v) for m, v in zip(missing, rng.integers(0, 9, n))], dtype="Int64"),
            "insured": rng.random(n) < 0.5,
            # nanoseconds in pandas, microseconds in Delta: the values have whole microseconds
            "scored_at": pd.Timestamp("2025-01-02 03:04:05.123456") + pd.to_timedelta(rng.integers(0, 10**6, n), "s"),
        }
    )


def delta_round_trip(frame: pd.DataFrame, folder: Path) -> DeltaLakehouse:
    lake = DeltaLakehouse(folder / "table")
    lake.write(frame, KEY)
    return lake


def test_a_frame_its_parquet_file_and_its_delta_version_hash_alike(tmp_path):
    frame = rows()
    digest = content_hash(frame, KEY)
    frame.to_parquet(tmp_path / "features.parquet", index=False)  # as transform writes it
    dataset = open_parquet(tmp_path / "features.parquet")
    assert content_hash(dataset, KEY) == digest
    assert content_hash(pd.read_parquet(tmp_path / "features.parquet"), KEY) == digest
    table = pa.Table.from_pandas(frame, preserve_index=False)
    assert content_hash(table, KEY) == digest
    assert content_hash(table.to_reader(max_chunksize=7), KEY) == digest
    # written to Delta from the Parquet dataset (timestamps become microseconds, the categorical a string)
    lake = DeltaLakehouse(tmp_path / "table")
    receipt = lake.write(dataset, KEY)
    assert receipt.content_hash == digest
    scanned = scan_loaded(lake, receipt)
    assert scanned.schema.field("scored_at").type == pa.timestamp("us")  # what actually round-trips
    assert scanned.schema.field("plan").type == pa.string()
    assert content_hash(scanned, KEY) == digest
    assert content_hash(read_loaded(lake, receipt), KEY) == content_hash(lake.read(receipt), KEY)


def test_the_hash_ignores_row_and_column_order():
    frame = rows()
    digest = content_hash(frame, KEY)
    assert content_hash(frame.sample(frac=1, random_state=3), KEY) == digest
    assert content_hash(frame[frame.columns[::-1]], KEY) == digest


def test_the_hash_does_not_change_its_input():
    frame = rows()
    copy = frame.copy()
    content_hash(frame, KEY)
    pd.testing.assert_frame_equal(frame, copy)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda f: f.assign(bmi=f["bmi"].where(f.index != 5, f["bmi"] + 1e-9)), id="one float"),
        pytest.param(lambda f: f.assign(region=f["region"].where(f.index != 0, "west")), id="one string"),
        pytest.param(lambda f: f.assign(bmi=f["bmi"].where(f.index != 7, np.nan)), id="a value missing"),
        pytest.param(lambda f: f.assign(extra=0.0), id="a column added"),
        pytest.param(lambda f: f.drop(columns="bmi"), id="a column removed"),
        pytest.param(lambda f: f.rename(columns={"bmi": "bmi2"}), id="a column renamed"),
        pytest.param(lambda f: f.assign(children=f["children"].astype("float64")), id="int to float"),
        pytest.param(lambda f: f.assign(bmi=f["bmi"].astype(str)), id="float to string"),
        pytest.param(lambda f: f.assign(cutoff_date=pd.to_datetime(f["cutoff_date"])), id="date to timestamp"),
        pytest.param(lambda f: f.iloc[1:], id="a row removed"),
        pytest.param(lambda f: f.assign(client_id=f["client_id"] + 1), id="keys shifted"),
    ],
)
def test_the_hash_changes_with_the_content(change):
    frame = rows()
    assert content_hash(change(frame), KEY) != content_hash(frame, KEY)


def test_the_hash_names_its_key():
    assert content_hash(rows(), KEY) != content_hash(rows(), ["client_id"])


def test_a_missing_key_column_is_named():
    with pytest.raises(MedcostError, match="no column year"):
        content_hash(rows().drop(columns="year"), KEY)


def test_one_pass_gives_the_receipts_facts(tmp_path):
    frame = pd.concat([rows(), rows().assign(year=2024)], ignore_index=True)
    settings = DuckDBParams(memory_limit="256MB", temp_directory=str(tmp_path / "duck"), threads=1)
    content = scan_content(frame, KEY, distinct="year", settings=settings)
    assert (content.rows, content.distinct, content.columns) == (80, [2024, 2025], list(frame.columns))
    assert content.digest == content_hash(frame, KEY)


def test_an_empty_table_has_a_hash_of_its_own():
    frame = rows()
    assert content_hash(frame.iloc[:0], KEY) != content_hash(frame, KEY)
    assert scan_content(frame.iloc[:0], KEY, distinct="year").distinct == []


def test_a_nan_in_arrow_hashes_as_the_missing_value_pandas_makes_of_it():
    table = pa.table({"client_id": [1, 2], "year": [2025, 2025], "bmi": pa.array([float("nan"), 30.0])})
    assert pc.is_nan(table["bmi"]).to_pylist() == [True, False]  # a NaN, not a null
    back = pa.Table.from_pandas(table.to_pandas(), preserve_index=False)
    assert back["bmi"].null_count == 1  # through pandas it is a null
    assert content_hash(table, KEY) == content_hash(back, KEY) == content_hash(table.to_pandas(), KEY)
