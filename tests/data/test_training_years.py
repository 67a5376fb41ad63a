"""Three training years through the real stages: the feature table passes validate, split keeps clients whole."""

from __future__ import annotations

import pandas as pd
import pytest

from medcost.core.contracts import SplitSummary, TransformSummary, ValidationReport, read_contract
from medcost.validate import failure_message
from tests.data.test_validate import run_stages, stage_params
from tests.unit.test_extract import ROOT
from tests.unit.test_training_years import generated, years_params


@pytest.fixture(scope="module")
def six_years(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("six")
    generated(folder, 2020, 6)
    return folder / "demo.db"


def test_three_training_years_pass_validate_and_split_by_client(six_years, params, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # the SQL files are named relative to the repository
    monkeypatch.delenv("MEDCOST_SOURCE_URL", raising=False)
    stage = stage_params(years_params(params, 3, 6, tmp_path), tmp_path / "out", six_years)
    stage["split"]["min_test_rows"] = 500  # ~3,100 training rows: 0.2 of them is below the default 1,000
    stage["backtest"]["years"] = 0  # no earlier cutoffs: the table holds the training years and the scoring one only
    stage["validate_metrics"]["min_backtest_r2"] = None
    for name in ("train", "test", "scoring"):
        stage["paths"][name] = str(tmp_path / "out" / f"{name}.parquet")
    run_stages(stage, "fingerprint", "extract", "transform", "load", "validate", "split")

    metrics = tmp_path / "out" / "metrics"
    summary = read_contract(metrics / "transform.json", TransformSummary)
    assert summary.training_years == [2023, 2024, 2025] and summary.short_history == []
    report = read_contract(metrics / "validate.json", ValidationReport)
    assert report.success, failure_message(report)
    parts = {name: pd.read_parquet(stage["paths"][name]) for name in ("train", "test", "scoring")}
    assert set(parts["train"]["client_id"]).isdisjoint(parts["test"]["client_id"])
    assert set(parts["train"]["year"]) == set(parts["test"]["year"]) == {2023, 2024, 2025}
    assert set(parts["scoring"]["year"]) == {2026}
    split = read_contract(metrics / "split.json", SplitSummary)
    training = sum(n for year, n in summary.rows.items() if year != "2026")
    assert split.train + split.test == training and split.scoring == summary.rows["2026"]
