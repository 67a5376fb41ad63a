"""The search space of each model family: the keys tried, trial 0 (the train params) and the seeded draws."""

from __future__ import annotations

import math
import zlib
from typing import Any

import numpy as np

from medcost.core.contracts.tuning import Setting
from medcost.core.params_tune import Range, TuneLinearSpace, TuneTreeSpace

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


def family_rng(seed: int, family: str) -> np.random.Generator:
    """A generator of its own per family (tuning one family never changes another's draws)."""
    return np.random.default_rng([seed, zlib.crc32(family.encode())])


def log_uniform(rng: np.random.Generator, bounds: Range, integer: bool) -> Setting:
    """One draw between ``bounds``, uniform on a log scale; integers rounded to the nearest within the bounds."""
    low, high = bounds
    value = math.exp(rng.uniform(math.log(low), math.log(high))) if low < high else float(low)
    if integer:
        return int(min(max(round(value), math.ceil(low)), math.floor(high)))
    return float(f"{value:.6g}")  # six significant digits: a readable value that trains as written


def draw_tree(rng: np.random.Generator, space: TuneTreeSpace, model: str) -> dict[str, Setting]:
    """One seeded draw of the train_tree keys searched for ``model``."""
    return {key: log_uniform(rng, getattr(space, key), key in INTEGER_KEYS) for key in tree_keys(model)}


def draw_linear(rng: np.random.Generator, space: TuneLinearSpace) -> dict[str, Setting]:
    """One seeded draw of a linear family (tune.linear.models) and its alpha."""
    model = space.models[int(rng.integers(len(space.models)))]
    return {"model": model, "alpha": log_uniform(rng, space.alpha[model], integer=False)}
