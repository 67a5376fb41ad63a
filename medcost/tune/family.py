"""A model family to tune: its train params, the train package's builder and fit, and its search space."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from medcost.core.contracts.tuning import Setting
from medcost.core.features import FeatureSpec
from medcost.core.params_tune import TuneLinearSpace, TuneTreeSpace
from medcost.tune.space import (
    LINEAR_KEYS,
    current_settings,
    linear_trial0,
    suggest_linear,
    suggest_tree,
    tree_keys,
    tree_trial0,
)

if TYPE_CHECKING:
    import optuna

Build = Callable[[Any, FeatureSpec], Any]
"""params section, spec -> an unfitted pipeline (medcost.train's build_*_pipeline)."""
Fit = Callable[[Any, pd.DataFrame, FeatureSpec, int | None], Any]
"""pipeline, rows, spec, threads -> a fitted copy (medcost.train's fit)."""


@dataclass(frozen=True)
class Family:
    """One model family to tune, with the train package's own builder and fit (the pipelines train fits)."""

    name: str  # tree, linear
    section: str  # its train params section: train_tree, train_linear
    base: Any  # that section (TrainTreeParams, TrainLinearParams)
    build: Build
    fit: Fit
    current: dict[str, Setting]  # trial 0: the base's values of the searched keys
    suggest: Callable[[optuna.Trial], dict[str, Setting]]  # the searched keys, as an Optuna trial suggests them
    trial0: dict[str, Any] | None  # current as Optuna parameters (enqueued), None if outside the space
    n_threads: int = 1


def tree_family(cfg: Any, space: TuneTreeSpace, build: Build, fit: Fit) -> Family:
    """train_tree's family (``cfg.model``'s keys of ``space``), fitted on ``cfg.n_jobs`` threads."""
    current = current_settings(cfg, tree_keys(cfg.model))
    return Family(
        name="tree",
        section="train_tree",
        base=cfg,
        build=build,
        fit=fit,
        current=current,
        suggest=lambda trial: suggest_tree(trial, space, cfg.model),
        trial0=tree_trial0(space, cfg.model, current),
        n_threads=cfg.n_jobs,
    )


def linear_family(cfg: Any, space: TuneLinearSpace, build: Build, fit: Fit) -> Family:
    """train_linear's family: the models of ``space`` with their alpha ranges, on one thread (as train_linear)."""
    current = current_settings(cfg, LINEAR_KEYS)
    return Family(
        name="linear",
        section="train_linear",
        base=cfg,
        build=build,
        fit=fit,
        current=current,
        suggest=lambda trial: suggest_linear(trial, space),
        trial0=linear_trial0(space, current),
        n_threads=1,
    )
