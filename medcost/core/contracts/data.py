"""Contracts of the data stages: extract's and transform's metrics, the receipts, validate's report, split's rows."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_serializer, model_validator

from medcost.core.contracts.base import Contract
from medcost.core.contracts.profile import SnapshotProfile

# ------------------------------------------------------------------ extract -> validate


class TableExtract(Contract):
    rows: int = Field(ge=0)
    columns: int = Field(ge=1)


class ExtractMetrics(Contract):
    """metrics/extract.json: what extract read from the source."""

    source: str  # the dialect (sqlite, postgresql, ...), never the URL
    as_of: str
    history_start: str
    tables: dict[str, TableExtract]


class TransformSummary(Contract):
    """metrics/transform.json: the cutoffs transform built, their rows and the claims history each had."""

    training_years: list[int]  # transform.training_years cutoffs, oldest first
    backtest_cutoffs: list[
        int
    ] = []  # the backtest.years cutoffs before the training ones (only the backtest reads them)
    scoring_year: int
    rows: dict[str, int]  # year -> feature rows
    first_paid: str | None  # the first paid claim (ISO date): the claims history starts in its year
    history_years: dict[str, int]  # year -> years of claims history the cutoff had (at most transform.lookback_years)
    short_history: list[int]  # training years with less than transform.lookback_years of history (a warning too)


# ------------------------------------------------------------------ load -> validate; validate -> split, predict


class LoadReceipt(Contract):
    """A lakehouse write: exactly which table version holds the rows transform produced.

    load writes one for the staged snapshot; validate writes one for the published table
    inside :class:`PublishedSnapshot` when it accepts the snapshot.
    """

    backend: str
    table: str
    version: int = Field(ge=0)
    rows: int = Field(ge=0)
    years: list[int]
    key: list[str]
    columns: list[str]
    content_hash: str
    dtypes: dict[str, str] | None = None  # hopsworks: the dtypes to restore on reading

    @model_serializer(mode="wrap")
    def _drop_absent(self, handler: Any) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if not (k == "dtypes" and v is None)}


class PublishedSnapshot(Contract):
    """The published receipt: the lakehouse version validate accepted, and the profile the next snapshot is checked against.

    Split, predict and any lakehouse reader use this version; a rejected snapshot leaves the file
    (and the table) as they were.
    """

    receipt: LoadReceipt  # the published table's version, rows and content hash
    as_of: str  # the snapshot date (extract.as_of) of the accepted extract
    profile: SnapshotProfile | None = None  # None: published before profiles were kept
    reference: SnapshotProfile | None = None  # the profile this snapshot was checked against (None: the first)


class SplitSummary(Contract):
    """metrics/split.json: which published snapshot split used, and the rows of each part."""

    published_hash: str  # the content hash of the published snapshot (PublishedSnapshot.receipt)
    as_of: str
    train: int = Field(ge=0)
    test: int = Field(ge=0)
    scoring: int = Field(ge=0)


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
    param: str | None = None  # the params key that set the bound, with its value

    @model_serializer(mode="wrap")
    def _drop_empty(self, handler: Any) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        optional = ("unexpected_percent", "examples", "observed", "where", "error", "param")
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
            raise ValueError(
                f"{self.passed} passed + {self.failed} failed != {self.evaluated} evaluated "
                f"or != {len(self.failures)} failures listed"
            )
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


# ------------------------------------------------------------------ fingerprint -> extract


class TableFingerprint(Contract):
    """One source table as its fingerprint query sees it, computed by SQL in the database."""

    rows: int = Field(ge=0)
    signature: dict[str, str | int | float | None]  # the query's other columns (key sums, max dates, ...)


class SourceFingerprint(Contract):
    """The source database's identity and content signature: extract depends on this file."""

    dialect: str
    identity: str  # the URL with the password masked: driver, host, port, database
    tables: dict[str, TableFingerprint]
