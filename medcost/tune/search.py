"""The Optuna search of one model family: each trial's settings scored by grouped k-fold cross-validation.

Trial 0 is the train params as they are (enqueued, so the sampler learns from it when it lies in
the space); trials 1.. are suggested by Optuna's TPE sampler, seeded with ``tune.seed``, in one
thread and in memory (nothing is written to disk). Each suggestion depends only on the trials
before it, so a search of n trials is the first n trials of any longer one. The budget is
``tune.trials``; ``tune.seconds`` (Optuna's timeout) stops a search early, before the next
trial once that many seconds have passed (``stopped_by: seconds``, with the trials it ran): the
result is then the same as that of a search with ``trials`` set to the number of trials run.
Reproducibility (same data, params and seed: the same trials, scores and best settings, exactly,
on a fixed number of threads) holds for the trials budget; give ``seconds`` room (or null) when
it matters.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from medcost.core.contracts.tuning import CvScore, FamilySearch, Setting, Trial
from medcost.core.errors import MedcostError
from medcost.core.features import FeatureSpec
from medcost.core.metrics import error_metrics
from medcost.core.model_file import predict
from medcost.core.params_tune import TuneParams, overlay
from medcost.tune.family import Family
from medcost.tune.folds import Split

if TYPE_CHECKING:
    import optuna

log = logging.getLogger(__name__)

METRICS = ("rmse", "mae", "r2")


def cross_validate(
    family: Family, settings: dict[str, Setting], frame: pd.DataFrame, splits: list[Split], spec: FeatureSpec
) -> dict[str, CvScore]:
    """Mean and standard deviation over the folds of each metric of ``settings`` (fit on the others, score one)."""
    pipeline = family.build(overlay(family.base, settings, family.section), spec)
    per_fold: dict[str, list[float]] = {name: [] for name in METRICS}
    for fitted_on, scored in splits:
        model = family.fit(pipeline, frame.iloc[fitted_on], spec, family.n_threads)
        rows = frame.iloc[scored]
        scores = error_metrics(rows[spec.target].to_numpy(dtype="float64"), predict(model, rows))
        for name in METRICS:
            per_fold[name].append(scores[name])
    return {name: CvScore(mean=float(np.mean(v)), std=float(np.std(v))) for name, v in per_fold.items()}


def quiet_optuna() -> None:
    """Optuna's own messages through this project's logging, warnings and errors only."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    optuna.logging.disable_default_handler()
    optuna.logging.enable_propagation()


def search(
    family: Family, frame: pd.DataFrame, splits: list[Split], clients: int, spec: FeatureSpec, cfg: TuneParams
) -> FamilySearch:
    """Run up to ``cfg.trials`` trials (fewer if ``cfg.seconds`` runs out first); the best and every trial's scores.

    ``splits`` are the grouped folds of ``frame`` (:func:`~medcost.tune.folds.group_folds`), ``clients`` their clients.
    """
    import optuna

    quiet_optuna()
    study = optuna.create_study(
        direction="maximize" if cfg.metric == "r2" else "minimize",
        sampler=optuna.samplers.TPESampler(seed=cfg.seed),
    )  # in-memory storage: nothing is written
    if family.trial0 is not None:
        study.enqueue_trial(family.trial0)
    else:
        log.warning(
            "tune %s: trial 0 %s lies outside the tune space: the sampler does not learn from it",
            family.name,
            family.current,
        )

    trials: list[Trial] = []

    def objective(trial: optuna.Trial) -> float:
        if trial.number == 0:
            if family.trial0 is not None:
                family.suggest(trial)  # the enqueued values: recorded for the sampler
            settings = dict(family.current)  # as they are (suggest rounds floats)
        else:
            settings = family.suggest(trial)
        scores = cross_validate(family, settings, frame, splits, spec)
        trials.append(Trial(number=trial.number, settings=settings, scores=scores))
        log.info(
            "tune %s: trial %d (%d of %d) %s: %s %.6g ± %.3g",
            family.name, trial.number, trial.number + 1, cfg.trials, settings, cfg.metric,
            scores[cfg.metric].mean, scores[cfg.metric].std,
        )  # fmt: skip
        mean = scores[cfg.metric].mean
        return math.nan if mean is None else mean  # NaN: a failed trial, never the best

    study.optimize(objective, n_trials=cfg.trials, timeout=cfg.seconds, n_jobs=1, gc_after_trial=False)
    stopped_by = "seconds" if len(trials) < cfg.trials else "trials"
    if stopped_by == "seconds":
        log.warning(
            "tune %s: tune.seconds = %g ran out after %d of %d trials (the result is that of tune.trials = %d)",
            family.name, cfg.seconds, len(trials), cfg.trials, len(trials),
        )  # fmt: skip
    try:
        best = trials[study.best_trial.number]  # ties: the earliest
    except ValueError:  # no trial completed: every one's metric is NaN
        raise MedcostError(
            f"tune.metric = {cfg.metric}: undefined for every {family.name} trial (constant target?)"
        ) from None
    log.info("tune %s: best trial %d %s", family.name, best.number, best.settings)
    return FamilySearch(
        section=family.section,
        metric=cfg.metric,
        folds=len(splits),
        rows=len(frame),
        clients=clients,
        trials_budget=cfg.trials,
        stopped_by=stopped_by,
        trials=trials,
        best=best.number,
        best_settings=best.settings,
    )
