"""The registry status as a table a person reads: one line per version, newest first."""

from __future__ import annotations

from typing import Any

COLUMNS = ("version", "aliases", "lifecycle", "model", "test RMSE", "commit", "experiment")


def _rmse(value: Any) -> str:
    try:
        return f"{float(value):,.1f}"
    except (TypeError, ValueError):
        return "-"


def _commit(version: dict[str, Any]) -> str:
    commit = version.get("git_commit")
    if not commit:
        return "-"
    return f"{commit[:10]}{' (dirty)' if version.get('git_dirty') == 'true' else ''}"


def status_rows(status: dict[str, Any]) -> list[tuple[str, ...]]:
    """The cells of each version's line, in :data:`COLUMNS` order."""
    return [
        (
            str(v["version"]),
            ", ".join(v["aliases"]) or "-",
            v["lifecycle"] + (f": {v['archived_reason']}" if v.get("archived_reason") else ""),
            v.get("candidate") or "-",
            _rmse(v.get("test_rmse")),
            _commit(v),
            v.get("experiment") or "-",
        )
        for v in status["versions"]
    ]


def status_table(status: dict[str, Any], width: int = 60) -> str:
    """The status of one registered model: a heading, then aligned columns (long reasons cut to ``width``)."""
    name = status["model_name"]
    if not status["versions"]:
        return f"registered model '{name}': no versions yet (run the pipeline: make run)"
    rows = [
        tuple(cell if len(cell) <= width else cell[: width - 1] + "…" for cell in row) for row in status_rows(status)
    ]
    widths = [max(len(row[i]) for row in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
    lines = [f"registered model '{name}'", ""]
    for row in [COLUMNS, *rows]:
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)
