"""The regression metrics every stage that scores a model reports (train, evaluate; later backtest and monitor).

``total_ratio`` is total predicted / total actual cost (1.0: the book is priced right);
``top_decile_share`` is the share of the actual cost held by the ``top_share`` (10%) of rows
predicted most expensive (a constant predictor gets ``top_share``). Rows tied at the cut-off
share it pro rata, so the value does not depend on row order.
"""

from __future__ import annotations

import math
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


def regression_metrics(y_true: Any, y_pred: Any, top_share: float = 0.1) -> dict[str, float]:
    """R², MSE, RMSE, MAE, total predicted / total actual and the top-decile share."""
    true, pred = paired_arrays(y_true, y_pred)
    error = pred - true
    mse = float(np.mean(error**2))
    variance = float(np.mean((true - true.mean()) ** 2))
    total = float(true.sum())
    return {
        "r2": 1.0 - mse / variance if variance > 0 else float("nan"),
        "mse": mse,
        "rmse": math.sqrt(mse),
        "mae": float(np.mean(np.abs(error))),
        "total_ratio": float(pred.sum()) / total if total > 0 else float("nan"),
        "top_decile_share": top_share_captured(true, pred, top_share),
    }
