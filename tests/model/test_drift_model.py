"""Drift on the pipeline's own data: a shift injected into the scoring snapshot is caught, nothing else is.

Uses the small demo source's split and the default tree (tests/model/conftest.py), so it runs on a clean clone.
"""

from __future__ import annotations

import numpy as np
import pytest

from medcost.core.model_file import predict
from medcost.core.params import DriftParams, section
from medcost.drift import drift_report


@pytest.fixture(scope="module")
def pipeline_data(small_features, default_models):
    return (
        small_features["train"],
        small_features["test"],
        small_features["scoring"],
        small_features["spec"],
        default_models["tree"],
    )


def test_an_injected_shift_is_flagged_and_nothing_else(params, pipeline_data):
    train, test, scoring, spec, model = pipeline_data
    cfg = DriftParams(**{**section(params, "drift", DriftParams).model_dump(), "n_samples": 3000})
    shifted = scoring.copy()
    shifted["bmi"] = shifted["bmi"] + 0.8 * np.nanstd(train["bmi"])  # a unit or coding change
    rng = np.random.default_rng(0)
    to_bronze = (shifted["plan"] == "gold").to_numpy() & (rng.random(len(shifted)) < 0.7)
    shifted.loc[to_bronze, "plan"] = "bronze"  # a portfolio change

    predictions = (predict(model, train), predict(model, shifted))
    summary, _ = drift_report(train, test, shifted, spec, predictions, "tree", cfg)
    failed = summary.verdict.failed
    assert summary.verdict.passed is False
    assert {"psi:bmi", "std_shift:bmi", "feature_drift:bmi", "psi:plan", "feature_drift:plan"} <= set(failed)
    assert all(f.split(":")[-1] in {"bmi", "plan"} for f in failed if ":" in f), failed
