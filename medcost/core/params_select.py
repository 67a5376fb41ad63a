"""Params of the select stage: which features a model may train on, by drift and by information."""

from __future__ import annotations

from pydantic import Field

from medcost.core.params_base import Section


class SelectParams(Section):
    """select: drop the model inputs that moved between the training rows and the scoring snapshot, or say nothing."""

    enabled: bool  # false: every input is kept (the scores are still computed and written)
    max_std_shift: float = Field(gt=0.0)  # numeric: |mean_scoring - mean_train| / std_train above this drops it
    max_psi: float = Field(gt=0.0)  # PSI between train and scoring above this drops it
    quasi_constant_share: float = Field(gt=0.5, le=1.0)  # one value in at least this share of train rows drops it
    # numeric features that grow by one per year by construction (age, tenure): each training row is advanced
    # by its years to the snapshot before comparing (as drift.calendar_features)
    calendar_features: list[str]
    psi_bins: int = Field(ge=2, le=100)  # reference quantile bins for numeric PSI (plus a missing-value bin)
    psi_epsilon: float = Field(gt=0.0, lt=0.01)  # share given to an empty bin
    max_rows: int = Field(ge=1000)  # rows of each part scored: a seeded sample beyond this (bounds memory)
    seed: int
