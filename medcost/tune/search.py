"""The seeded search of one model family: each trial's settings scored by grouped k-fold cross-validation.

Trial 0 is the train params as they are; trials 1.. are seeded draws from the family's space,
drawn in the same order whatever the budget, so a search of n trials is the first n trials of
any longer one. The budget is ``tune.trials``; ``tune.seconds`` only stops a search early
(``stopped_by: seconds``, with the trials it ran): the result is then the same as that of a
search with ``trials`` set to the number of trials run. Reproducibility (same data, params
and seed: the same trials, scores and best settings, exactly, on a fixed number of threads)
holds for the trials budget; give ``seconds`` room (or null) when it matters.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from medcost.core.contracts.tuning import CvScore, FamilySearch, Setting, Trial
from medcost.core.errors import MedcostError
from medcost.core.features import FeatureSpec
from medcost.core.metrics import error_metrics
from medcost.core.model_file import predict
from medcost.core.params_tune import TuneParams, overlay
from medcost.tune.family import Family
from medcost.tune.space import family_rng

log = logging.getLogger(__name__)

METRICS = ("rmse", "mae", "r2")


def cross_validate(
    family: Family, settings: dict[str, Setting], frame: pd.DataFrame, folds: np.ndarray, spec: FeatureSpec
) -> dict[str, CvScore]:
    """Mean and standard deviation over the folds of each metric of ``settings`` (fit on the others, score one)."""
    pipeline = family.build(overlay(family.base, settings, family.section), spec)
    per_fold: dict[str, list[float]] = {name: [] for name in METRICS}
    for fold in range(int(folds.max()) + 1):
        held_out = folds == fold
        model = family.fit(pipeline, frame.loc[~held_out], spec, family.n_threads)
        rows = frame.loc[held_out]
        scores = error_metrics(rows[spec.target].to_numpy(dtype="float64"), predict(model, rows))
        for name in METRICS:
            per_fold[name].append(scores[name])
    return {name: CvScore(mean=float(np.mean(v)), std=float(np.std(v))) for name, v in per_fold.items()}


def best_trial(trials: list[Trial], metric: str) -> Trial:
    """The trial with the best mean ``metric`` (lowest rmse / mae, highest r2); ties: the earliest; NaN: never."""

    def rank(trial: Trial) -> tuple[float, int]:
        mean = trial.scores[metric].mean
        if mean is None or math.isnan(mean):
            return (math.inf, trial.number)
        return (-mean if metric == "r2" else mean, trial.number)

    return min(trials, key=rank)


def search(
    family: Family,
    frame: pd.DataFrame,
    folds: np.ndarray,
    clients: int,
    spec: FeatureSpec,
    cfg: TuneParams,
    clock: Callable[[], float] = time.monotonic,
) -> FamilySearch:
    """Run up to ``cfg.trials`` trials (fewer if ``cfg.seconds`` runs out first); the best and every trial's scores.

    ``folds`` is the fold of each row of ``frame`` (:func:`~medcost.tune.folds.group_folds`), ``clients`` their count.
    """
    rng = family_rng(cfg.seed, family.name)
    started = clock()
    trials: list[Trial] = []
    stopped_by = "trials"
    for number in range(cfg.trials):
        settings = family.current if number == 0 else family.draw(rng)
        scores = cross_validate(family, settings, frame, folds, spec)
        trials.append(Trial(number=number, settings=settings, scores=scores))
        log.info(
            "tune %s: trial %d (%d of %d) %s: %s %.6g ± %.3g",
            family.name, number, number + 1, cfg.trials, settings, cfg.metric,
            scores[cfg.metric].mean, scores[cfg.metric].std,
        )  # fmt: skip
        if cfg.seconds is not None and number + 1 < cfg.trials and clock() - started >= cfg.seconds:
            stopped_by = "seconds"
            log.warning(
                "tune %s: tune.seconds = %g ran out after %d of %d trials (the result is that of tune.trials = %d)",
                family.name, cfg.seconds, number + 1, cfg.trials, number + 1,
            )  # fmt: skip
            break
    best = best_trial(trials, cfg.metric)
    mean = best.scores[cfg.metric].mean
    if mean is None or math.isnan(mean):
        raise MedcostError(f"tune.metric = {cfg.metric}: undefined for every {family.name} trial (constant target?)")
    log.info("tune %s: best trial %d %s", family.name, best.number, best.settings)
    return FamilySearch(
        section=family.section,
        metric=cfg.metric,
        folds=int(folds.max()) + 1,
        rows=len(frame),
        clients=clients,
        trials_budget=cfg.trials,
        stopped_by=stopped_by,
        trials=trials,
        best=best.number,
        best_settings=best.settings,
    )
