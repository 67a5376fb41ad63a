"""Params of the tune stage: the budget, the grouped cross-validation and each model family's search space."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, model_validator

from medcost.core.params_base import Section, section

S = TypeVar("S", bound=BaseModel)

Range = tuple[float, float]
"""[low, high] of one setting, searched on a log scale (integer settings: the whole numbers within)."""

LinearModel = Literal["ridge", "elastic_net", "lasso", "poisson"]


def _ordered(name: str, bounds: Range, positive: bool = True) -> None:
    low, high = bounds
    if positive and low <= 0:
        raise ValueError(f"{name}: [{low}, {high}] must be positive (it is sampled on a log scale)")
    if low > high:
        raise ValueError(f"{name}: [{low}, {high}] must be [low, high] with low <= high")


class TuneTreeSpace(Section):
    """tune.tree: the ranges tried for train_tree (the keys of its family; the others are ignored)."""

    learning_rate: Range  # hist_gradient_boosting
    max_iter: Range  # hist_gradient_boosting
    max_leaf_nodes: Range  # hist_gradient_boosting
    l2_regularization: Range  # hist_gradient_boosting
    max_features: Range  # random_forest, extra_trees
    min_samples_leaf: Range  # all families

    @model_validator(mode="after")
    def _ranges(self) -> TuneTreeSpace:
        for name, bounds in self.model_dump().items():
            _ordered(name, bounds)
        if self.learning_rate[1] > 1.0 or self.max_features[1] > 1.0:
            raise ValueError("learning_rate and max_features: at most 1.0")
        if self.max_leaf_nodes[0] < 2 or self.max_iter[0] < 1 or self.min_samples_leaf[0] < 1:
            raise ValueError("max_leaf_nodes >= 2, max_iter >= 1 and min_samples_leaf >= 1")
        for name in ("max_iter", "max_leaf_nodes", "min_samples_leaf"):
            low, high = getattr(self, name)
            if math.ceil(low) > math.floor(high):
                raise ValueError(f"{name}: [{low}, {high}] holds no whole number")
        return self


class TuneLinearSpace(Section):
    """tune.linear: the linear families tried and the alpha range of each (its scale differs by family)."""

    models: list[LinearModel] = Field(min_length=1)
    alpha: dict[LinearModel, Range]

    @model_validator(mode="after")
    def _ranges(self) -> TuneLinearSpace:
        missing = [m for m in self.models if m not in self.alpha]
        if missing:
            raise ValueError(f"alpha: no range for {', '.join(missing)} (each of models needs one)")
        for name, bounds in self.alpha.items():
            _ordered(f"alpha.{name}", bounds)
        return self


class TuneParams(Section):
    """tune: a seeded Optuna (TPE) search per model family, scored by grouped k-fold cross-validation."""

    enabled: bool  # true: the train stages use the tuned settings; false: tune writes only that it is off
    trials: int = Field(ge=1, le=10_000)  # settings tried per family (trial 0: the train params as they are)
    seconds: float | None = Field(gt=0.0)  # per family, Optuna's timeout: stops the search early (recorded); null: none
    folds: int = Field(ge=2, le=50)  # grouped k-fold: all rows of a client in one fold
    metric: Literal["rmse", "mae", "r2"]  # the best trial has the lowest mean rmse / mae or the highest mean r2
    max_rows: int = Field(ge=100)  # cross-validate on a seeded sample of whole clients beyond this many rows
    tree: TuneTreeSpace
    linear: TuneLinearSpace
    seed: int = Field(ge=0)


def overlay(cfg: S, settings: Mapping[str, Any], name: str) -> S:
    """A checked copy of the params section ``cfg`` (called ``name``) with ``settings`` in place of its values."""
    return section({name: {**cfg.model_dump(), **settings}}, name, type(cfg), source="tuned settings")
