"""Progress of long steps: a bar on a terminal a person watches, nothing in CI, logs or DVC's background runs.

A stage's own log stays one line per step either way; the bar (tqdm on stderr) is drawn only
when stderr is a terminal and neither ``CI`` nor ``MEDCOST_PROGRESS=off`` is set, and it is
cleared when the step ends, so a terminal shows the same lines as a log file afterwards.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import TextIO, TypeVar

T = TypeVar("T")
OFF = {"0", "false", "no", "off"}


def showing_progress(stream: TextIO | None = None) -> bool:
    """Whether progress bars are drawn: a terminal, not CI, not switched off."""
    if os.environ.get("MEDCOST_PROGRESS", "").strip().lower() in OFF or os.environ.get("CI"):
        return False
    stream = sys.stderr if stream is None else stream
    return bool(getattr(stream, "isatty", lambda: False)())


def steps(items: Iterable[T], desc: str, total: int | None = None) -> Iterator[T]:
    """Iterate ``items``, with a progress bar named ``desc`` when :func:`showing_progress`."""
    if not showing_progress():
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, desc=desc, total=total, leave=False, file=sys.stderr, dynamic_ncols=True)
