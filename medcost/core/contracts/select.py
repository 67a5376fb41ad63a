"""Contracts of the select stage: the kept and dropped model inputs with their scores, and its metrics."""

from __future__ import annotations

from typing import Literal

from medcost.core.contracts.base import Contract, Number
from medcost.core.errors import MedcostError
from medcost.core.features import FeatureSpec

SelectReason = Literal["constant", "quasi_constant", "duplicate", "std_shift", "psi"]
"""Why a feature is dropped: one value only; one value in >= select.quasi_constant_share of the training rows;
equal to an earlier kept feature; std shift or PSI above select.max_std_shift / select.max_psi."""


class FeatureChoice(Contract):
    """One model input: its scores (train against scoring) and whether the models train on it."""

    kind: Literal["numeric", "categorical"]
    kept: bool
    reasons: list[SelectReason]  # what would drop it (empty: nothing); kept despite reasons only when disabled
    std_shift: Number = None  # numeric: |mean_scoring - mean_train| / std_train (null: categorical or infinite)
    psi: Number = None  # train against scoring (numeric: train quantile bins)
    top_share: Number = None  # share of the training rows holding the most common value (missing is a value)
    duplicate_of: str | None = None  # the earlier kept feature with the same values in every training row


class SelectThresholds(Contract):
    """The select params the choice was made with."""

    max_std_shift: float
    max_psi: float
    quasi_constant_share: float


class FeatureSelection(Contract):
    """The selection file: train_tree / train_linear train only on ``kept``; make report shows ``features``."""

    enabled: bool
    thresholds: SelectThresholds
    calendar_features: list[str]  # advanced by each training row's years to the snapshot before comparing
    train_rows: int
    scoring_rows: int
    kept: list[str]  # in the feature spec's order
    dropped: list[str]
    features: dict[str, FeatureChoice]

    def restrict(self, spec: FeatureSpec) -> FeatureSpec:
        """``spec`` reading only the kept inputs; a one-line error when the selection was made for other inputs."""
        differ = sorted(set(self.features) ^ set(spec.inputs))
        if differ:
            raise MedcostError(
                f"feature selection: made for other model inputs ({', '.join(differ)}); "
                "transform params changed? rerun select"
            )
        return spec.restricted_to(self.kept)


class SelectSummary(Contract):
    """metrics/select.json: how many inputs were kept and dropped, and why each dropped one was."""

    kept: int
    dropped: int
    dropped_features: dict[str, str]  # name -> its reasons, comma-separated
