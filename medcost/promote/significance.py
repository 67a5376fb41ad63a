"""Is the candidate really better than the champion? A paired bootstrap of their test RMSE difference.

Both models are scored on the same test rows; the rows are resampled with replacement
``samples`` times (seeded, the same row numbers for both models: a paired comparison, so the
noise the two share — an expensive client drawn twice — cancels), and each resample gives
``champion RMSE - candidate RMSE``. The test is one-sided: the champion changes only if the
candidate is better, so ``low``, the (1 - confidence) quantile of the resampled improvements,
must be above the required margin (``min_rmse_improvement`` x the champion's RMSE; 0 by
default). ``high`` is the ``confidence`` quantile: ``[low, high]`` is the central
``2 x confidence - 1`` interval (90% at confidence 0.95).
"""

from __future__ import annotations

import logging

import numpy as np

from medcost.core.contracts import RmseImprovement
from medcost.core.metrics import bootstrap_indices, paired_arrays, resampled_metrics, rmse

log = logging.getLogger(__name__)


def paired_improvement(
    y_true: np.ndarray,
    candidate: np.ndarray,
    champion: np.ndarray,
    *,
    samples: int,
    confidence: float,
    seed: int,
) -> RmseImprovement:
    """Champion RMSE minus candidate RMSE on ``y_true``'s rows: the estimate and its paired bootstrap bounds."""
    if not 0.5 < confidence < 1.0:
        raise ValueError(f"confidence {confidence} is not between 0.5 and 1")
    true, candidate = paired_arrays(y_true, candidate)
    _, champion = paired_arrays(y_true, champion)
    estimate = rmse(true, champion) - rmse(true, candidate)
    chunks = [
        resampled_metrics(true, champion, indices)["rmse"] - resampled_metrics(true, candidate, indices)["rmse"]
        for indices in bootstrap_indices(len(true), samples, seed)
    ]
    low, high = np.quantile(np.concatenate(chunks), (1.0 - confidence, confidence))
    improvement = RmseImprovement(estimate=estimate, low=float(low), high=float(high), confidence=confidence)
    log.info(
        "RMSE improvement over the champion %.6g, %g%% one-sided bounds [%.6g, %.6g] (%d paired resamples)",
        estimate,
        100 * confidence,
        low,
        high,
        samples,
    )
    return improvement


def is_significant(improvement: RmseImprovement, champion_rmse: float, min_relative: float) -> bool:
    """Whether the improvement's lower bound is above ``min_relative`` x the champion's RMSE."""
    return improvement.low is not None and improvement.low > champion_rmse * min_relative
