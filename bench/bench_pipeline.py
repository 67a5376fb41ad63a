"""Time each pipeline stage (wall seconds, peak memory) on the data currently configured.

Runs `python -m stages.<name>` in a fresh process per stage, as `dvc repro` does, so the
times include imports. Usage, from the repository root after `make data`:

    .venv/bin/python bench/bench_pipeline.py                  # extract transform load
    .venv/bin/python bench/bench_pipeline.py extract transform

Writes bench/results/pipeline.json.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

DEFAULT_STAGES = ["extract", "transform", "load"]
RESULTS = Path(__file__).parent / "results" / "pipeline.json"


def run_stage(name: str) -> dict[str, float | str]:
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", f"stages.{name}"], stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"stage {name} failed; run `python -m stages.{name}` to see why")
    return {"stage": name, "seconds": round(seconds, 2), "peak_mb": round(usage.ru_maxrss / 1024, 1)}


def main() -> None:
    stages = sys.argv[1:] or DEFAULT_STAGES
    rows = [run_stage(name) for name in stages]
    for row in rows:
        print(f"{row['stage']:<16} {row['seconds']:>8.2f} s {row['peak_mb']:>8.1f} MB")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "machine": f"{platform.machine()} {os.cpu_count()} cores",
                "source": os.environ.get("MEDCOST_SOURCE_URL", "demo").split("://")[0],
                "stages": rows,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
