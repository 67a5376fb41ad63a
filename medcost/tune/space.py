"""The search space of each model family as Optuna suggestions, and trial 0 (the train params) in that space."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, cast

from medcost.core.contracts.tuning import Setting
from medcost.core.params_tune import LinearModel, Range, TuneLinearSpace, TuneTreeSpace

if TYPE_CHECKING:
    import optuna

HGB_KEYS = ("learning_rate", "max_iter", "max_leaf_nodes", "l2_regularization", "min_samples_leaf")
FOREST_KEYS = ("max_features", "min_samples_leaf")
INTEGER_KEYS = frozenset({"max_iter", "max_leaf_nodes", "min_samples_leaf"})
LINEAR_KEYS = ("model", "alpha")


def tree_keys(model: str) -> tuple[str, ...]:
    """The train_tree keys searched for the family ``model`` (train_tree.model)."""
    return HGB_KEYS if model == "hist_gradient_boosting" else FOREST_KEYS


def current_settings(cfg: Any, keys: tuple[str, ...]) -> dict[str, Setting]:
    """Trial 0: the values ``cfg`` (a train params section) has for the searched keys."""
    return {key: getattr(cfg, key) for key in keys}


def whole(bounds: Range) -> tuple[int, int]:
    """The whole numbers within ``bounds`` (an integer setting's range), as [low, high]."""
    return math.ceil(bounds[0]), math.floor(bounds[1])


def suggest(trial: optuna.Trial, name: str, bounds: Range, integer: bool) -> Setting:
    """One suggestion between ``bounds`` on a log scale; a float to six significant digits (it trains as written)."""
    if integer:
        return trial.suggest_int(name, *whole(bounds), log=True)
    return float(f"{trial.suggest_float(name, bounds[0], bounds[1], log=True):.6g}")


def within(value: Any, bounds: Range, integer: bool) -> bool:
    """Whether a train params value lies in the searched range (Optuna can learn from trial 0 only then)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    low, high = whole(bounds) if integer else bounds
    return low <= value <= high and (not integer or float(value).is_integer())


def suggest_tree(trial: optuna.Trial, space: TuneTreeSpace, model: str) -> dict[str, Setting]:
    """The train_tree keys searched for ``model``, as ``trial`` suggests them."""
    return {key: suggest(trial, key, getattr(space, key), key in INTEGER_KEYS) for key in tree_keys(model)}


def tree_trial0(space: TuneTreeSpace, model: str, current: dict[str, Setting]) -> dict[str, Any] | None:
    """Trial 0 as Optuna parameters (to enqueue), or None when a train_tree value lies outside its range."""
    keys = tree_keys(model)
    if all(within(current[key], getattr(space, key), key in INTEGER_KEYS) for key in keys):
        return {key: current[key] for key in keys}
    return None


def suggest_linear(trial: optuna.Trial, space: TuneLinearSpace) -> dict[str, Setting]:
    """A linear family (tune.linear.models) and its alpha (a parameter of its own per family: their ranges differ)."""
    model = cast(LinearModel, trial.suggest_categorical("model", space.models))
    return {"model": model, "alpha": suggest(trial, f"alpha_{model}", space.alpha[model], integer=False)}


def linear_trial0(space: TuneLinearSpace, current: dict[str, Setting]) -> dict[str, Any] | None:
    """Trial 0 as Optuna parameters, or None when train_linear's model or alpha lies outside tune.linear."""
    model, alpha = current["model"], current["alpha"]
    if model in space.models and within(alpha, space.alpha[model], integer=False):
        return {"model": model, f"alpha_{model}": alpha}
    return None
