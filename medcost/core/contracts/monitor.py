"""The monitor's contract: metrics/monitor.json, each champion's predictions scored against the actual costs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import Field

from medcost.core.contracts.backtest import BacktestScores
from medcost.core.contracts.base import Contract, Number

ExpectationSource = Literal["backtest", "test", "none"]
Recommendation = Literal["retrain", "keep", "wait"]

BACKTEST_RUN_PREFIX = "backtest"
"""promote logs the candidate family's backtest mean to its MLflow run as ``backtest.r2``, ``backtest.rmse``, ..."""
TEST_RUN_PREFIX = "test"
"""... beside its test-set scores from evaluate (``test.r2``, ...)."""


class Expectation(Contract):
    """What a version was expected to score, from its MLflow run: the backtest mean, else its test-set scores."""

    source: ExpectationSource  # none: the version's run is not in the tracking store (or has no scores)
    r2: Number = None
    rmse: Number = None
    mae: Number = None
    total_ratio: Number = None

    @classmethod
    def from_run_metrics(cls, metrics: Mapping[str, float]) -> Expectation:
        """The expectation a version's MLflow run metrics give: the backtest mean when it was run, else the test set."""
        for source, prefix in (("backtest", BACKTEST_RUN_PREFIX), ("test", TEST_RUN_PREFIX)):
            if f"{prefix}.r2" in metrics:
                fields = ("r2", "rmse", "mae", "total_ratio")
                return cls(source=source, **{f: metrics.get(f"{prefix}.{f}") for f in fields})
        return cls(source="none")


class MonitoredYear(Contract):
    """One version's predictions of one year, now that the year's actual costs are known."""

    year: int
    model_version: int
    rows: int = Field(ge=0)  # predictions matched to an actual cost (the scored rows)
    unmatched: int = Field(ge=0)  # predictions whose client has no actual cost for the year (left, not published)
    scores: BacktestScores  # the same scores as the backtest's, on the matched rows
    expected: Expectation
    r2_drop: Number  # expected.r2 - scores.r2 (positive: worse than expected)
    degraded: bool
    reasons: list[str]  # why it is degraded, one line each (empty: it is not)


class PendingYear(Contract):
    """Predictions of a year whose actual costs are not in the published table yet."""

    year: int
    model_version: int
    rows: int = Field(ge=0)


class MonitorVerdict(Contract):
    """metrics/monitor.json: ``degraded``, ``recommendation``, ``checked[i].scores.r2``, ... and what is still pending.

    ``recommendation``: retrain (a checked year is degraded), keep (every checked year is as expected)
    or wait (no predicted year has its actual costs yet).
    """

    model_name: str
    degraded: bool
    recommendation: Recommendation
    message: str  # one line: what was checked and what it found
    checked: list[MonitoredYear]  # oldest year first, then version
    pending: list[PendingYear]
