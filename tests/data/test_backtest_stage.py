"""The backtest stage on a generated source, through the real stages: validate accepts the earlier cutoffs, split
ignores them, and backtest scores each of the last backtest.years years from the published rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from medcost.core.contracts import Backtest, QualityVerdict, TransformSummary, ValidationReport, read_contract
from medcost.core.errors import MedcostError
from medcost.validate import failure_message
from tests.data.test_validate import run_stages, stage_params
from tests.unit.test_extract import ROOT


def test_the_backtest_stage_scores_the_last_years_from_the_published_table(small_source, params, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # the SQL files are named relative to the repository
    monkeypatch.delenv("MEDCOST_SOURCE_URL", raising=False)
    out = tmp_path / "out"
    stage = stage_params(params, out, Path(small_source["path"]))
    stage["backtest"]["years"] = 2  # 2024 and 2025, trained on 2023 and 2024
    stage["extract"]["history_years"] = 7  # the claims of the earliest cutoff's lookback
    stage["split"]["min_test_rows"] = 200
    for name in ("train", "test", "scoring", "selection"):
        stage["paths"][name] = str(out / f"{name}.{'json' if name == 'selection' else 'parquet'}")
    # everything the stages write goes under tmp_path (the models and dvclive logs too: not the repository's)
    stage["paths"].update(
        truth=str(small_source["truth"]),
        plots=str(out / "plots"),
        models=str(out / "models"),
        dvclive=str(out / "dvclive"),
    )
    run_stages(stage, "fingerprint", "extract", "transform", "load", "validate", "split", "select", "tune", "backtest")

    metrics = out / "metrics"
    summary = read_contract(metrics / "transform.json", TransformSummary)
    assert summary.training_years == [2025] and summary.backtest_cutoffs == [2023, 2024]
    report = read_contract(metrics / "validate.json", ValidationReport)
    assert report.success, failure_message(report)
    assert set(pd.read_parquet(out / "train.parquet")["year"]) == {2025}  # split: the training years only

    backtest = read_contract(metrics / "backtest.json", Backtest)
    assert backtest.data.years == [2024, 2025] and backtest.data.training_years == 1
    assert (
        backtest.data.rows["2024"].train == summary.rows["2023"]
        and backtest.data.rows["2025"].test == summary.rows["2025"]
    )
    assert set(backtest.models) == {"tree", "linear", "baseline", "oracle"}
    baseline = backtest.models["baseline"].mean.r2
    assert baseline is not None and abs(baseline) < 0.01  # the mean of the year before: about no skill
    for name in ("tree", "linear", "oracle"):
        scores = backtest.models[name].mean
        assert scores.r2 is not None and scores.r2 > baseline + 0.05  # clearly better than the mean
        assert scores.gini is not None and 0 < scores.gini < 1 and len(scores.predictive_ratio) == 10
    plot = pd.read_csv(out / "plots" / "backtest" / "r2.csv")
    assert plot["year"].tolist() == [2024, 2025] and list(plot.columns) == ["year", "tree", "linear", "baseline"]

    # the gate reads the mean: an impossible threshold fails both models, and the stage still succeeds
    run_stages(stage, "train_tree", "train_linear", "evaluate")
    stage["validate_metrics"]["min_backtest_r2"] = 0.99
    run_stages(stage, "validate_metrics")
    verdict = read_contract(metrics / "quality.json", QualityVerdict)
    assert verdict.candidate is None and all(not m.gates["backtest_r2"].passed for m in verdict.models.values())

    stage["backtest"]["years"] = 3  # 2023 needs cutoff 2022, which the published table does not hold
    with pytest.raises(MedcostError, match="no rows for 2022, needed to score 2023"):
        run_stages(stage, "backtest")
