"""Drift: own statistics against hand-computed values, the verdict, and real deepchecks runs on synthetic frames."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from medcost.core.contracts import DriftSummary, DriftVerdict, QualityVerdict, read_contract, write_contract
from medcost.core.errors import MedcostError
from medcost.core.features import FeatureSpec
from medcost.core.params import DriftParams, section
from medcost.drift import (
    advance_calendar,
    drift_model,
    drift_report,
    drift_summary,
    feature_statistics,
    psi_categorical,
    psi_numeric,
    quantile_edges,
    snapshot_gaps,
    std_shift,
    write_report,
)

EPS = 1e-4
CFG = DriftParams(
    fallback_model="tree",
    calendar_features=[],
    psi_bins=10,
    psi_epsilon=EPS,
    n_samples=1000,
    max_rows=500_000,
    seed=42,
    max_psi=0.25,
    max_std_shift=0.5,
    max_feature_drift=0.2,
    max_multivariate_drift=0.25,
    max_prediction_drift=0.15,
    max_label_drift=0.15,
)
SPEC = FeatureSpec(key=["client_id", "year"], numeric=["a", "b", "flag"], categorical=["c"], history=["b"], target="y")


def term(p: float, q: float) -> float:
    return (q - p) * math.log(q / p)


# ----------------------------------------------------------------------------- own statistics by hand


def test_psi_numeric_by_hand():
    # 2 bins: the reference median 2 cuts (-inf, 2], (2, inf); reference 2/2, new 3/1; no missing bin
    expected = term(0.5, 0.75) + term(0.5, 0.25)
    assert psi_numeric([1, 2, 3, 4], [1, 1, 1, 4], bins=2, epsilon=EPS) == pytest.approx(expected)
    assert psi_numeric([1, 2, 3, 4], [1, 1, 1, 4], bins=2) == pytest.approx(0.2746530722, rel=1e-9)


def test_psi_numeric_bins_are_right_closed_and_missing_is_a_bin():
    ref = [1.0, 2.0, 3.0, 4.0]  # bins (-inf, 2], (2, inf), missing: 2/4, 2/4, 0
    new = [2.0, 2.0, np.nan, 7.0]  # 2 falls in the first bin: 2/4, 1/4, 1/4
    expected = term(0.5, 0.5) + term(0.5, 0.25) + term(EPS, 0.25)
    assert psi_numeric(ref, new, bins=2, epsilon=EPS) == pytest.approx(expected)


def test_psi_numeric_empty_bin_uses_epsilon():
    # reference quartiles of 1..8: 2, 4, 6 -> 4 bins of 2 each; new puts everything in the top bin
    assert list(quantile_edges(np.arange(1.0, 9.0), 4)) == [2.0, 4.0, 6.0]
    expected = 3 * term(0.25, EPS) + term(0.25, 1.0)
    assert psi_numeric(np.arange(1.0, 9.0), [8.0, 9.0, 10.0], bins=4, epsilon=EPS) == pytest.approx(expected)


def test_psi_of_a_flag_collapses_to_two_bins():
    ref = [0.0] * 8 + [1.0] * 2  # every inner decile is 0 or 1: edges {0, 1}
    new = [0.0] * 5 + [1.0] * 5
    assert list(quantile_edges(np.array(ref), 10)) == [0.0, 1.0]
    assert psi_numeric(ref, new, bins=10, epsilon=EPS) == pytest.approx(term(0.8, 0.5) + term(0.2, 0.5))


def test_psi_categorical_by_hand_with_unseen_and_missing_categories():
    ref = ["a", "a", "b", "b"]
    new = ["a", "a", "a", "c"]  # b vanished, c is new
    expected = term(0.5, 0.75) + term(0.5, EPS) + term(EPS, 0.25)
    assert psi_categorical(ref, new, epsilon=EPS) == pytest.approx(expected)
    with_missing = psi_categorical(["a", None, "a", None], ["a", "a", "a", None], epsilon=EPS)
    assert with_missing == pytest.approx(term(0.5, 0.75) + term(0.5, 0.25))


def test_std_shift_by_hand():
    assert std_shift([0.0, 2.0], [3.0, 5.0]) == pytest.approx(3.0)  # |4 - 1| / 1 (population std)
    assert std_shift([0.0, 2.0, np.nan], [1.0, np.nan]) == 0.0  # missing values are ignored
    assert std_shift([1.0, 2.0, 3.0, 4.0], [4.0, 5.0]) == pytest.approx(2.0 / math.sqrt(1.25))  # |4.5 - 2.5| / 1.118
    assert std_shift([5.0, 5.0], [5.0]) == 0.0 and std_shift([5.0, 5.0], [6.0]) == math.inf
    assert math.isnan(std_shift([np.nan], [1.0]))


def test_identical_data_has_zero_drift_and_inputs_are_not_modified():
    frame = synthetic(500, seed=1)
    before = frame.copy()
    stats = feature_statistics(frame, frame, SPEC.numeric, SPEC.categorical, 10, EPS)
    assert all(s["psi"] == 0.0 for s in stats.values())
    assert all(s["std_shift"] == 0.0 for c, s in stats.items() if c != "c") and "std_shift" not in stats["c"]
    pd.testing.assert_frame_equal(frame, before)


def test_a_missing_column_is_an_error():
    with pytest.raises(MedcostError, match="current data lacks column"):
        feature_statistics(synthetic(50, 1), synthetic(50, 2).drop(columns=["b"]), ["a", "b"], [], 10, EPS)


# ----------------------------------------------------------------------------- verdict (no deepchecks)


def scores(feature: float = 0.01, multivariate: float = 0.0, prediction: float = 0.0, label: float = 0.0) -> dict:
    return {
        "feature_drift": {"a": feature, "c": 0.0},
        "multivariate_drift": {"drift_score": multivariate, "auc": 0.5},
        "prediction_drift": {"drift_score": prediction},
        "label_drift": {"drift_score": label},
    }


def summary(stats: dict, dc: dict) -> DriftSummary:
    return drift_summary(
        stats,
        dc,
        {"psi": 0.0, "std_shift": 0.0},
        {"psi": 0.0, "std_shift": 0.0},
        "tree",
        {"train": 10, "test": 5, "scoring": 10},
        CFG,
    )


def test_verdict_edges_pass_and_every_kind_of_failure_is_named():
    at_limit = summary(
        {"a": {"psi": 0.25, "std_shift": 0.5}, "c": {"psi": 0.25}},
        scores(feature=0.2, multivariate=0.25, prediction=0.15, label=0.15),
    )
    assert at_limit.verdict == DriftVerdict(passed=True, failed=[])
    over = summary(
        {"a": {"psi": 0.3, "std_shift": math.inf}, "c": {"psi": 0.26}},
        scores(feature=0.21, multivariate=0.3, prediction=0.2, label=0.2),
    )
    assert over.verdict.passed is False
    assert over.verdict.failed == [
        "psi:a",
        "std_shift:a",
        "feature_drift:a",
        "psi:c",
        "multivariate_drift",
        "prediction_drift",
        "label_drift",
    ]
    assert over.features["a"].std_shift is None  # infinite: no JSON number, but it failed
    json.dumps(over.model_dump(mode="json"), allow_nan=False)


def test_the_summary_file_keeps_its_layout(tmp_path):
    """Numeric features carry psi and std_shift, categorical ones psi; drift_score where deepchecks scored one."""
    result = summary(
        {"a": {"psi": 0.3, "std_shift": math.inf}, "b": {"psi": 0.1, "std_shift": 0.2}, "c": {"psi": 0.26}}, scores()
    )
    write_contract(tmp_path / "drift.json", result)
    data = json.loads((tmp_path / "drift.json").read_text())
    assert data["features"] == {
        "a": {"psi": 0.3, "std_shift": None, "drift_score": 0.01},
        "b": {"psi": 0.1, "std_shift": 0.2},
        "c": {"psi": 0.26, "drift_score": 0.0},
    }
    assert set(data) == {
        "verdict",
        "model",
        "rows",
        "rows_used",
        "reference_advanced",
        "features",
        "multivariate_drift",
        "prediction_drift",
        "label_drift",
    }
    assert data["prediction_drift"] == {"drift_score": 0.0, "psi": 0.0, "std_shift": 0.0}
    assert data["rows_used"] == data["rows"]  # no sample: every row
    assert read_contract(tmp_path / "drift.json", DriftSummary) == result


def verdict(candidate: str | None) -> QualityVerdict:
    return QualityVerdict(passed=candidate is not None, candidate=candidate, models={}, reason="by hand")


def test_drift_model_follows_the_verdict():
    assert drift_model(verdict("linear"), "tree") == "linear"
    assert drift_model(verdict(None), "tree") == "tree"
    assert drift_model(None, "tree") == "tree"


def test_params_section_validates(params):
    cfg = section(params, "drift", DriftParams)
    assert cfg.max_psi > 0 and cfg.n_samples >= 100


# ----------------------------------------------------------------------------- deepchecks, for real


def synthetic(n: int, seed: int, shift: float = 0.0, year: int = 2025) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.normal(50.0, 10.0, n) + shift * 10.0
    frame = pd.DataFrame(
        {
            "year": year,
            "a": a,
            "b": rng.lognormal(7.0, 1.5, n),
            "flag": (rng.random(n) < 0.2).astype("float64"),
            "c": rng.choice(np.array(["north", "south", "east", "west"], dtype=object), n, p=[0.4, 0.3, 0.2, 0.1]),
        }
    )
    frame.loc[rng.random(n) < 0.05, "b"] = np.nan
    frame["y"] = np.maximum(0.0, 100.0 * frame["a"] + rng.normal(0.0, 500.0, n))
    return frame


def predictions(frame: pd.DataFrame) -> np.ndarray:
    return 100.0 * frame["a"].to_numpy()


@pytest.fixture(scope="module")
def same() -> tuple[DriftSummary, list]:
    train, test, scoring = synthetic(1500, 1), synthetic(500, 2), synthetic(1500, 3).drop(columns=["y"])
    return drift_report(train, test, scoring, SPEC, (predictions(train), predictions(scoring)), "tree", CFG)


@pytest.fixture(scope="module")
def shifted() -> tuple[DriftSummary, list]:
    train, test, scoring = synthetic(1500, 1), synthetic(500, 2), synthetic(1500, 3, shift=1.0).drop(columns=["y"])
    return drift_report(train, test, scoring, SPEC, (predictions(train), predictions(scoring)), "tree", CFG)


def test_same_distribution_is_no_drift(same):
    result, _ = same
    assert result.verdict == DriftVerdict(passed=True, failed=[])
    assert set(result.features) == {"a", "b", "flag", "c"}
    for column, entry in result.features.items():
        assert entry.psi is not None and entry.drift_score is not None, column
        assert entry.psi < 0.05 and entry.drift_score < 0.1, column
    assert (result.multivariate_drift["drift_score"] or 0.0) < 0.15
    assert result.rows == {"train": 1500, "test": 500, "scoring": 1500}


def test_a_shifted_feature_is_flagged_by_own_stats_and_deepchecks(shifted):
    result, _ = shifted
    assert result.verdict.passed is False
    failed = result.verdict.failed
    a = result.features["a"]
    assert a.std_shift == pytest.approx(1.0, abs=0.15)
    assert a.psi is not None and a.psi > 0.5 and a.drift_score is not None and a.drift_score > 0.3
    for flag in ("psi:a", "std_shift:a", "feature_drift:a", "multivariate_drift", "prediction_drift"):
        assert flag in failed
    assert not any(f.endswith((":b", ":flag", ":c")) for f in failed)
    assert "label_drift" not in failed  # train vs test: same distribution


def test_the_report_is_a_self_contained_html_file(shifted, tmp_path):
    result, checks = shifted
    path = tmp_path / "reports" / "drift.html"
    write_report(checks, result, path)
    first = path.read_bytes()
    write_report(checks, result, path)  # overwrites in place (deepchecks alone would write "drift (1).html")
    assert [p.name for p in path.parent.iterdir()] == ["drift.html"]
    # the same results give the same bytes (deepchecks, plotly and pandas draw random element ids;
    # the report is a DVC out, so a random byte would change dvc.lock on every rerun)
    assert path.read_bytes() == first
    text = path.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<html>") and "Feature Drift" in text and "Multivariate Drift" in text
    assert "medcost drift verdict: FAILED" in text
    assert "<script src=" not in text and "cdn.plot.ly/plotly" not in text  # plotly.js is inlined: opens offline


def test_reruns_give_identical_metrics(same):
    train, test, scoring = synthetic(1500, 1), synthetic(500, 2), synthetic(1500, 3).drop(columns=["y"])
    again, _ = drift_report(train, test, scoring, SPEC, (predictions(train), predictions(scoring)), "tree", CFG)
    assert again.model_dump_json() == same[0].model_dump_json()


def test_calendar_features_are_compared_after_advancing_the_reference():
    """Ten years later, `a` (an age) is 10 higher for everyone: that is time passing, not drift."""
    train, test = synthetic(1500, 1, year=2015), synthetic(500, 2, year=2015)
    scoring = synthetic(1500, 3, shift=1.0, year=2025).drop(columns=["y"])
    assert (snapshot_gaps(train, scoring) == 10).all()
    before = train.copy()
    advanced = advance_calendar(train, ["a"], 10)
    pd.testing.assert_frame_equal(train, before)
    np.testing.assert_allclose(advanced["a"] - train["a"], 10.0)
    cfg = DriftParams(**{**CFG.model_dump(), "calendar_features": ["a"]})
    result, _ = drift_report(train, test, scoring, SPEC, (predictions(train), predictions(scoring)), "tree", cfg)
    assert result.reference_advanced == {"a": 10}
    a = result.features["a"]
    assert a.psi is not None and a.psi < 0.05 and a.drift_score is not None and a.drift_score < 0.1
    # features are aligned, predictions are not: the model does predict more for an older population
    assert result.verdict == DriftVerdict(passed=False, failed=["prediction_drift"])


def test_several_training_years_are_each_advanced_by_their_own_gap():
    """Training years 2023-2025 against the 2026 snapshot: the same cohort, `a` (an age) one higher each year.

    Advanced by one common gap, the older rows would look younger than the snapshot; each row is
    advanced by its own (3, 2, 1 years), so the reference matches the snapshot again.
    """
    base = synthetic(1500, 1)
    train = pd.concat([base.assign(year=y, a=base["a"] + (y - 2023)) for y in (2023, 2024, 2025)], ignore_index=True)
    scoring = synthetic(1500, 1, year=2026).drop(columns=["y"]).assign(a=base["a"] + 3)
    gaps = snapshot_gaps(train, scoring)
    assert gaps.tolist() == [3] * 1500 + [2] * 1500 + [1] * 1500
    cfg = DriftParams(**{**CFG.model_dump(), "calendar_features": ["a"]})
    result, _ = drift_report(
        train, synthetic(500, 2), scoring, SPEC, (predictions(train), predictions(scoring)), "tree", cfg
    )
    assert result.reference_advanced == {"a": [3, 2, 1]}
    # the advanced rows are the snapshot's values, up to the last bit ((a + 1) + 2 need not be a + 3)
    assert result.features["a"].psi == pytest.approx(0.0, abs=1e-3)
    assert result.features["a"].std_shift == pytest.approx(0.0, abs=1e-9)
    one, _ = drift_report(
        train, synthetic(500, 2), scoring, SPEC, (predictions(train), predictions(scoring)), "tree", CFG
    )
    assert one.reference_advanced == {} and (one.features["a"].std_shift or 0) > 0.15  # unadvanced: 2 years younger


def test_calendar_features_need_one_year_per_side_and_must_be_numeric():
    train, scoring = synthetic(50, 1), synthetic(50, 2)
    with pytest.raises(MedcostError, match="reference data lacks the column 'year'"):
        snapshot_gaps(train.drop(columns=["year"]), scoring)
    with pytest.raises(MedcostError, match="reference data has 1 rows without 'year'"):
        snapshot_gaps(train.assign(year=train["year"].where(train.index > 0)), scoring)
    scoring.loc[0, "year"] = 2030
    with pytest.raises(MedcostError, match="current data has 2 distinct 'year' values"):
        snapshot_gaps(train, scoring)
    cfg = DriftParams(**{**CFG.model_dump(), "calendar_features": ["c"]})
    with pytest.raises(MedcostError, match="drift.calendar_features: c not among the numeric features"):
        drift_report(train, train, train, SPEC, (predictions(train), predictions(train)), "tree", cfg)


def test_stage_fails_with_one_line_on_a_missing_input(tmp_path, params):
    root = Path(__file__).resolve().parents[2]
    paths = {
        **params["paths"],
        **{k: str(tmp_path / f"{k}.parquet") for k in ("train", "test", "scoring")},
        "metrics": str(tmp_path / "metrics"),
        "reports": str(tmp_path / "reports"),
    }
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({**params, "paths": paths}))
    done = subprocess.run(
        [sys.executable, "-m", "stages.drift", "--params", str(tmp_path / "params.yaml")],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f"error: drift: {tmp_path / 'train.parquet'}: file not found (run the split stage first)"
    )
    assert not (tmp_path / "metrics").exists()
