"""The feature-selection table of the reports: every model input with its scores, kept or dropped, and why."""

from __future__ import annotations

import html
from pathlib import Path

from medcost.core.contracts import FeatureChoice, FeatureSelection, read_contract

COLUMNS = ("feature", "kind", "std shift", "PSI", "top share", "kept", "reason")
"""The table's columns: the scores are train against the scoring snapshot; top share is of the training rows."""


def read_selection(path: Path) -> FeatureSelection | None:
    """The selection file, or None when the select stage has not written one."""
    return read_contract(path, FeatureSelection, made_by="select") if path.is_file() else None


def _number(value: float | None) -> str:
    if value is None:
        return "–"
    return "<0.001" if 0 < abs(value) < 0.0005 else f"{value:.3f}"


def reason(choice: FeatureChoice) -> str:
    """Why a feature is (or would be) dropped, with the score that decided it; empty when nothing."""
    words = {
        "std_shift": f"std shift {_number(choice.std_shift) if choice.std_shift is not None else '∞'}",
        "psi": f"PSI {_number(choice.psi)}",
        "constant": "constant",
        "quasi_constant": f"one value in {_number(choice.top_share)} of rows",
        "duplicate": f"duplicate of {choice.duplicate_of}",
    }
    return ", ".join(words[r] for r in choice.reasons)


def rows(selection: FeatureSelection) -> list[tuple[str, ...]]:
    """One row per input, dropped ones first (in the spec's order), then the kept ones."""
    order = [*selection.dropped, *selection.kept]
    out: list[tuple[str, ...]] = []
    for name in order:
        c = selection.features[name]
        out.append(
            (
                name,
                c.kind,
                _number(c.std_shift),
                _number(c.psi),
                _number(c.top_share),
                "yes" if c.kept else "no",
                reason(c),
            )
        )
    return out


def headline(selection: FeatureSelection) -> str:
    """One sentence: how many inputs were kept and dropped, under which limits."""
    t = selection.thresholds
    state = "" if selection.enabled else " Selection is off (select.enabled: false): every input is kept."
    return (
        f"{len(selection.kept)} of {len(selection.features)} model inputs kept, {len(selection.dropped)} dropped "
        f"(limits: std shift {t.max_std_shift}, PSI {t.max_psi}, one value in {t.quasi_constant_share} of the "
        f"training rows; {selection.train_rows} training rows against {selection.scoring_rows} scoring rows).{state}"
    )


def selection_markdown(selection: FeatureSelection | None) -> list[str]:
    """The report.md section's lines (without its heading)."""
    if selection is None:
        return ["No selection file in the workspace (run the pipeline: the select stage writes it)."]
    lines = [headline(selection), "", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows(selection)]
    return lines


def selection_html(selection: FeatureSelection) -> str:
    """The table as an HTML fragment (the pages wrap it in their offline page)."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows(selection)
    )
    return f"<p>{html.escape(headline(selection))}</p>\n<table><thead><tr>{head}</tr></thead>\n<tbody>{body}</tbody></table>"
