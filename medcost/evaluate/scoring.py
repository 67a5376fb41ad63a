"""Scoring the fitted models on the test split: the evaluation contract and the tables behind the plots.

Every function takes arrays or frames and returns new ones; nothing here reads or writes files.
The metrics are :func:`medcost.core.metrics.regression_metrics` (R², RMSE, ... plus the
``total_ratio`` and ``top_decile_share`` an insurer reads first), for each model, a
mean-predictor ``baseline`` and, on the demo source, an ``oracle`` (the generator's true
expected cost: the best any model could do). With ``bootstrap_samples``, the models and the
baseline also get seeded bootstrap intervals of R², RMSE and MAE (:mod:`medcost.evaluate.bootstrap`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from medcost.core.contracts import Evaluation, Number
from medcost.core.features import FeatureSpec
from medcost.core.metrics import paired_arrays, regression_metrics, top_share_captured
from medcost.core.model_file import inputs_and_target, predict
from medcost.core.numbers import finite_or_none, round_floats
from medcost.evaluate.bootstrap import bootstrap_intervals

log = logging.getLogger(__name__)


def decile_table(y_true: Any, y_pred: Any, groups: int = 10) -> pd.DataFrame:
    """Mean actual and mean predicted cost per group of clients ranked by prediction (1: lowest).

    Groups are equal-count (``numpy.array_split``) over the rows sorted by prediction, then actual
    cost, so ties are broken by value, not by row order.
    """
    true, pred = paired_arrays(y_true, y_pred)
    order = np.lexsort((true, pred))
    rows = []
    for number, idx in enumerate(np.array_split(order, groups), start=1):
        if len(idx) == 0:
            continue
        rows.append(
            {
                "decile": number,
                "rows": len(idx),
                "mean_actual": float(true[idx].mean()),
                "mean_predicted": float(pred[idx].mean()),
            }
        )
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
        log.warning(
            "truth file covers %d of %d test rows (is it from another source database?); oracle skipped",
            len(joined) - missing,
            len(joined),
        )
        return None
    return joined


def _log10p(values: np.ndarray) -> np.ndarray:
    return np.round(np.log10(1.0 + np.clip(values, 0.0, None)), 4)


def evaluate_models(
    models: Mapping[str, Pipeline],
    train: pd.DataFrame,
    test: pd.DataFrame,
    spec: FeatureSpec,
    *,
    top_share: float,
    deciles: int,
    truth: pd.DataFrame | None = None,
    bootstrap_samples: int = 0,
    interval: float = 0.95,
    seed: int = 0,
) -> tuple[Evaluation, dict[str, pd.DataFrame]]:
    """Score fitted ``models`` (name -> pipeline) and a mean-predictor baseline on ``test``.

    Returns ``(evaluation, tables)``: the evaluation has test metrics and train R²/RMSE for
    every model and ``baseline``, ``oracle`` test metrics (only when ``truth`` covers every
    test row, by ``spec.key``) and ``data`` (rows; the top-decile share of a perfect
    ranking); with ``bootstrap_samples`` > 0, the models' and baseline's test scores carry
    ``interval`` bootstrap intervals (``r2_low``, ``r2_high``, ...; resamples seeded by ``seed``);
    all rounded to 6 significant digits as written (undefined metrics are None); the
    tables are ``predictions`` (key, actual, one column per model), ``predicted_vs_actual``,
    ``residuals_<name>`` per model and ``deciles``, for the plots.
    """
    key = list(spec.key)
    x_train, y_train = inputs_and_target(train, spec)
    x_test, y_test = inputs_and_target(test, spec)
    mean = float(y_train.mean())
    predictions = {name: predict(model, x_test) for name, model in models.items()}
    predictions["baseline"] = np.full(len(y_test), mean)
    train_predictions = {name: predict(model, x_train) for name, model in models.items()}
    train_predictions["baseline"] = np.full(len(y_train), mean)

    intervals: dict[str, dict[str, float]] = {}
    if bootstrap_samples > 0:
        intervals = bootstrap_intervals(y_test, predictions, samples=bootstrap_samples, interval=interval, seed=seed)
    metrics: dict[str, Any] = {}
    for name, pred in predictions.items():
        fitted = regression_metrics(y_train, train_predictions[name], top_share)
        metrics[name] = {
            "test": {**regression_metrics(y_test, pred, top_share), **intervals.get(name, {})},
            "train": {"r2": fitted["r2"], "rmse": fitted["rmse"]},
        }
    metrics["data"] = {
        "train_rows": len(y_train),
        "test_rows": len(y_test),
        "test_total_cost": float(y_test.sum()),
        "perfect_top_decile_share": top_share_captured(y_test, y_test, top_share),
    }
    if truth is not None:
        oracle = oracle_frame(test, truth, key)
        if oracle is not None:
            metrics["oracle"] = {"test": regression_metrics(y_test, oracle["expected_cost"].to_numpy(), top_share)}
    evaluation = Evaluation.model_validate(finite_or_none(round_floats(metrics)))

    named = {name: predictions[name] for name in models}
    tables: dict[str, pd.DataFrame] = {
        "predictions": pd.DataFrame(
            {**{k: test[k].to_numpy() for k in key}, "actual": y_test, **{n: np.round(p, 2) for n, p in named.items()}}
        ),
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
    return evaluation, tables


def _shown(value: Number, digits: int, low: Number = None, high: Number = None) -> str:
    if value is None:
        return "n/a"
    if low is None or high is None:
        return f"{value:.{digits}f}"
    return f"{value:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def log_scores(evaluation: Evaluation) -> None:
    """One log line of test metrics per model (the models, then baseline and oracle), intervals in brackets."""
    for name, scores in evaluation.models.items():
        test = scores.test
        log.info(
            "%-8s test R² %s  RMSE %s  total ratio %s  top-decile share %s",
            name,
            _shown(test.r2, 4, test.r2_low, test.r2_high),
            _shown(test.rmse, 0, test.rmse_low, test.rmse_high),
            _shown(test.total_ratio, 3),
            _shown(test.top_decile_share, 3),
        )
