"""The feature spec: which columns of the feature table are the key, the model inputs and the target.

Derived from the transform params alone, so every stage (transform writes the columns,
validate checks them, train/evaluate/drift/promote read them) agrees on the same names.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from medcost.core.errors import MedcostError
from medcost.core.params import TransformParams

CUTOFF_COLUMN = "cutoff_date"
"""The event time of a feature row: the 1 January its features are known on."""
DERIVED_NUMERIC = ("age", "tenure_years", "months_enrolled_prev")
"""Numeric features computed from the clients table (not copied from it)."""


def history_columns(cfg: TransformParams) -> list[str]:
    """Names of the claim-history features, in output order."""
    lags = [f"cost_prev{k}" for k in range(1, cfg.lookback_years + 1)]
    by_category = [f"cost_prev1_{c}" for c in cfg.claim_categories]
    trend = ["cost_trend"] if cfg.lookback_years >= 2 else []
    return [*lags, "claims_prev1", *by_category, *trend]


class FeatureSpec(BaseModel):
    """The columns a model reads and predicts (frozen: a spec is never changed in place)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: list[str]
    numeric: list[str]
    categorical: list[str]
    history: list[str]  # the claim-history subset of ``numeric`` (the linear model may log them)
    target: str

    @property
    def inputs(self) -> list[str]:
        """The columns a model pipeline reads, in order."""
        return [*self.numeric, *self.categorical]

    @classmethod
    def from_params(cls, cfg: TransformParams) -> FeatureSpec:
        """The spec of the feature table the transform params describe."""
        history = history_columns(cfg)
        return cls(
            key=list(cfg.key),
            numeric=[*cfg.flags, *cfg.numeric, *DERIVED_NUMERIC, *history],
            categorical=list(cfg.categorical),
            history=history,
            target=cfg.target,
        )

    def restricted_to(self, inputs: Sequence[str]) -> FeatureSpec:
        """The spec reading only ``inputs`` (a subset of :attr:`inputs`), in the spec's order; key and target stay."""
        unknown = [c for c in inputs if c not in self.inputs]
        if unknown:
            raise MedcostError(f"feature selection: {', '.join(unknown)} not among the model inputs (rerun select)")
        keep = set(inputs)
        return self.model_copy(
            update={
                "numeric": [c for c in self.numeric if c in keep],
                "categorical": [c for c in self.categorical if c in keep],
                "history": [c for c in self.history if c in keep],
            }
        )
