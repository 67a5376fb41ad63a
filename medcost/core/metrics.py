"""The regression metrics every stage that scores a model reports (train, evaluate; later backtest and monitor).

``total_ratio`` is total predicted / total actual cost (1.0: the book is priced right);
``top_decile_share`` is the share of the actual cost held by the ``top_share`` (10%) of rows
predicted most expensive (a constant predictor gets ``top_share``). Rows tied at the cut-off
share it pro rata, so the value does not depend on row order.

R², MSE, RMSE and MAE are written once (:func:`error_metrics`), along the last axis, so the
same formulas score one set of rows and, for the bootstrap intervals of evaluate and the
paired comparison of promote, every resample of them at once (:func:`resampled_metrics`
over the seeded index chunks of :func:`bootstrap_indices`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from medcost.core.errors import MedcostError


def paired_arrays(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    """Actual and predicted values as float arrays of the same, non-zero length."""
    true = np.asarray(y_true, dtype="float64").ravel()
    pred = np.asarray(y_pred, dtype="float64").ravel()
    if true.shape != pred.shape:
        raise MedcostError(f"metrics: {len(true)} actual values but {len(pred)} predictions")
    if len(true) == 0:
        raise MedcostError("metrics: no rows to score")
    return true, pred


def top_share_captured(y_true: Any, y_pred: Any, share: float = 0.1) -> float:
    """Share of the total actual cost held by the ``share`` of rows with the highest predictions.

    The top ``share * n`` rows (a fraction of a row counts pro rata) are taken by prediction;
    rows tied at the cut-off each contribute the same fraction of their cost.
    """
    true, pred = paired_arrays(y_true, y_pred)
    total = true.sum()
    if total <= 0:
        return float("nan")
    wanted = share * len(true)
    frame = pd.DataFrame({"pred": pred, "true": true})
    groups = frame.groupby("pred", sort=True)["true"].agg(["sum", "size"]).iloc[::-1]  # highest prediction first
    taken = 0.0
    captured = 0.0
    for cost, size in zip(groups["sum"].to_numpy(), groups["size"].to_numpy(), strict=True):
        if taken >= wanted:
            break
        part = min(1.0, (wanted - taken) / size)
        captured += part * cost
        taken += part * size
    return float(captured / total)


def error_metrics(true: np.ndarray, pred: np.ndarray) -> dict[str, Any]:
    """R², MSE, RMSE and MAE along the last axis: floats for 1-D arrays, one value per row for 2-D ones.

    R² is NaN where the actual values do not vary (it is undefined there).
    """
    error = pred - true
    mse = np.mean(error**2, axis=-1)
    variance = np.mean((true - np.mean(true, axis=-1, keepdims=True)) ** 2, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(variance > 0, 1.0 - mse / np.where(variance > 0, variance, 1.0), np.nan)
    values = {"r2": r2, "mse": mse, "rmse": np.sqrt(mse), "mae": np.mean(np.abs(error), axis=-1)}
    if true.ndim == 1:
        return {name: float(value) for name, value in values.items()}
    return values


def rmse(y_true: Any, y_pred: Any) -> float:
    """Root mean squared error of the predictions."""
    true, pred = paired_arrays(y_true, y_pred)
    return float(error_metrics(true, pred)["rmse"])


def regression_metrics(y_true: Any, y_pred: Any, top_share: float = 0.1) -> dict[str, float]:
    """R², MSE, RMSE, MAE, total predicted / total actual and the top-decile share."""
    true, pred = paired_arrays(y_true, y_pred)
    errors = error_metrics(true, pred)
    total = float(true.sum())
    return {
        **errors,
        "total_ratio": float(pred.sum()) / total if total > 0 else float("nan"),
        "top_decile_share": top_share_captured(true, pred, top_share),
    }


RESAMPLE_BUDGET = 1_000_000
"""Row indices drawn per chunk of resamples (about 8 MB): memory stays bounded at any test size."""


def bootstrap_indices(rows: int, samples: int, seed: int) -> Iterator[np.ndarray]:
    """``samples`` seeded resamples of ``rows`` row numbers drawn with replacement, in chunks (one resample a row).

    The chunk size depends on ``rows`` only, so the same ``rows``, ``samples`` and ``seed`` give the
    same resamples on every machine; everyone who shares a seed shares the resamples (paired scoring).
    """
    if rows < 1 or samples < 1:
        raise MedcostError(f"bootstrap: {rows} rows and {samples} resamples (both must be positive)")
    rng = np.random.default_rng(seed)
    per_chunk = max(1, RESAMPLE_BUDGET // rows)
    for start in range(0, samples, per_chunk):
        yield rng.integers(0, rows, size=(min(per_chunk, samples - start), rows))


def resampled_metrics(true: np.ndarray, pred: np.ndarray, indices: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`error_metrics` of each resample: ``indices`` holds one resample's row numbers per row."""
    values: dict[str, np.ndarray] = error_metrics(true[indices], pred[indices])
    return values
