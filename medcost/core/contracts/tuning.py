"""Contracts of the tune stage: the searched settings and their cross-validation scores, and its metrics file."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from medcost.core.contracts.base import Contract, Number
from medcost.core.errors import MedcostError

Setting = bool | int | float | str
"""One hyperparameter value, as the train params section holds it."""


class CvScore(Contract):
    """One metric over the cross-validation folds."""

    mean: Number
    std: Number  # population standard deviation over the folds


class Trial(Contract):
    number: int  # 0: the train params as they are; then Optuna's (seeded TPE) suggestions, in order
    settings: dict[str, Setting]  # the searched keys of the train params section
    scores: dict[str, CvScore]  # rmse, mae, r2


class FamilySearch(Contract):
    """One family's search: every trial run, the best one and why the search stopped."""

    section: str  # the train params section the settings overlay (train_tree, train_linear)
    metric: Literal["rmse", "mae", "r2"]
    folds: int
    rows: int  # cross-validated rows (a seeded sample of whole clients beyond tune.max_rows)
    clients: int
    trials_budget: int
    stopped_by: Literal["trials", "seconds"]  # seconds: the time budget ran out first (fewer trials than budgeted)
    trials: list[Trial]
    best: int  # the number of the best trial
    best_settings: dict[str, Setting]

    @model_validator(mode="after")
    def _best_is_a_trial(self) -> FamilySearch:
        numbers = [t.number for t in self.trials]
        if self.best not in numbers:
            raise ValueError(f"best: trial {self.best} is not among the trials {numbers}")
        return self

    def trial(self, number: int) -> Trial:
        return next(t for t in self.trials if t.number == number)


class TunedSettings(Contract):
    """models/tuned.json: what tune found per family (``families`` is empty when tune.enabled is false)."""

    enabled: bool
    seed: int | None = None
    families: dict[str, FamilySearch]

    def family(self, name: str) -> FamilySearch:
        """One family's search, or a one-line error naming the families there are."""
        if name not in self.families:
            found = ", ".join(sorted(self.families)) or "none"
            raise MedcostError(f"tuned settings: no search for '{name}' (found: {found}); rerun the tune stage")
        return self.families[name]


class FamilyTuneMetrics(Contract):
    metric: Literal["rmse", "mae", "r2"]
    best: CvScore  # the best trial's cross-validated metric
    default: CvScore  # trial 0 (the train params as they are), on the same folds
    trials: int  # trials run
    stopped_by: Literal["trials", "seconds"]


class TuneMetrics(Contract):
    """metrics/tune.json: ``{enabled, families: {tree: {best: {mean, std}, default: ...}, linear: ...}}``."""

    enabled: bool
    families: dict[str, FamilyTuneMetrics]
