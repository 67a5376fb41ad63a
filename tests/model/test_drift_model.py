"""Drift on the pipeline's own data: a shift injected into the scoring snapshot is caught, nothing else is.

Needs the split and train_tree outputs (``dvc repro train_tree`` or the stage scripts); skipped without them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from medcost.config import DriftParams, PathsParams, TransformParams, section
from medcost.drift import drift_report
from medcost.features import feature_columns
from medcost.models import load_model, predict

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pipeline_data(params):
    paths = section(params, "paths", PathsParams)
    files = [ROOT / paths.train, ROOT / paths.test, ROOT / paths.scoring, ROOT / paths.models / "tree.pkl"]
    missing = [str(f.relative_to(ROOT)) for f in files if not f.exists()]
    if missing:
        pytest.skip(f"pipeline outputs missing: {', '.join(missing)} (run the stages up to train_tree)")
    train, test, scoring = (pd.read_parquet(f) for f in files[:3])
    return train, test, scoring, load_model(files[3])


def test_an_injected_shift_is_flagged_and_nothing_else(params, pipeline_data):
    train, test, scoring, model = pipeline_data
    columns = feature_columns(section(params, "transform", TransformParams))
    cfg = DriftParams(**{**section(params, "drift", DriftParams).model_dump(), "n_samples": 3000})
    shifted = scoring.copy()
    shifted["bmi"] = shifted["bmi"] + 0.8 * np.nanstd(train["bmi"])           # a unit or coding change
    rng = np.random.default_rng(0)
    to_bronze = (shifted["plan"] == "gold").to_numpy() & (rng.random(len(shifted)) < 0.7)
    shifted.loc[to_bronze, "plan"] = "bronze"                                 # a portfolio change

    predictions = (predict(model, train), predict(model, shifted))
    summary, _ = drift_report(train, test, shifted, columns, predictions, "tree", cfg)
    failed = summary["verdict"]["failed"]
    assert summary["verdict"]["passed"] is False
    assert {"psi:bmi", "std_shift:bmi", "feature_drift:bmi", "psi:plan", "feature_drift:plan"} <= set(failed)
    assert all(f.split(":")[-1] in {"bmi", "plan"} for f in failed if ":" in f), failed
