"""Typed contracts: one pydantic model per JSON file a stage writes and another reads.

The writer builds the model and calls :func:`write_contract`; the reader calls
:func:`read_contract` with the same model, so a missing key, a wrong type or a file from an
older layout is one line naming the file and the field, never a ``KeyError`` three stages
later. The JSON keeps the layout ``dvc metrics show/diff`` users know (e.g. ``tree.test.r2``
in evaluate.json): models whose keys are data (model names, suites, features) are mappings.
Non-finite floats are written as null (JSON has no NaN).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_serializer, model_validator

from medcost.core.errors import MedcostError
from medcost.core.io import read_json, write_json
from medcost.core.numbers import finite_or_none, round_floats

Number = float | None
"""A metric: null when undefined (an R² of a constant target, say)."""


class Contract(BaseModel):
    """Base of every contract: unknown keys are errors (a file of another layout is not read silently)."""

    model_config = ConfigDict(extra="forbid", ser_json_inf_nan="null")


C = TypeVar("C", bound=Contract)


def write_contract(path: str | Path, contract: Contract) -> None:
    """Write ``contract`` as key-sorted JSON, floats rounded to 6 significant digits, atomically."""
    data = json.loads(contract.model_dump_json(exclude_none=False))
    write_json(path, finite_or_none(round_floats(data)))


def read_contract(path: str | Path, model: type[C], made_by: str | None = None) -> C:
    """Read and check a contract file; any problem is one line naming the file and the first bad field."""
    data = read_json(path, made_by=made_by)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        hint = f"; rerun the {made_by} stage" if made_by else ""
        raise MedcostError(f"{path}: {where}: {first['msg']}{more}{hint}") from None


# ------------------------------------------------------------------ extract -> validate


class TableExtract(Contract):
    rows: int = Field(ge=0)
    columns: int = Field(ge=1)
    seconds: float | None = None  # volatile; kept only until the run log takes it


class ExtractMetrics(Contract):
    """metrics/extract.json: what extract read from the source."""

    source: str  # the dialect (sqlite, postgresql, ...), never the URL
    as_of: str
    history_start: str
    tables: dict[str, TableExtract]


# ------------------------------------------------------------------ load -> validate, split


class LoadReceipt(Contract):
    """The load receipt: exactly which lakehouse version holds the rows transform produced."""

    backend: str
    table: str
    version: int = Field(ge=0)
    rows: int = Field(ge=0)
    years: list[int]
    key: list[str]
    columns: list[str]
    content_hash: str
    dtypes: dict[str, str] | None = None  # hopsworks: the dtypes to restore on reading


# ------------------------------------------------------------------ validate -> split


class ExpectationFailure(Contract):
    """One failed expectation, as a person reads it (optional keys are left out when empty)."""

    expectation: str
    column: str | None
    unexpected_count: int | None
    unexpected_percent: float | None = None
    examples: list[Any] | None = None
    observed: Any = None
    where: str | None = None
    error: str | None = None

    @model_serializer(mode="wrap")
    def _drop_empty(self, handler: Any) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        optional = ("unexpected_percent", "examples", "observed", "where", "error")
        return {k: v for k, v in data.items() if not (k in optional and v is None)}


class SuiteResult(Contract):
    rows: int
    expectations: int
    evaluated: int
    passed: int
    failed: int
    success_percent: float
    failures: list[ExpectationFailure]

    @model_validator(mode="after")
    def _counts_add_up(self) -> SuiteResult:
        if self.passed + self.failed != self.evaluated or self.failed != len(self.failures):
            raise ValueError(f"{self.passed} passed + {self.failed} failed != {self.evaluated} evaluated "
                             f"or != {len(self.failures)} failures listed")
        return self


class ValidationMeta(Contract):
    expectations: int
    results: int
    problems: list[str]


class ValidationReport(Contract):
    """metrics/validate.json: the data-quality gate's results per suite, and the checks of the validation."""

    success: bool
    suites: dict[str, SuiteResult]
    meta: ValidationMeta


# ------------------------------------------------------------------ evaluate -> validate_metrics, promote


class HoldoutScores(Contract):
    r2: Number
    mse: Number
    rmse: Number
    mae: Number
    total_ratio: Number
    top_decile_share: Number


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
            raise MedcostError(f"evaluation: model '{model}' missing (expected one of: {', '.join(sorted(self.models))})")
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
    reference_advanced: dict[str, int]  # calendar feature -> years the reference was advanced
    features: dict[str, FeatureDrift]
    multivariate_drift: dict[str, Number]
    prediction_drift: dict[str, Number]
    label_drift: dict[str, Number]


# ------------------------------------------------------------------ promote -> predict, report


class VerdictFlags(Contract):
    passed: bool
    quality: bool
    drift: bool


class RmsePair(Contract):
    candidate: float
    champion: Number


class PromotionDecision(Contract):
    """metrics/promotion.json: what promote did in the registry, and why."""

    model_name: str
    tracking_uri: str  # masked
    candidate: str
    model_sha256: str
    version: int
    registered_new_version: bool
    lifecycle: str
    verdicts: VerdictFlags
    rmse: RmsePair
    champion_before: int | None
    champion_after: int | None
    champion_changed: bool
    aliases_before: dict[str, int]
    aliases_after: dict[str, int]
    reasons: list[str]


# ------------------------------------------------------------------ predict -> (users, monitor)


class PredictedCost(Contract):
    total: float
    mean: float
    p50: float
    p99: float


class PredictSummary(Contract):
    """metrics/predict.json: which champion predicted how many rows, and the predictions' spread."""

    model_name: str
    model_version: int
    rows: int
    years: list[int]
    predicted_cost: PredictedCost
