"""The report's params and other-metrics tables, from ``dvc params diff --json`` and ``dvc metrics diff --json``.

Only rows a reviewer can use: params that changed; metrics that changed, without the ones the
headline table already shows, without timings (volatile by nature) and without files git does
not track (their base is always empty, e.g. promotion.json, which lives in the DVC cache).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

Diff = Mapping[str, Mapping[str, Mapping[str, Any]]]
"""dvc's JSON diff: file -> key -> {"old": .., "new": .., "diff": ..}."""

VOLATILE = ("seconds", "duration", "elapsed", "timestamp", "started_at", "finished_at", "wall_time")
"""Key parts that name a timing or a clock time: such rows are never shown."""


def is_volatile(key: str) -> bool:
    """Whether a dotted metric key names a timing or a clock time (``tables.claims.seconds``)."""
    return any(part in VOLATILE or part.endswith("_seconds") for part in key.lower().split("."))


def value_text(value: Any) -> str:
    """A value as the tables show it: ``—`` for none, 4 significant digits, one decimal from 1,000 up."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) >= 1000 else f"{value:.4g}"
    return str(value)


def _param_text(value: Any) -> str:
    return "—" if value is None else str(value)  # as written in params.yaml: 25.0 stays 25.0


def _diff_text(entry: Mapping[str, Any]) -> str:
    delta = entry.get("diff")
    if isinstance(delta, bool) or not isinstance(delta, int | float):
        return "—"
    return f"{delta:+.1f}" if abs(delta) >= 1000 else f"{delta:+.4g}"


def _label(path: str, key: str) -> str:
    return key if path == "params.yaml" else f"{path}:{key}"


def params_table(diff: Diff, base_label: str, head_label: str) -> list[str]:
    """Markdown lines of the params that changed (``[]`` when none did)."""
    rows = [
        f"| `{_label(path, key)}` | {_param_text(entry.get('old'))} | {_param_text(entry.get('new'))} |"
        for path, params in sorted(diff.items())
        for key, entry in sorted(params.items())
        if entry.get("old") != entry.get("new")
    ]
    return [f"| Param | {base_label} | {head_label} |", "|---|---|---|", *rows] if rows else []


def metrics_table(
    diff: Diff,
    base_label: str,
    head_label: str,
    *,
    shown: Mapping[str, Collection[str]],
    untracked: Collection[str],
) -> list[str]:
    """Markdown lines of the other metrics that changed (``[]`` when none did).

    ``shown``: file -> keys the headline table has; ``untracked``: metric files git does not track.
    """
    rows = [
        f"| `{path}` | `{key}` | {value_text(entry.get('old'))} | {value_text(entry.get('new'))} | {_diff_text(entry)} |"
        for path, metrics in sorted(diff.items())
        if path not in untracked
        for key, entry in sorted(metrics.items())
        if key not in shown.get(path, ()) and not is_volatile(key) and entry.get("old") != entry.get("new")
    ]
    return (
        [f"| File | Metric | {base_label} | {head_label} | Change |", "|---|---|---:|---:|---:|", *rows] if rows else []
    )
