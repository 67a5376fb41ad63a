"""drift.max_rows and select.max_rows: a part beyond it is read as a seeded sample of its rows, a batch at a time."""

import numpy as np
import pandas as pd
import pytest

from medcost.core.errors import MedcostError
from medcost.core.sample import BATCH_ROWS, read_sample


def part(tmp_path, rows: int):
    frame = pd.DataFrame({"client_id": np.arange(rows), "region": np.where(np.arange(rows) % 2, "north", "south")})
    frame["cost"] = frame["client_id"] * 1.5
    path = tmp_path / "part.parquet"
    frame.to_parquet(path, index=False, row_group_size=50_000)
    return frame, path


def test_a_part_within_the_limit_is_read_whole(tmp_path):
    frame, path = part(tmp_path, 1000)
    sample, total = read_sample(path, max_rows=1000, seed=1)
    assert total == 1000
    pd.testing.assert_frame_equal(sample, frame)


def test_a_larger_part_is_a_seeded_sample_of_its_rows_in_file_order(tmp_path):
    rows = 2 * BATCH_ROWS + 12_345  # several batches, the last one short
    frame, path = part(tmp_path, rows)
    sample, total = read_sample(path, max_rows=20_000, seed=3)
    assert total == rows and len(sample) == 20_000
    assert sample["client_id"].is_unique and sample["client_id"].is_monotonic_increasing
    expected = frame.set_index("client_id").loc[sample["client_id"]].reset_index()
    pd.testing.assert_frame_equal(sample, expected)  # whole rows, as written
    assert sample["client_id"].max() > 2 * BATCH_ROWS  # drawn from every batch, not the first ones
    again, _ = read_sample(path, max_rows=20_000, seed=3)
    pd.testing.assert_frame_equal(again, sample)
    other, _ = read_sample(path, max_rows=20_000, seed=4)
    assert not other["client_id"].equals(sample["client_id"])


def test_a_missing_part_names_the_stage_that_writes_it(tmp_path):
    with pytest.raises(MedcostError, match=r"part.parquet: file not found \(run the split stage first\)"):
        read_sample(tmp_path / "part.parquet", max_rows=10, seed=1, made_by="split")


def test_only_the_columns_asked_for_that_the_part_has(tmp_path):
    frame, path = part(tmp_path, BATCH_ROWS + 10)
    whole, _ = read_sample(path, max_rows=BATCH_ROWS + 10, seed=1, columns=["cost", "client_id", "nope"])
    assert list(whole.columns) == ["cost", "client_id"]  # in the order asked; a column the part lacks is left out
    sample, _ = read_sample(path, max_rows=100, seed=1, columns=["region"], param="select.max_rows")
    assert list(sample.columns) == ["region"] and len(sample) == 100
