"""Progress of long steps: a bar on a terminal a person watches, nothing in CI, logs or DVC's background runs.

A stage's own log stays one line per step either way; the bar (tqdm on stderr) is drawn only
when stderr is a terminal and neither ``CI`` nor ``MEDCOST_PROGRESS=off`` is set, and it is
cleared when the step ends, so a terminal shows the same lines as a log file afterwards.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
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
    from tqdm.contrib.logging import logging_redirect_tqdm

    with logging_redirect_tqdm():  # a log line during the step is written above the bar, not through it
        yield from tqdm(items, desc=desc, total=total, leave=False, file=sys.stderr, dynamic_ncols=True)


@contextmanager
def counting(desc: str, total: int | None = None, unit: str = "rows") -> Iterator[Callable[[int], object]]:
    """A counter named ``desc`` (a bar when ``total`` is known): call the yielded ``advance(n)`` as work is done."""
    if not showing_progress():
        yield lambda n: None
        return
    from tqdm import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    options = {"unit": unit, "unit_scale": True, "leave": False, "file": sys.stderr, "dynamic_ncols": True}
    with logging_redirect_tqdm(), tqdm(desc=desc, total=total, **options) as bar:
        yield bar.update


@contextmanager
def waiting(desc: str, every: float = 0.5) -> Iterator[None]:
    """A clock named ``desc`` for one step that cannot count its work (a heavy import, loading a model)."""
    if not showing_progress():
        yield
        return
    from tqdm import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    done = threading.Event()
    with logging_redirect_tqdm(), tqdm(desc=desc, bar_format="{desc}: {elapsed}", leave=False, file=sys.stderr) as bar:

        def tick() -> None:
            while not done.wait(every):
                bar.refresh()

        clock = threading.Thread(target=tick, daemon=True)
        clock.start()
        try:
            yield
        finally:
            done.set()
            clock.join()
