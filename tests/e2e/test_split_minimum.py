"""`split.test_size` too small for `split.min_test_rows`: `dvc repro` stops at split on one line naming the param."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e


def test_a_test_size_leaving_too_few_test_rows_stops_at_split_naming_it(repo):
    repo.set_param("split.test_size", "0.0001")  # the case: 2 test rows, trained on, failed in drift
    result = repo.dvc("repro", "train_tree", check=False)
    assert result.returncode != 0 and "Running stage 'split'" in result.stdout
    assert "Running stage 'train_tree'" not in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: split:")]
    assert len(errors) == 1, result.stderr
    match = re.fullmatch(
        r"error: split: split\.test_size = 0\.0001 leaves 1 of (\d+) training rows in test, fewer than (\d+) "
        r"\(10% of them: the data has fewer than 2 x split\.min_test_rows rows\): "
        r"set split\.test_size to at least (0\.\d+) \(or lower split\.min_test_rows\)",
        errors[0],
    )
    assert match, errors[0]
    rows, needed, lowest = int(match[1]), int(match[2]), float(match[3])
    assert rows < 2000 and needed == -(-rows // 10) and lowest * rows >= needed  # the 1,500-client source
    assert not (repo.path / "data/processed/test.parquet").exists()

    repo.set_param("split.test_size", "0.2")
    result = repo.dvc("repro", "split")
    assert f"split: {rows} training rows, fewer than 2 x split.min_test_rows = 2000" in result.stderr
    assert (repo.path / "data/processed/test.parquet").exists()
