"""``dvc repro`` at the default size, this tree against an earlier revision, side by side in one run.

    make bench-repro                       # against BASELINE (default: 9d865c6, before the scale work)
    .venv/bin/python bench/bench_repro.py --baseline <rev> --rounds 3 --clients 20000

Each contender is a fresh ``git clone`` of this repository (the working tree's committed
state, or ``--baseline``), in a scratch folder, reading one copy each of the same demo source.
Round 1 runs ``dvc repro`` from nothing; every later round ``dvc repro -f``. The contenders take
turns within each round, so a change in the machine's load touches both. The clones allow a
champion from their untracked tree and predictions despite drift, as bench_scale's copy does.
Results: bench/results/repro-<clients>.json (seconds and peak RSS per round and contender, the
median ratio) and a table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench_scale import RESULTS, ROOT, timed

BASELINE = "9d865c6"
"""The last commit before the scale work (DuckDB transform, progress, MLflow runs per model)."""


def clone(rev: str, work: Path, source: Path, env: dict[str, str]) -> None:
    """A clone of the repository at ``rev`` in ``work``, with the demo source and the bench's params."""
    subprocess.run(["git", "clone", "-q", str(ROOT), str(work)], check=True)
    subprocess.run(["git", "checkout", "-q", rev], cwd=work, check=True)
    (work / "data/source").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, work / "data/source/demo.db")
    params = work / "params.yaml"
    text = params.read_text()
    for key in ("allow_uncommitted", "allow_drift"):
        text = re.sub(rf"(\n  {key}: )false", r"\1true", text)
    params.write_text(text)


def generate_source(work: Path, env: dict[str, str], *options: str) -> Path:
    """The demo source ``work/demo.db`` (and its truth, ``work/truth.parquet``), generated with ``options`` over
    params.yaml's ``demo`` section; its path."""
    source = work / "demo.db"
    command = [sys.executable, "-m", "medcost.demo_data", "--url", f"sqlite:///{source}", "--no-progress"]
    generated = timed([*command, "--truth", str(work / "truth.parquet"), *options], ROOT, env)
    if generated["exit_code"] != 0:
        raise SystemExit(f"generating the source failed: {generated.get('error')}")
    return source


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE, help=f"revision to compare with (default {BASELINE})")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--work", type=Path, help="scratch folder (default: a new temporary folder, removed)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="medcost-repro-"))
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "CI": "1"}
    env.pop("MEDCOST_SOURCE_URL", None)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    contenders = {"head": head.stdout.strip(), "baseline": args.baseline}
    try:
        source = generate_source(work, env, "--clients", str(args.clients))
        for name, rev in contenders.items():
            clone(rev, work / name, source, env)
        rounds: list[dict[str, Any]] = []
        for number in range(args.rounds):
            command = [str(bin_dir / "dvc"), "repro", *(["-f"] if number else [])]
            row = {name: timed(command, work / name, env) for name in contenders}
            rounds.append(row)
            print(
                " ".join(f"{name} {r['seconds']:>7.1f} s {r['peak_mb'] or 0:>7.1f} MB" for name, r in row.items()),
                flush=True,
            )
            failed = [f"{name}: {r['error']}" for name, r in row.items() if r["exit_code"] != 0]
            if failed:
                raise SystemExit("dvc repro failed: " + "; ".join(failed))
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    ratios = [r["head"]["seconds"] / r["baseline"]["seconds"] for r in rounds]
    result = {
        "clients": args.clients,
        "contenders": contenders,
        "rounds": rounds,
        "ratio_head_to_baseline": [round(r, 3) for r in ratios],
        "median_ratio": round(statistics.median(ratios), 3),
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"repro-{args.clients}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"head / baseline: median {result['median_ratio']} over {args.rounds} rounds ({out})")


if __name__ == "__main__":
    main()
