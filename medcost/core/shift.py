"""Distribution-shift scores of one feature between a reference and a current sample: std shift and PSI.

- ``std_shift`` (numeric): ``|mean_new - mean_ref| / std_ref`` over the non-missing values
  (population std, ddof=0); infinite when the reference is constant and the mean moved.
- ``psi``: population stability index ``sum((q - p) * ln(q / p))`` over bins, where p and q
  are the reference and new shares of a bin, and a share of 0 counts as ``epsilon``.
  Numeric bins are cut at the reference's quantiles (``bins`` equal-count bins; the edges
  are observed values, ``inverted_cdf``, and equal ones collapse, so a 0/1 flag gets two
  bins), right-closed, plus one bin for missing values. Categorical bins are the categories
  of either side (missing is a category).

Plain numpy, so the values can be checked by hand; the drift stage (the scoring snapshot
against the training rows) and the select stage (which drops the features that moved) share it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from medcost.core.errors import MedcostError

MISSING = "<missing>"
"""The category (and the bin) that missing values fall into."""


Values: TypeAlias = Sequence[float] | np.ndarray | pd.Series
"""A column of numbers: a list, an array or a Series."""


def require_columns(frame: pd.DataFrame, what: str, columns: Sequence[str], hint: str = "") -> None:
    """A one-line error unless ``frame`` (``what``, e.g. "drift: current data") has rows and every one of ``columns``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MedcostError(f"{what} lacks column(s) {', '.join(missing)}{hint}")
    if frame.empty:
        raise MedcostError(f"{what} has no rows")


def std_shift(reference: Values, current: Values) -> float:
    """``|mean(current) - mean(reference)| / std(reference)`` over non-missing values (NaN if a side has none)."""
    ref = np.asarray(reference, dtype="float64")
    cur = np.asarray(current, dtype="float64")
    ref, cur = ref[~np.isnan(ref)], cur[~np.isnan(cur)]
    if len(ref) == 0 or len(cur) == 0:
        return float("nan")
    diff = abs(float(cur.mean()) - float(ref.mean()))
    std = float(ref.std())
    if std == 0.0:
        return 0.0 if diff == 0.0 else float("inf")
    return diff / std


def _psi_from_counts(ref_counts: np.ndarray, cur_counts: np.ndarray, epsilon: float) -> float:
    ref_total, cur_total = ref_counts.sum(), cur_counts.sum()
    if ref_total == 0 or cur_total == 0:
        return float("nan")
    p = np.maximum(ref_counts / ref_total, epsilon)
    q = np.maximum(cur_counts / cur_total, epsilon)
    return float(np.sum((q - p) * np.log(q / p)))


def quantile_edges(reference: np.ndarray, bins: int) -> np.ndarray:
    """Inner bin edges: the reference's ``1/bins, ..., (bins-1)/bins`` quantiles (observed values), deduplicated."""
    values = reference[~np.isnan(reference)]
    if len(values) == 0:
        return np.empty(0)
    return np.unique(np.quantile(values, np.linspace(0.0, 1.0, bins + 1)[1:-1], method="inverted_cdf"))


def _numeric_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin ``(-inf, e0], (e0, e1], ..., (e_last, inf)``, then the missing values."""
    missing = np.isnan(values)
    index = np.searchsorted(edges, values[~missing], side="left")
    counts = np.bincount(index, minlength=len(edges) + 1)
    return np.append(counts, missing.sum()).astype("float64")


def psi_numeric(reference: Values, current: Values, bins: int = 10, epsilon: float = 1e-4) -> float:
    """PSI of a numeric feature over the reference's quantile bins (plus a missing bin)."""
    ref = np.asarray(reference, dtype="float64")
    cur = np.asarray(current, dtype="float64")
    edges = quantile_edges(ref, bins)
    return _psi_from_counts(_numeric_counts(ref, edges), _numeric_counts(cur, edges), epsilon)


def _categories(values: Sequence[Any] | pd.Series) -> pd.Series:
    series = pd.Series(values, dtype="object")
    return series.where(series.notna(), MISSING).astype(str)


def psi_categorical(
    reference: Sequence[Any] | pd.Series, current: Sequence[Any] | pd.Series, epsilon: float = 1e-4
) -> float:
    """PSI of a categorical feature, one bin per category seen on either side (missing is a category)."""
    ref, cur = _categories(reference), _categories(current)
    categories = sorted(set(ref) | set(cur))
    ref_counts = ref.value_counts().reindex(categories, fill_value=0).to_numpy(dtype="float64")
    cur_counts = cur.value_counts().reindex(categories, fill_value=0).to_numpy(dtype="float64")
    return _psi_from_counts(ref_counts, cur_counts, epsilon)
