"""The validation report: metrics/validate.json written and re-read, and its failures in words for people."""

from __future__ import annotations

import logging
from pathlib import Path

from medcost.core.contracts import ExpectationFailure, ValidationReport, read_contract, write_contract
from medcost.core.errors import MedcostError

log = logging.getLogger(__name__)


def write_report(path: str | Path, report: ValidationReport) -> None:
    """Write metrics/validate.json atomically, re-read it and check it is complete.

    A file that does not parse, or misses a suite, a count or the success flag, or whose
    counts do not add up, is itself a failure. Floats are written unrounded (``digits=None``): the
    examples are values a person looks up in the data (an amount of 1168223.0 must not read 1168220.0).
    """
    write_contract(path, report, digits=None)
    try:
        written = read_contract(path, ValidationReport)
    except MedcostError as exc:
        raise MedcostError(f"the validation results just written are incomplete: {exc}") from None
    if set(written.suites) != set(report.suites):
        raise MedcostError(
            f"{path}: the validation results are incomplete: "
            f"suites {sorted(written.suites)} instead of {sorted(report.suites)}"
        )


def describe_failure(failure: ExpectationFailure, suite: str) -> str:
    """One failed expectation, for a person: suite.column, expectation, rows and a few values."""
    where = f"{suite}.{failure.column}" if failure.column else suite
    if failure.error:
        detail = f"error: {failure.error}"
    elif failure.unexpected_count is not None:
        detail = f"{failure.unexpected_count} row(s)"
        if failure.examples:
            detail += ", e.g. " + ", ".join(str(v) for v in failure.examples)
    else:
        detail = f"observed {failure.observed}"
    if failure.where:
        detail += f", where {failure.where}"
    if failure.param:
        detail += f"; bound {failure.param}"
        if isinstance(failure.observed, str) and failure.unexpected_count is not None:
            detail += f", {failure.observed}"  # what the param's bound was measured against (meta)
    return f"{where} {failure.expectation} ({detail})"


def failure_message(report: ValidationReport, docs_dir: str | Path | None = None, shown: int = 5) -> str:
    """The one-line summary of a failed validation (empty when it passed)."""
    lines = [describe_failure(f, name) for name, s in report.suites.items() for f in s.failures]
    problems = [p for p in report.meta.problems if " raised: " not in p]  # raised ones are failures already
    parts = []
    if lines:
        more = f"; and {len(lines) - shown} more" if len(lines) > shown else ""
        parts.append(f"{len(lines)} expectation(s) failed: " + "; ".join(lines[:shown]) + more)
    if problems:
        more = f"; and {len(problems) - shown} more" if len(problems) > shown else ""
        parts.append("validation incomplete: " + "; ".join(problems[:shown]) + more)
    if not parts:
        return ""
    if docs_dir is not None:
        parts.append(f"see {Path(docs_dir) / 'index.html'}")
    return " | ".join(parts)


def log_failures(report: ValidationReport) -> None:
    """Log every failed expectation and every problem of the validation, one error line each."""
    for name, suite in report.suites.items():
        for failure in suite.failures:
            log.error("failed: %s", describe_failure(failure, name))
    for problem in report.meta.problems:
        log.error("validation problem: %s", problem)
