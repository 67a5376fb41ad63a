"""Test-set metrics, the tables behind the evaluation plots, and permutation importances.

Every function takes arrays or frames and returns new ones; nothing here reads or writes files.
Metrics are the usual regression ones plus two an insurer reads first:

- ``total_ratio``: total predicted / total actual cost (1.0: the book is priced right);
- ``top_decile_share``: the share of the year's actual cost held by the ``top_share``
  (10%) of clients predicted most expensive: how well the model finds the costly clients
  (a constant predictor gets ``top_share``; the actual top clients hold the most possible).
  Clients tied at the cut-off share it pro rata, so the value does not depend on row order.
"""

from __future__ import annotations

import logging
import math
from typing import Any, Mapping

import numpy as np
import pandas as pd

from medcost.errors import MedcostError

log = logging.getLogger(__name__)

SIGNIFICANT = 6
"""Significant digits kept in metric files: stable bytes across platforms and reruns."""


def round_floats(value: Any, digits: int = SIGNIFICANT) -> Any:
    """``value`` with every float (also in nested dicts/lists) rounded to ``digits`` significant digits."""
    if isinstance(value, Mapping):
        return {k: round_floats(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [round_floats(v, digits) for v in value]
    if isinstance(value, (float, np.floating)):
        x = float(value)
        if not math.isfinite(x) or x == 0.0:
            return x
        return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))
    if isinstance(value, np.integer):
        return int(value)
    return value


def _arrays(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
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
    true, pred = _arrays(y_true, y_pred)
    total = true.sum()
    if total <= 0:
        return float("nan")
    wanted = share * len(true)
    frame = pd.DataFrame({"pred": pred, "true": true})
    groups = frame.groupby("pred", sort=True)["true"].agg(["sum", "size"]).iloc[::-1]  # highest prediction first
    taken = 0.0
    captured = 0.0
    for cost, size in zip(groups["sum"].to_numpy(), groups["size"].to_numpy()):
        if taken >= wanted:
            break
        part = min(1.0, (wanted - taken) / size)
        captured += part * cost
        taken += part * size
    return float(captured / total)


def regression_metrics(y_true: Any, y_pred: Any, top_share: float = 0.1) -> dict[str, float]:
    """R², MSE, RMSE, MAE, total predicted / total actual and the top-decile share."""
    true, pred = _arrays(y_true, y_pred)
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


def decile_table(y_true: Any, y_pred: Any, groups: int = 10) -> pd.DataFrame:
    """Mean actual and mean predicted cost per group of clients ranked by prediction (1: lowest).

    Groups are equal-count (``numpy.array_split``) over the rows sorted by prediction, then actual
    cost, so ties are broken by value, not by row order.
    """
    true, pred = _arrays(y_true, y_pred)
    order = np.lexsort((true, pred))
    rows = []
    for number, idx in enumerate(np.array_split(order, groups), start=1):
        if len(idx) == 0:
            continue
        rows.append({"decile": number, "rows": len(idx), "mean_actual": float(true[idx].mean()),
                     "mean_predicted": float(pred[idx].mean())})
    return pd.DataFrame(rows)


def oracle_frame(test: pd.DataFrame, truth: pd.DataFrame, key: list[str]) -> pd.DataFrame | None:
    """``test``'s key with the generator's true expected cost; None unless every test row has one."""
    needed = [*key, "expected_cost"]
    if any(c not in truth.columns for c in needed):
        log.warning("truth file: columns %s expected; oracle skipped", ", ".join(needed))
        return None
    joined = test[key].merge(truth[needed].drop_duplicates(key), on=key, how="left", validate="one_to_one")
    missing = int(joined["expected_cost"].isna().sum())
    if missing:
        log.warning("truth file covers %d of %d test rows (is it from another source database?); oracle skipped",
                    len(joined) - missing, len(joined))
        return None
    return joined


def permutation_importances(model: Any, x: pd.DataFrame, y: Any, *, rows: int, repeats: int, seed: int) -> pd.DataFrame:
    """Mean drop in R² when one input column is shuffled, on a seeded sample of ``rows`` rows.

    Returns columns feature, importance, std, sorted by importance (highest first), then name.
    """
    from sklearn.inspection import permutation_importance
    from threadpoolctl import threadpool_limits

    y = np.asarray(y, dtype="float64")
    if len(x) > rows:
        pick = np.sort(np.random.default_rng(seed).choice(len(x), size=rows, replace=False))
        x, y = x.iloc[pick], y[pick]
    with threadpool_limits(limits=1):
        result = permutation_importance(model, x, y, scoring="r2", n_repeats=repeats, random_state=seed, n_jobs=1)
    table = pd.DataFrame({"feature": list(x.columns), "importance": result.importances_mean,
                          "std": result.importances_std})
    return table.sort_values(["importance", "feature"], ascending=[False, True], kind="stable").reset_index(drop=True)


def _log10p(values: np.ndarray) -> np.ndarray:
    return np.round(np.log10(1.0 + np.clip(values, 0.0, None)), 4)


def evaluate_models(models: Mapping[str, Any], train: pd.DataFrame, test: pd.DataFrame, columns: Mapping[str, Any],
                    *, top_share: float, deciles: int, truth: pd.DataFrame | None = None,
                    key: list[str] | None = None) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """Score fitted ``models`` (name -> pipeline) and a mean-predictor baseline on ``test``.

    Returns ``(metrics, tables)``: metrics ``{name: {"test": {...}, "train": {"r2", "rmse"}}}`` for
    every model and ``baseline``, ``oracle`` (the generator's true expected cost; only when
    ``truth`` covers every test row) and ``data`` (rows; the top-decile share of a perfect
    ranking), rounded; tables ``predictions`` (key, actual, one column per model) and, per
    model, ``residuals_<name>`` and ``deciles`` for the plots.
    """
    from medcost.models import predict, training_data

    key = list(key or ["client_id", "year"])
    x_train, y_train = training_data(train, columns)
    x_test, y_test = training_data(test, columns)
    mean = float(y_train.mean())
    predictions = {name: predict(model, x_test) for name, model in models.items()}
    predictions["baseline"] = np.full(len(y_test), mean)
    train_predictions = {name: predict(model, x_train) for name, model in models.items()}
    train_predictions["baseline"] = np.full(len(y_train), mean)

    metrics: dict[str, Any] = {}
    for name, pred in predictions.items():
        fitted = regression_metrics(y_train, train_predictions[name], top_share)
        metrics[name] = {"test": regression_metrics(y_test, pred, top_share),
                         "train": {"r2": fitted["r2"], "rmse": fitted["rmse"]}}
    metrics["data"] = {"train_rows": len(y_train), "test_rows": len(y_test),
                       "test_total_cost": float(y_test.sum()),
                       "perfect_top_decile_share": top_share_captured(y_test, y_test, top_share)}
    if truth is not None:
        oracle = oracle_frame(test, truth, key)
        if oracle is not None:
            metrics["oracle"] = {"test": regression_metrics(y_test, oracle["expected_cost"].to_numpy(), top_share)}

    named = {name: predictions[name] for name in models}
    tables: dict[str, pd.DataFrame] = {
        "predictions": pd.DataFrame({**{k: test[k].to_numpy() for k in key}, "actual": y_test,
                                     **{n: np.round(p, 2) for n, p in named.items()}}),
        "predicted_vs_actual": pd.DataFrame({"actual": _log10p(y_test), **{n: _log10p(p) for n, p in named.items()}}),
    }
    decile_columns: dict[str, Any] = {}
    for name, pred in named.items():
        tables[f"residuals_{name}"] = pd.DataFrame({"predicted": _log10p(pred), "residual": np.round(y_test - pred, 2)})
        table = decile_table(y_test, pred, deciles)
        decile_columns["decile"] = table["decile"].to_numpy()
        decile_columns[f"{name}_actual"] = np.round(table["mean_actual"].to_numpy(), 2)
        decile_columns[f"{name}_predicted"] = np.round(table["mean_predicted"].to_numpy(), 2)
    tables["deciles"] = pd.DataFrame(decile_columns)
    return round_floats(metrics), tables


def scatter_figure(tables: Mapping[str, pd.DataFrame], names: list[str]) -> Any:
    """A matplotlib figure: predicted vs actual (log10(1 + cost)) per model, with the diagonal."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = tables["predicted_vs_actual"]
    figure, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 4.6), sharex=True, sharey=True, squeeze=False)
    top = float(max(data[["actual", *names]].max().max(), 1.0))
    for ax, name in zip(axes[0], names):
        ax.scatter(data["actual"], data[name], s=4, alpha=0.35, linewidths=0)
        ax.plot([0, top], [0, top], color="black", linewidth=0.8)
        ax.set_title(f"{name}: predicted vs actual (test)")
        ax.set_xlabel("actual cost, log10(1 + $)")
        ax.set_ylabel("predicted cost, log10(1 + $)")
    figure.tight_layout()
    return figure
