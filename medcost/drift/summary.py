"""The drift verdict: every score against its threshold, in the drift summary contract (metrics/drift.json).

A score equal to its threshold passes; an infinite one fails; an undefined one (NaN) does
not. The verdict lists what failed, e.g. ``psi:age``, ``feature_drift:age``,
``multivariate_drift``. Drift beyond the thresholds is a result, not an error.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from medcost.core.contracts import DriftSummary, QualityVerdict
from medcost.core.errors import MedcostError
from medcost.core.features import FeatureSpec
from medcost.core.numbers import finite_or_none, round_floats
from medcost.core.params import DriftParams
from medcost.core.shift import psi_numeric, std_shift
from medcost.drift.checks import run_deepchecks
from medcost.drift.statistics import advance_calendar, feature_statistics, snapshot_gaps

log = logging.getLogger(__name__)


def _over(value: float | None, limit: float) -> bool:
    """A score fails when it exceeds its limit; an infinite score fails; an undefined one (NaN) does not."""
    return value is not None and not math.isnan(value) and value > limit


def drift_summary(
    stats: Mapping[str, Mapping[str, float]],
    scores: Mapping[str, Any],
    prediction: Mapping[str, float],
    label: Mapping[str, float],
    model: str,
    rows: Mapping[str, int],
    cfg: DriftParams,
    advanced: Mapping[str, int | list[int]] | None = None,
    used: Mapping[str, int] | None = None,
) -> DriftSummary:
    """The drift summary: the verdict (passed, failed: [...]), per-feature scores (own psi,
    std_shift; deepchecks drift_score) and the other deepchecks scores.

    ``stats`` are own statistics per feature (:func:`~medcost.drift.statistics.feature_statistics`),
    ``scores`` the deepchecks scores (:func:`~medcost.drift.checks.run_deepchecks`);
    ``prediction`` and ``label`` are own statistics (psi, std_shift) of the predictions
    (train vs scoring) and of the target (train vs test); ``advanced`` says by how many years each
    calendar feature of the reference was advanced (with several training years: each one's gap,
    oldest first); ``used`` how many of ``rows`` the statistics used (fewer when drift.max_rows sampled them;
    default: all). Floats are rounded to 6 significant digits, non-finite ones become None.
    """
    failed: list[str] = []
    features: dict[str, dict[str, float]] = {}
    for column, own in stats.items():
        entry = dict(own)
        if column in scores["feature_drift"]:
            entry["drift_score"] = scores["feature_drift"][column]
        features[column] = entry
        if _over(own.get("psi"), cfg.max_psi):
            failed.append(f"psi:{column}")
        if _over(own.get("std_shift"), cfg.max_std_shift):
            failed.append(f"std_shift:{column}")
        if _over(entry.get("drift_score"), cfg.max_feature_drift):
            failed.append(f"feature_drift:{column}")
    for check, limit in (
        ("multivariate_drift", cfg.max_multivariate_drift),
        ("prediction_drift", cfg.max_prediction_drift),
        ("label_drift", cfg.max_label_drift),
    ):
        if _over(scores[check]["drift_score"], limit):
            failed.append(check)
    summary = {
        "verdict": {"passed": not failed, "failed": failed},
        "model": model,
        "rows": dict(rows),
        "rows_used": dict(used or rows),
        "reference_advanced": dict(advanced or {}),
        "features": features,
        "multivariate_drift": dict(scores["multivariate_drift"]),
        "prediction_drift": {**scores["prediction_drift"], **prediction},
        "label_drift": {**scores["label_drift"], **label},
    }
    return DriftSummary.model_validate(finite_or_none(round_floats(summary)))


def drift_report(
    train: pd.DataFrame,
    test: pd.DataFrame,
    scoring: pd.DataFrame,
    spec: FeatureSpec,
    predictions: tuple[np.ndarray, np.ndarray],
    model: str,
    cfg: DriftParams,
    rows: Mapping[str, int] | None = None,
) -> tuple[DriftSummary, list[Any]]:
    """Everything the drift stage computes: the summary (drift.json) and the deepchecks results (report).

    ``train`` is the reference; ``scoring`` (the snapshot the model will predict) is compared
    with it; ``test`` only for the label; ``predictions`` are the model's on train and scoring. ``rows``:
    the rows of each part when the frames are samples of them (default: the frames' own lengths).
    """
    numeric, categorical, target = list(spec.numeric), list(spec.categorical), spec.target
    unknown = [c for c in cfg.calendar_features if c not in numeric]
    if unknown:
        raise MedcostError(f"drift.calendar_features: {', '.join(unknown)} not among the numeric features")
    advanced: dict[str, int | list[int]] = {}
    reference = train
    if cfg.calendar_features:
        gaps = snapshot_gaps(train, scoring)  # per row: several training years are advanced by several gaps
        distinct = sorted({int(gap) for gap in gaps}, reverse=True)  # oldest training year first
        advanced = {column: distinct[0] if len(distinct) == 1 else distinct for column in cfg.calendar_features}
        reference = advance_calendar(train, cfg.calendar_features, gaps)
    stats = feature_statistics(reference, scoring, numeric, categorical, cfg.psi_bins, cfg.psi_epsilon)
    train_pred, scoring_pred = predictions
    own_prediction = {
        "psi": psi_numeric(train_pred, scoring_pred, cfg.psi_bins, cfg.psi_epsilon),
        "std_shift": std_shift(train_pred, scoring_pred),
    }
    own_label = {
        "psi": psi_numeric(train[target], test[target], cfg.psi_bins, cfg.psi_epsilon),
        "std_shift": std_shift(train[target], test[target]),
    }
    scores, results = run_deepchecks(train, test, scoring, spec, predictions, cfg, reference=reference)
    used = {"train": len(train), "test": len(test), "scoring": len(scoring)}
    summary = drift_summary(stats, scores, own_prediction, own_label, model, dict(rows or used), cfg, advanced, used)
    verdict = summary.verdict
    log.info("drift verdict: %s", "passed" if verdict.passed else "failed: " + ", ".join(verdict.failed))
    return summary, results


def drift_model(verdict: QualityVerdict | None, fallback: str) -> str:
    """The model whose predictions are compared: the quality verdict's candidate, else ``fallback``."""
    if verdict is not None and verdict.candidate:
        return verdict.candidate
    log.info("drift: the quality verdict names no candidate; comparing the predictions of '%s'", fallback)
    return fallback
