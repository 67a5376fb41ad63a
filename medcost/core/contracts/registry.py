"""Contracts of the release stages: promote's decision and predict's summary."""

from __future__ import annotations

from pydantic import Field

from medcost.core.contracts.base import Contract, Number

# ------------------------------------------------------------------ the predictions table (predict -> monitor)

PREDICTED_COST = "predicted_cost"
MODEL_VERSION = "model_version"
"""Columns of the predictions table beside the client key (and ``model_name``): predict writes them, monitor reads."""

# ------------------------------------------------------------------ promote -> predict, report


class VerdictFlags(Contract):
    passed: bool
    quality: bool
    drift: bool


class RmsePair(Contract):
    candidate: float
    champion: Number


class RmseImprovement(Contract):
    """Champion test RMSE minus candidate test RMSE on the same rows (positive: the candidate is better).

    ``low``/``high``: the (1 - confidence) and confidence quantiles of the paired bootstrap (one-sided
    test: the candidate is crowned only if ``low`` is above the required margin). All null when there
    was no champion to compare with.
    """

    estimate: Number = None
    low: Number = None
    high: Number = None
    confidence: Number = None


class PromotionDecision(Contract):
    """metrics/promotion.json: what promote did in the registry, and why.

    ``git_dirty``/``experiment``: the promoted version's lineage as its registry tags record it
    (whether code, SQL or params differed from its commit, the ``dvc exp run`` that registered it).
    Its commit is not here but in the version's ``git_commit`` tag (``make registry``): a fresh clone
    registers from its own HEAD, the commit that holds this file's hash in dvc.lock, so a commit
    here could never match. A rerun of the same promote writes the same file (the pipeline run
    records the decision). The reasons say when this promote itself ran uncommitted.
    ``improvement``: the paired bootstrap comparison with the champion.
    """

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
    git_dirty: bool | None = None  # None: not a git repository
    experiment: str | None = None
    improvement: RmseImprovement = Field(default_factory=RmseImprovement)


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
    drift_passed: bool  # the drift verdict of the scoring snapshot
    allow_drift: bool  # predict.allow_drift: published although drift_passed is false
