"""The report's headline table: each model's and the baseline's test R², RMSE and MAE with their intervals, base vs head.

The rows are there whether or not a value changed (a reviewer needs to see "unchanged" as much
as a change). Values come from metrics/evaluate.json through the :class:`Evaluation` contract;
a file of an older layout that the contract refuses is still read leniently, and a revision
without intervals shows the bare value.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from medcost.core.contracts import Evaluation

log = logging.getLogger(__name__)

MODELS = ("tree", "linear", "baseline")
"""The rows of the table, in this order: both models, then the mean-cost baseline."""

METRICS = (("r2", "R²", 4, False), ("rmse", "RMSE", 1, True), ("mae", "MAE", 1, True))
"""(evaluate.json key, label, decimals, show the relative change) of each test metric in the table."""


@dataclass(frozen=True)
class Scores:
    """One revision's test scores: model -> {"r2": .., "r2_low": .., ...} and the test-set size."""

    models: dict[str, dict[str, float | None]] = field(default_factory=dict)
    test_rows: int | None = None


def from_evaluation(evaluation: Evaluation) -> Scores:
    """The test scores of an :class:`Evaluation` contract."""
    models = {name: scores.test.model_dump() for name, scores in evaluation.models.items()}
    return Scores(models=models, test_rows=evaluation.data.test_rows)


def parse_scores(text: str, source: str) -> Scores | None:
    """The test scores in the text of an evaluate.json, or None (logged) when it holds none."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        log.warning("%s: not JSON (%s); its scores are left out", source, exc.msg)
        return None
    try:
        return from_evaluation(Evaluation.model_validate(raw))
    except ValidationError as exc:
        log.info(
            "%s: not the current evaluate.json layout (%d problem(s)); reading it leniently", source, exc.error_count()
        )
    return _lenient(raw)


def _lenient(raw: Any) -> Scores | None:
    """Whatever ``<model>.test.<metric>`` numbers an evaluate.json of another layout holds."""
    if not isinstance(raw, dict):
        return None
    models: dict[str, dict[str, float | None]] = {}
    for name, value in raw.items():
        test = value.get("test") if isinstance(value, dict) else None
        if isinstance(test, dict):
            models[name] = {
                k: float(v) for k, v in test.items() if isinstance(v, int | float) and not isinstance(v, bool)
            }
    data = raw.get("data")
    rows = data.get("test_rows") if isinstance(data, dict) else None
    return Scores(models=models, test_rows=rows if isinstance(rows, int) else None) if models else None


def covered_keys(models: Sequence[str] = MODELS) -> set[str]:
    """The ``dvc metrics diff`` keys of evaluate.json this table already shows."""
    ends = ("", "_low", "_high")
    return {f"{model}.test.{metric}{end}" for model in models for metric, *_ in METRICS for end in ends}


def _number(value: float | None, decimals: int) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    shown = value if round(value, decimals) != 0 else 0.0  # -0.00004 shows as 0.0000, not -0.0000
    return f"{shown:.{decimals}f}"


def cell(scores: Mapping[str, float | None] | None, metric: str, decimals: int) -> str:
    """``0.2467 [0.2101, 0.2803]``: the value and its interval when there is one; ``—`` when absent."""
    value = None if scores is None else scores.get(metric)
    if value is None:
        return "—"
    low, high = (None, None) if scores is None else (scores.get(f"{metric}_low"), scores.get(f"{metric}_high"))
    text = _number(value, decimals)
    if low is not None and high is not None:
        text += f" [{_number(low, decimals)}, {_number(high, decimals)}]"
    return text


def change(base: float | None, head: float | None, decimals: int, relative: bool) -> str:
    """Head minus base, signed (``+0.0123``, ``-90.2 (-0.6%)``), ``0 (unchanged)``, or ``—`` when a side is missing."""
    if base is None or head is None or not (math.isfinite(base) and math.isfinite(head)):
        return "—"
    delta = head - base
    if round(delta, decimals) == 0:
        return "0 (unchanged)"
    text = f"{delta:+.{decimals}f}"
    if relative and base != 0:
        text += f" ({delta / abs(base):+.1%})"
    return text


def score_table(
    base: Evaluation | Scores | None,
    head: Evaluation | Scores | None,
    base_label: str,
    head_label: str,
    models: Sequence[str] = MODELS,
) -> list[str]:
    """Markdown lines: one row per model and metric (``tree.test.r2``, ...) with base, head and the change."""
    base_scores = from_evaluation(base) if isinstance(base, Evaluation) else base
    head_scores = from_evaluation(head) if isinstance(head, Evaluation) else head
    lines = [f"| Metric | {base_label} | {head_label} | Change |", "|---|---:|---:|---:|"]
    for model in models:
        old = None if base_scores is None else base_scores.models.get(model)
        new = None if head_scores is None else head_scores.models.get(model)
        for metric, label, decimals, relative in METRICS:
            delta = change(
                None if old is None else old.get(metric), None if new is None else new.get(metric), decimals, relative
            )
            lines.append(
                f"| `{model}.test.{metric}` ({label}) | {cell(old, metric, decimals)} | {cell(new, metric, decimals)} | {delta} |"
            )
    return lines


def rows_note(base: Scores | None, head: Scores | None) -> str | None:
    """A warning when the two revisions were scored on test sets of different sizes (their numbers do not compare row for row)."""
    if base is None or head is None or base.test_rows is None or head.test_rows is None:
        return None
    if base.test_rows == head.test_rows:
        return None
    return (
        f"The test set changed ({base.test_rows:,} → {head.test_rows:,} rows): "
        "the two revisions are not scored on the same rows."
    )
