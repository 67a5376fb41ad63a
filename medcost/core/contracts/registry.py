"""Contracts of the release stages: promote's decision and predict's summary."""

from __future__ import annotations

from medcost.core.contracts.base import Contract, Number

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
