"""Fault injection for crash tests: ``MEDCOST_FAULT=<stage>:<point>`` kills the process (SIGKILL) at that point.

A stage marks the places where a crash would leave something half done with
:func:`crash_point` (each stage's module lists its points, e.g. ``promote:after_register`` in
:mod:`medcost.promote.registry`). A test sets the variable, runs the stage as a subprocess,
sees it die there with no chance to clean up (as with ``kill -9`` or a power cut) and checks
that a rerun repairs everything. With the variable unset, as always outside such tests, a
point does nothing.
"""

from __future__ import annotations

import logging
import os
import signal

log = logging.getLogger(__name__)

FAULT_ENV = "MEDCOST_FAULT"


def crash_point(stage: str, point: str) -> None:
    """Kill this process now if ``MEDCOST_FAULT`` names ``<stage>:<point>``; otherwise do nothing."""
    if os.environ.get(FAULT_ENV, "").strip() != f"{stage}:{point}":
        return
    log.warning("%s=%s:%s: killing the process (fault injection)", FAULT_ENV, stage, point)
    for handler in logging.getLogger().handlers:
        handler.flush()
    os.kill(os.getpid(), signal.SIGKILL)
