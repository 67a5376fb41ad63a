"""The run log: timings, clock times and hosts of each run, appended to an untracked file, never versioned.

``logs/runs.jsonl`` (``paths.run_log``) is gitignored and no stage depends on it, so what
changes from run to run never reaches metrics, dvc.lock-tracked outputs or git. Writing it
is best effort: a full disk or a read-only folder never fails a stage.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_RUN_LOG = Path("logs/runs.jsonl")
"""Where the log goes when a caller has no catalog (the default of ``paths.run_log``)."""


def record(event: str, path: str | Path = DEFAULT_RUN_LOG, **details: Any) -> None:
    """Append one JSON line: the event, UTC time, host, process id and ``details`` (e.g. seconds)."""
    line = {
        "event": event,
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        **details,
    }
    try:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, sort_keys=True, default=str) + "\n")
    except OSError as exc:
        log.debug("run log %s not written: %s", path, exc)
