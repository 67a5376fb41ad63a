"""Seeded percentile bootstrap intervals of the test-set R², RMSE and MAE of every model.

The test rows are resampled with replacement ``samples`` times (the same resamples for every
model, drawn by :func:`medcost.core.metrics.bootstrap_indices` in chunks, so memory stays
bounded at any test size); each resample is scored with the one set of metric formulas
(:func:`medcost.core.metrics.resampled_metrics`), and the interval is the central
``interval`` share of the resampled values (e.g. their 2.5% and 97.5% quantiles).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np

from medcost.core.metrics import bootstrap_indices, paired_arrays, resampled_metrics

log = logging.getLogger(__name__)

INTERVAL_METRICS = ("r2", "rmse", "mae")


def bootstrap_intervals(
    y_true: np.ndarray, predictions: Mapping[str, np.ndarray], *, samples: int, interval: float, seed: int
) -> dict[str, dict[str, float]]:
    """Per model: ``{r2_low, r2_high, rmse_low, rmse_high, mae_low, mae_high}`` (NaN where undefined)."""
    if not 0.0 < interval < 1.0:
        raise ValueError(f"interval {interval} is not between 0 and 1")
    pairs = {name: paired_arrays(y_true, pred) for name, pred in predictions.items()}
    true = np.asarray(y_true, dtype="float64").ravel()
    values: dict[str, dict[str, list[np.ndarray]]] = {
        name: {metric: [] for metric in INTERVAL_METRICS} for name in predictions
    }
    for indices in bootstrap_indices(len(true), samples, seed):
        for name, (_, pred) in pairs.items():
            scored = resampled_metrics(true, pred, indices)
            for metric in INTERVAL_METRICS:
                values[name][metric].append(scored[metric])
    tail = (1.0 - interval) / 2.0
    out: dict[str, dict[str, float]] = {}
    for name, by_metric in values.items():
        out[name] = {}
        for metric, chunks in by_metric.items():
            low, high = _quantiles(np.concatenate(chunks), (tail, 1.0 - tail))
            out[name].update({f"{metric}_low": low, f"{metric}_high": high})
    log.info("bootstrap intervals: %d resamples of %d test rows, %.0f%% coverage", samples, len(true), 100 * interval)
    return out


def _quantiles(values: np.ndarray, levels: tuple[float, float]) -> tuple[float, float]:
    """Quantiles of the defined (finite) values; NaN when none is defined (R² of constant resamples)."""
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return float("nan"), float("nan")
    low, high = np.quantile(finite, levels)
    return float(low), float(high)
