"""Contracts of the model stages: evaluate's scores, validate_metrics' verdict and drift's summary."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import model_serializer, model_validator

from medcost.core.contracts.base import Contract, Number
from medcost.core.errors import MedcostError

# ------------------------------------------------------------------ evaluate -> validate_metrics, promote


class HoldoutScores(Contract):
    """Test-set scores; ``<metric>_low``/``_high``: the seeded percentile bootstrap interval (evaluate.interval).

    The intervals are written for the models and the baseline; the oracle has none (the keys are absent).
    """

    r2: Number
    mse: Number
    rmse: Number
    mae: Number
    total_ratio: Number
    top_decile_share: Number
    r2_low: Number = None
    r2_high: Number = None
    rmse_low: Number = None
    rmse_high: Number = None
    mae_low: Number = None
    mae_high: Number = None

    @model_serializer(mode="wrap")
    def _drop_absent(self, handler: Any) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if k not in INTERVAL_KEYS or k in self.model_fields_set}


INTERVAL_KEYS = tuple(f"{metric}_{end}" for metric in ("r2", "rmse", "mae") for end in ("low", "high"))
"""The bootstrap interval fields of :class:`HoldoutScores` (absent from the file when not computed)."""


class TrainScores(Contract):
    r2: Number
    rmse: Number


class ModelScores(Contract):
    test: HoldoutScores
    train: TrainScores | None = None  # the oracle has no training rows

    @model_serializer(mode="wrap")
    def _drop_absent(self, handler: Any) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if not (k == "train" and v is None)}


class EvaluationData(Contract):
    train_rows: int
    test_rows: int
    test_total_cost: float
    perfect_top_decile_share: Number


class Evaluation(Contract):
    """metrics/evaluate.json: ``{<model>: {test: ..., train: ...}, ..., data: {...}}``.

    Model names (tree, linear, baseline, oracle) are top-level keys, as ``dvc metrics diff``
    users read them (``tree.test.r2``); in Python they are ``models``.
    """

    hidden_keys: ClassVar[tuple[str, ...]] = ("models",)  # not in the file: read_contract's messages omit it

    models: dict[str, ModelScores]
    data: EvaluationData

    @model_validator(mode="before")
    @classmethod
    def _models_at_top_level(cls, value: Any) -> Any:
        if isinstance(value, dict) and "models" not in value:
            return {"data": value.get("data"), "models": {k: v for k, v in value.items() if k != "data"}}
        return value

    @model_serializer(mode="wrap")
    def _flat(self, handler: Any) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        return {**data["models"], "data": data["data"]}

    def scores(self, model: str) -> ModelScores:
        """One model's scores, or a one-line error naming the models there are."""
        if model not in self.models:
            raise MedcostError(
                f"evaluation: model '{model}' missing (expected one of: {', '.join(sorted(self.models))})"
            )
        return self.models[model]


# ------------------------------------------------------------------ validate_metrics -> drift, promote


class GateResult(Contract):
    value: float
    threshold: float | tuple[float, float]
    passed: bool


class ModelVerdict(Contract):
    passed: bool
    gates: dict[str, GateResult]


class QualityVerdict(Contract):
    """metrics/quality.json: each model's gates and the candidate (the passing model with the lowest RMSE)."""

    passed: bool
    candidate: str | None
    models: dict[str, ModelVerdict]
    reason: str


# ------------------------------------------------------------------ drift -> promote


class DriftVerdict(Contract):
    passed: bool
    failed: list[str]


class FeatureDrift(Contract):
    psi: Number
    std_shift: Number = None  # numeric features only
    drift_score: Number = None  # deepchecks FeatureDrift, when it scored the feature

    @model_serializer(mode="wrap")
    def _drop_absent(self, handler: Any) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if k in self.model_fields_set or k == "psi"}


class DriftSummary(Contract):
    """metrics/drift.json: the drift verdict, per-feature scores and the deepchecks scores."""

    verdict: DriftVerdict
    model: str
    rows: dict[str, int]
    rows_used: dict[str, int]  # the rows the statistics used: a seeded sample of each part beyond drift.max_rows
    # calendar feature -> years the reference was advanced (several training years: each one's gap, oldest first)
    reference_advanced: dict[str, int | list[int]]
    features: dict[str, FeatureDrift]
    multivariate_drift: dict[str, Number]
    prediction_drift: dict[str, Number]
    label_drift: dict[str, Number]
