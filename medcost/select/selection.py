"""Drift-aware feature selection: score each model input on train against scoring, keep those that did not move.

For each input of the :class:`~medcost.core.features.FeatureSpec` (numeric, flags, claim history
and categoricals), on the training rows against the scoring snapshot:

- ``std_shift`` (numeric): ``|mean_scoring - mean_train| / std_train``;
- ``psi``: the population stability index (numeric: over the training quantile bins; categorical:
  over the categories) — both from :mod:`medcost.core.shift`, the drift stage's own statistics;
- ``top_share``: the share of the training rows holding the most common value (missing is a value).

A feature is dropped when its std shift or PSI is above ``select.max_std_shift`` / ``select.max_psi``
(a score equal to its limit passes, as in drift), when it has one value only (``constant``) or one value
in at least ``select.quasi_constant_share`` of the training rows (``quasi_constant``), or when it holds
the same value as an earlier kept feature in every training row (``duplicate``; the spec's order decides
which one stays). Calendar features (age, tenure) are first advanced by each training row's years to the
snapshot, as in drift, so the passage of time is not a shift. With ``select.enabled: false`` every input
is kept and the reasons are still recorded.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from medcost.core.contracts import FeatureChoice, FeatureSelection, SelectReason, SelectSummary, SelectThresholds
from medcost.core.errors import MedcostError
from medcost.core.features import FeatureSpec
from medcost.core.params_select import SelectParams
from medcost.core.shift import MISSING, psi_categorical, psi_numeric, require_columns, std_shift

log = logging.getLogger(__name__)

YEAR = "year"
"""The key column holding a row's year: the gap from a training row to the snapshot (calendar features)."""


def advanced(train: pd.DataFrame, scoring: pd.DataFrame, features: Sequence[str]) -> pd.DataFrame:
    """A copy of ``train`` with each calendar feature advanced by the row's years to the scoring snapshot."""
    out = train.copy()
    if not features:
        return out
    for name, frame in (("train", train), ("scoring", scoring)):
        if YEAR not in frame.columns:
            raise MedcostError(
                f"select: the {name} part lacks the column '{YEAR}' (needed by select.calendar_features)"
            )
    years = pd.unique(scoring[YEAR].dropna())
    if len(years) != 1:
        raise MedcostError(f"select: the scoring part has {len(years)} distinct '{YEAR}' values, expected one")
    gaps = int(years[0]) - train[YEAR].to_numpy(dtype="float64")
    for column in features:
        out[column] = out[column].astype("float64") + gaps
    return out


def top_share(values: pd.Series) -> float:
    """The share of ``values`` holding the most common one (missing counts as a value); NaN when empty."""
    if len(values) == 0:
        return float("nan")
    return float(values.value_counts(dropna=False, sort=True).iloc[0]) / len(values)


def _same(a: pd.Series, b: pd.Series, categorical: bool) -> bool:
    if categorical:
        left = a.astype("object").where(a.notna(), MISSING).astype(str).to_numpy()
        right = b.astype("object").where(b.notna(), MISSING).astype(str).to_numpy()
        return bool(np.array_equal(left, right))
    return bool(np.array_equal(a.to_numpy(dtype="float64"), b.to_numpy(dtype="float64"), equal_nan=True))


def _g(value: float | None) -> str:
    return "inf" if value is None else f"{value:.4g}"


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _drift_reasons(choice: dict[str, float], cfg: SelectParams) -> list[SelectReason]:
    reasons: list[SelectReason] = []
    shift, psi = choice.get("std_shift", float("nan")), choice["psi"]
    if not math.isnan(shift) and shift > cfg.max_std_shift:
        reasons.append("std_shift")
    if not math.isnan(psi) and psi > cfg.max_psi:
        reasons.append("psi")
    return reasons


def select_features(
    train: pd.DataFrame, scoring: pd.DataFrame, spec: FeatureSpec, cfg: SelectParams
) -> FeatureSelection:
    """Score every input of ``spec`` on ``train`` against ``scoring`` and decide which the models keep.

    Raises a one-line MedcostError when a part lacks an input, or when (enabled) every input would be dropped.
    """
    require_columns(train, "select: the train part", spec.inputs, " (rerun split)")
    require_columns(scoring, "select: the scoring part", spec.inputs, " (rerun split)")
    calendar = [c for c in cfg.calendar_features if c in spec.numeric]
    reference = advanced(train[[*spec.inputs, *([YEAR] if calendar else [])]], scoring, calendar)
    categorical = set(spec.categorical)
    choices: dict[str, FeatureChoice] = {}
    kept: list[str] = []
    for column in spec.inputs:
        is_cat = column in categorical
        scores: dict[str, float] = {}
        if is_cat:
            scores["psi"] = psi_categorical(reference[column], scoring[column], cfg.psi_epsilon)
        else:
            scores["psi"] = psi_numeric(reference[column], scoring[column], cfg.psi_bins, cfg.psi_epsilon)
            scores["std_shift"] = std_shift(reference[column], scoring[column])
        share = top_share(train[column])
        reasons: list[SelectReason] = []
        if train[column].nunique(dropna=False) <= 1:
            reasons.append("constant")
        elif share >= cfg.quasi_constant_share:
            reasons.append("quasi_constant")
        reasons += _drift_reasons(scores, cfg)
        twin = None
        if not reasons:
            twin = next(
                (k for k in kept if (k in categorical) == is_cat and _same(train[k], train[column], is_cat)), None
            )
            if twin is not None:
                reasons.append("duplicate")
        keep = not reasons or not cfg.enabled
        if keep:
            kept.append(column)
        choices[column] = FeatureChoice(
            kind="categorical" if is_cat else "numeric",
            kept=keep,
            reasons=reasons,
            std_shift=_finite(scores["std_shift"]) if "std_shift" in scores else None,
            psi=_finite(scores["psi"]),
            top_share=_finite(share),
            duplicate_of=twin,
        )
    dropped = [c for c in spec.inputs if not choices[c].kept]
    if not kept:
        raise MedcostError(
            f"select: every model input would be dropped (select.max_std_shift = {cfg.max_std_shift}, "
            f"select.max_psi = {cfg.max_psi}, select.quasi_constant_share = {cfg.quasi_constant_share})"
        )
    for column in dropped:
        log.warning("select: dropping %s (%s)", column, describe(choices[column]))
    log.info("select: %d input(s) kept, %d dropped", len(kept), len(dropped))
    return FeatureSelection(
        enabled=cfg.enabled,
        thresholds=SelectThresholds(
            max_std_shift=cfg.max_std_shift, max_psi=cfg.max_psi, quasi_constant_share=cfg.quasi_constant_share
        ),
        calendar_features=calendar,
        train_rows=len(train),
        scoring_rows=len(scoring),
        kept=kept,
        dropped=dropped,
        features=choices,
    )


def describe(choice: FeatureChoice) -> str:
    """The reasons of one choice with their scores, e.g. ``std_shift 3.0, psi 2.1`` or ``duplicate of bmi``."""
    parts = []
    for reason in choice.reasons:
        if reason == "std_shift":
            parts.append(f"std_shift {_g(choice.std_shift)}")
        elif reason == "psi":
            parts.append(f"psi {_g(choice.psi)}")
        elif reason == "quasi_constant":
            parts.append(f"quasi_constant {_g(choice.top_share)}")
        elif reason == "duplicate":
            parts.append(f"duplicate of {choice.duplicate_of}")
        else:
            parts.append(reason)
    return ", ".join(parts)


def selection_summary(selection: FeatureSelection) -> SelectSummary:
    """metrics/select.json: the counts, and each dropped input with its reasons."""
    return SelectSummary(
        kept=len(selection.kept),
        dropped=len(selection.dropped),
        dropped_features={c: ", ".join(selection.features[c].reasons) for c in selection.dropped},
    )
