"""The regression metrics every stage that scores a model reports (train, evaluate, backtest and monitor).

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

from medcost.core.contracts.backtest import BacktestScores
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


def capped_r2(y_true: Any, y_pred: Any, cap: float) -> float:
    """R² with both the actual and the predicted costs capped at ``cap`` (the Society of Actuaries convention:
    a few catastrophic claims, which no model foresees, do not decide the score)."""
    true, pred = paired_arrays(y_true, y_pred)
    if not cap > 0:
        raise MedcostError(f"metrics: cap {cap} must be positive (evaluate.cap)")
    return float(error_metrics(np.minimum(true, cap), np.minimum(pred, cap))["r2"])


def predicted_groups(y_pred: Any, groups: int = 10) -> np.ndarray:
    """The group (1: lowest .. ``groups``) of each row by its rank of prediction: equal-count groups when no two
    predictions tie; tied rows share their average rank, so they fall in one group (a constant predictor's rows
    are all in the middle one) and the groups depend neither on row order nor on the actual values."""
    pred = np.asarray(y_pred, dtype="float64").ravel()
    share = pd.Series(pred).rank(method="average", pct=True).to_numpy()
    return np.clip(np.ceil(share * groups - 1e-9), 1, groups).astype("int64")


def predictive_ratios(y_true: Any, y_pred: Any, groups: int = 10) -> list[float]:
    """Sum predicted / sum actual cost in each group of :func:`predicted_groups`, lowest first (NaN where a group
    is empty or its actual cost is 0)."""
    true, pred = paired_arrays(y_true, y_pred)
    labels = predicted_groups(pred, groups)
    out = []
    for group in range(1, groups + 1):
        actual = float(true[labels == group].sum())
        out.append(float(pred[labels == group].sum()) / actual if actual > 0 else float("nan"))
    return out


def gains_gini(y_true: Any, y_pred: Any) -> float:
    """The Gini of the cumulative-gains curve: 2 x the area under it - 1.

    The curve is the share of the actual cost (y) held by the share of the rows (x) predicted most
    expensive; rows tied on the prediction enter together, pro rata (a straight segment), so the
    value does not depend on row order. 0: no better than random; a perfect ranking reaches
    ``gains_gini(y, y)`` (below 1, since cost is spread over many rows). NaN when no cost.
    """
    true, pred = paired_arrays(y_true, y_pred)
    total = true.sum()
    if total <= 0:
        return float("nan")
    groups = pd.DataFrame({"pred": pred, "true": true}).groupby("pred", sort=True)["true"].agg(["sum", "size"])
    cost = groups["sum"].to_numpy()[::-1] / total  # highest prediction first
    rows = groups["size"].to_numpy()[::-1] / len(true)
    reached = np.cumsum(cost)
    area = float(np.sum(rows * (reached - cost / 2)))  # trapezoids: (previous + current) / 2 per group
    return 2.0 * area - 1.0


def cost_scores(y_true: Any, y_pred: Any, cap: float, deciles: int) -> BacktestScores:
    """R², RMSE, MAE, capped R², gains Gini, total ratio and the predictive ratio per decile of predicted cost.

    The one scoring of a year's predictions against its actual costs: backtest and monitor both use it.
    """
    true, pred = paired_arrays(y_true, y_pred)
    metrics = regression_metrics(true, pred)
    ratios = predictive_ratios(true, pred, deciles)
    return BacktestScores(
        r2=metrics["r2"],
        rmse=metrics["rmse"],
        mae=metrics["mae"],
        r2_capped=capped_r2(true, pred, cap),
        gini=gains_gini(true, pred),
        total_ratio=metrics["total_ratio"],
        predictive_ratio={str(number): ratio for number, ratio in enumerate(ratios, start=1)},
    )
