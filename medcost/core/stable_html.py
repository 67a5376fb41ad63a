"""Stable HTML reports: random element ids renamed in order of appearance, so the same data gives the same bytes.

Reports written by libraries (deepchecks, plotly, pandas' Styler, Great Expectations' Data Docs)
name elements with random tokens. The reports are DVC outs: a random byte would change
dvc.lock on every rerun. Each distinct token is renamed consistently within the page.
"""

from __future__ import annotations

import re

RANDOM_IDS = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # uuids (plotly divs, Data Docs sections)
    r"|(?<=_)[A-Z0-9]{25}(?![A-Za-z0-9])"  # deepchecks' section ids
    r"|(?<=\bT_)[0-9a-f]{5}(?![0-9a-z])"  # pandas Styler table ids
)


def stable_ids(page: str) -> str:
    """``page`` with each random element id replaced, consistently, by one numbered in order of appearance."""
    names: dict[str, str] = {}

    def rename(match: re.Match[str]) -> str:
        token = match.group(0)
        if token not in names:
            number = len(names)
            if "-" in token:
                names[token] = f"00000000-0000-4000-8000-{number:012d}"
            elif len(token) == 25:
                names[token] = f"ID{number:023d}"
            else:
                names[token] = f"s{number:04d}"
        return names[token]

    return RANDOM_IDS.sub(rename, page)
