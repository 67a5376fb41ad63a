"""Drift statistics per feature (PSI and std shift, from :mod:`medcost.core.shift`) and the calendar advance.

The scores themselves (``std_shift``, ``psi_numeric``, ``psi_categorical``) live in
:mod:`medcost.core.shift`, shared with the select stage; see there for their definitions.

Calendar features (``calendar_features``: age, tenure) grow by one per year by
construction, and the scoring snapshot is a year after the last training rows; each
reference row is advanced by its gap to the snapshot (the ``year`` columns: one year for the
last training year, k for the k-th year back when several are stacked) before features are
compared, so drift means a change in the population, not the passage of time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from medcost.core.errors import MedcostError
from medcost.core.shift import psi_categorical, psi_numeric, require_columns, std_shift

log = logging.getLogger(__name__)


def feature_statistics(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    numeric: Sequence[str],
    categorical: Sequence[str],
    bins: int,
    epsilon: float,
) -> dict[str, dict[str, float]]:
    """``{feature: {"psi", "std_shift"}}`` (std_shift for numeric features only)."""
    require_columns(reference, "drift: reference data", [*numeric, *categorical])
    require_columns(current, "drift: current data", [*numeric, *categorical])
    stats: dict[str, dict[str, float]] = {}
    for column in numeric:
        stats[column] = {
            "psi": psi_numeric(reference[column], current[column], bins, epsilon),
            "std_shift": std_shift(reference[column], current[column]),
        }
    for column in categorical:
        stats[column] = {"psi": psi_categorical(reference[column], current[column], epsilon)}
    return stats


def snapshot_gaps(reference: pd.DataFrame, current: pd.DataFrame, column: str = "year") -> np.ndarray:
    """Years from each reference row to the current rows (which must have one ``column`` value), per row."""
    for name, frame in (("reference", reference), ("current", current)):
        if column not in frame.columns:
            raise MedcostError(f"drift: {name} data lacks the column '{column}' (needed by drift.calendar_features)")
    distinct = pd.unique(current[column].dropna())
    if len(distinct) != 1:
        raise MedcostError(f"drift: current data has {len(distinct)} distinct '{column}' values, expected one")
    if reference[column].isna().any():
        raise MedcostError(f"drift: reference data has {int(reference[column].isna().sum())} rows without '{column}'")
    return int(distinct[0]) - reference[column].to_numpy(dtype="int64")


def advance_calendar(frame: pd.DataFrame, features: Sequence[str], years: float | np.ndarray) -> pd.DataFrame:
    """A copy of ``frame`` with ``years`` (one number, or one per row) added to each calendar feature (age, tenure)."""
    require_columns(frame, "drift: reference data", features)
    out = frame.copy()
    for column in features:
        out[column] = out[column] + years
    return out
