"""Great Expectations results read into the report's contract models, and the checks of the validation itself."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from medcost.core.contracts import ExpectationFailure, SuiteResult
from medcost.core.errors import summarise

_COLUMN_KWARGS = ("column", "column_A", "column_B")
_LIST_KWARGS = ("column_list",)


def columns_of(kwargs: Mapping[str, Any]) -> list[str]:
    """The columns an expectation's kwargs name, in order (none for a table expectation)."""
    named = [kwargs[k] for k in _COLUMN_KWARGS if kwargs.get(k)]
    for key in _LIST_KWARGS:
        named += list(kwargs.get(key) or [])
    return [str(c) for c in named]


def raised(info: Any) -> str | None:
    """The exception message of a result's exception_info, if it raised.

    Two shapes exist in 1.x: a flat dict, and a dict of them keyed by metric id.
    """
    if not isinstance(info, Mapping):
        return None
    if "raised_exception" in info or "exception_message" in info:
        if info.get("raised_exception") or info.get("exception_message"):
            return summarise(info.get("exception_message") or "") or "an exception"
        return None
    for value in info.values():
        message = raised(value)
        if message:
            return message
    return None


def meta_problems(name: str, columns: Iterable[str], configured: list[Any], results: list[Any]) -> list[str]:
    """Validations about the validation: one result per expectation, no exception, every column covered."""
    problems = []
    result_ids = {r.expectation_config.id for r in results}
    if len(results) != len(configured) or {e.id for e in configured} != result_ids:
        missing = [
            f"{e.configuration.type} {columns_of(e.configuration.kwargs)}" for e in configured if e.id not in result_ids
        ]
        problems.append(
            f"{name}: {len(configured)} expectation(s) configured, {len(results)} result(s)"
            + (f"; no result for {', '.join(missing[:3])}" if missing else "")
        )
    for r in results:
        message = raised(r.exception_info)
        if message:
            where = ",".join(columns_of(r.expectation_config.kwargs)) or "table"
            problems.append(f"{name}.{where} {r.expectation_config.type} raised: {message}")
    covered = {c for e in configured for c in columns_of(e.configuration.kwargs)}
    for column in columns:
        if column not in covered:
            problems.append(f"{name}.{column}: no expectation covers this column")
    return problems


def suite_result(rows: int, results: list[Any], configured: int, examples: int) -> SuiteResult:
    """One suite's counts and failures (``examples``: unexpected values kept per failure)."""
    failures = [failure(r, examples) for r in results if not r.success]
    passed = sum(1 for r in results if r.success)
    return SuiteResult(
        rows=int(rows),
        expectations=configured,
        evaluated=len(results),
        passed=passed,
        failed=len(failures),
        success_percent=round(100.0 * passed / len(results), 2) if results else 0.0,
        failures=failures,
    )


def failure(result: Any, examples: int) -> ExpectationFailure:
    """One failed expectation's result, as a person reads it: column, rows, a few values, what was observed."""
    as_json = result.to_json_dict()  # JSON-safe values (timestamps as text, no numpy scalars)
    config = as_json["expectation_config"]
    detail = as_json.get("result") or {}
    kwargs = config.get("kwargs", {})
    entry: dict[str, Any] = {
        "expectation": config["type"],
        "column": ",".join(columns_of(kwargs)) or None,
        "unexpected_count": detail.get("unexpected_count"),
    }
    if detail.get("unexpected_percent") is not None:
        entry["unexpected_percent"] = round(float(detail["unexpected_percent"]), 4)
    values = (
        [v["value"] for v in detail.get("partial_unexpected_counts") or []]
        or detail.get("partial_unexpected_list")
        or []
    )
    values = [v for v in values if v is not None][:examples]
    if values:
        entry["examples"] = values
    if "observed_value" in detail:
        entry["observed"] = _short(detail["observed_value"])
    mismatched = (detail.get("details") or {}).get("mismatched")
    if mismatched:
        entry["observed"] = {k: v for k, v in mismatched.items() if v}
    if kwargs.get("row_condition"):
        entry["where"] = _condition_text(kwargs["row_condition"])
    message = raised(result.exception_info)
    if message:
        entry["error"] = message
    meta = config.get("meta") or {}
    if meta.get("param"):
        entry["param"] = str(meta["param"])
    if meta.get("observed") is not None and "observed" not in entry:
        entry["observed"] = _short(meta["observed"])
    return ExpectationFailure(**entry)


def _short(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, list) and len(value) > 10:
        return value[:10] + ["..."]
    return value


def _condition_text(condition: Any) -> str:
    if isinstance(condition, Mapping) and "column" in condition and "operator" in condition:
        column = condition["column"].get("name") if isinstance(condition["column"], Mapping) else condition["column"]
        return f"{column} {condition['operator']} {condition.get('parameter')!r}"
    return str(condition)
