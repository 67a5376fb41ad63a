"""Transform engines side by side at one size: wall time and peak RSS of each, on the same extract, in one run.

    .venv/bin/python bench/bench_transform.py --clients 200000                  # duckdb vs pandas
    .venv/bin/python bench/bench_transform.py --clients 200000 --engines duckdb,spark
    .venv/bin/python bench/bench_transform.py --clients 20000 --baseline main   # and a commit's transform

In a scratch copy of the repository (as ``bench_scale.py`` makes it) it generates the demo
source at ``--clients``, runs the fingerprint and extract once, then ``python -m
stages.transform`` under ``/usr/bin/time -v`` once per engine (``transform.engine`` set in the
copy's params.yaml; ``duckdb:1GB`` also sets ``transform.duckdb.memory_limit``) and, with
``--baseline REF``, the transform of that commit (``git archive`` into a folder of its own,
reading the same extract); ``--raw DIR`` uses an earlier extract instead. ``--rounds`` repeats the set, in turns,
so that a busy shared machine slows every contender alike: compare the ratios, and the medians.
After each engine's run its feature table is compared with the first one's (every column;
floats within 1e-9 relative). Results: bench/results/transform-<clients>[-<tag>].json and a table.

``/usr/bin/time -v`` reports the peak RSS of the stage's Python process; Spark's JVM (a child of
it that outlives it by a moment) is not in that number. So every run is also sampled (psutil,
every 0.2 s): ``tree_peak_mb`` is the peak of the summed RSS of all the run's processes (Python
and, with Spark, its JVM), ``java_peak_mb`` that of the JVM alone.
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
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pandas as pd
import psutil
import yaml
from bench_scale import RESULTS, ROOT, scratch_copy, timed


def set_engine(work: Path, contender: str, base: str) -> None:
    """The copy's params.yaml: ``base`` with ``transform.engine`` (and, for ``duckdb:<limit>``, the memory limit) set."""
    params = work / "params.yaml"
    engine, _, limit = contender.partition(":")
    text, count = re.subn(r"(\n  engine: )\w+", rf"\g<1>{engine}", base, count=1)
    if limit:
        text, more = re.subn(r"(\n    memory_limit: )\S+", rf"\g<1>{limit}", text, count=1)
        count += more - 1
    if count != 1:
        raise SystemExit(f"{params}: no transform.engine (or transform.duckdb.memory_limit) to set")
    params.write_text(text)


def baseline_copy(ref: str, work: Path) -> Path:
    """The tracked files of commit ``ref`` in ``work/baseline``, reading the scratch copy's data/."""
    folder = work / "baseline"
    folder.mkdir()
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    (folder / "data").symlink_to(work / "data")
    return folder


class TreePeak:
    """The peak summed RSS of this process's descendants, sampled in a thread while the ``with`` block runs."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval, self.tree, self.java = interval, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            tree = java = 0
            for process in psutil.Process().children(recursive=True):
                try:
                    if process.name() == "time":  # /usr/bin/time itself
                        continue
                    rss = process.memory_info().rss
                    tree += rss
                    java += rss if process.name() == "java" else 0
                except psutil.Error:  # ended between the listing and the reading
                    continue
            self.tree, self.java = max(self.tree, tree), max(self.java, java)

    def __enter__(self) -> TreePeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()

    def row(self) -> dict[str, float]:
        return {"tree_peak_mb": round(self.tree / 2**20, 1), "java_peak_mb": round(self.java / 2**20, 1)}


def differences(reference: pd.DataFrame, other: pd.DataFrame) -> str | None:
    """None if the tables agree (exact, floats within 1e-9 relative), else what differs first."""
    if list(reference.columns) != list(other.columns) or len(reference) != len(other):
        return f"shape or columns differ: {reference.shape} vs {other.shape}"
    for column in reference.columns:
        a, b = reference[column], other[column]
        if a.dtype != b.dtype:
            return f"{column}: dtype {a.dtype} vs {b.dtype}"
        same = (
            np.isclose(a, b, rtol=1e-9, atol=0, equal_nan=True).all()
            if a.dtype.kind == "f"
            else a.reset_index(drop=True).equals(b.reset_index(drop=True))
        )
        if not same:
            return f"{column}: values differ"
    return None


def run(
    clients: int, engines: list[str], baseline: str | None, rounds: int, work: Path, raw: Path | None = None
) -> dict[str, Any]:
    scratch_copy(work)
    base = (work / "params.yaml").read_text()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}", "CI": "1"}
    env.pop("MEDCOST_SOURCE_URL", None)
    python = sys.executable
    url = f"sqlite:///{work / 'data/source/demo.db'}"
    result: dict[str, Any] = {"clients": clients, "machine": f"{os.cpu_count()} cores", "setup": {}, "runs": []}
    if raw:  # an earlier run's extract of this size (--raw): copied, not timed
        shutil.copytree(raw, work / yaml.safe_load(base)["paths"]["raw"])
        result["setup"]["raw"] = str(raw)
    else:
        result["setup"]["generate"] = timed(
            [python, "-m", "medcost.demo_data", "--url", url, "--clients", str(clients), "--no-progress"], work, env
        )
        for stage in ("fingerprint", "extract"):
            result["setup"][stage] = timed([python, "-m", f"stages.{stage}"], work, env)
            if result["setup"][stage]["exit_code"] != 0:
                return result
    result["claims"] = int(pd.read_parquet(work / "data/raw/claims.parquet", columns=["claim_id"]).shape[0])
    contenders: list[tuple[str, Path]] = [(engine, work) for engine in engines]
    if baseline:
        contenders.append((f"{baseline} (baseline)", baseline_copy(baseline, work)))
    features = work / yaml.safe_load((work / "params.yaml").read_text())["paths"]["features"]
    reference: pd.DataFrame | None = None
    for turn in range(rounds):
        for name, folder in contenders:
            if folder == work:
                set_engine(work, name, base)
            with TreePeak() as peak:
                row = {"contender": name, "round": turn + 1, **timed([python, "-m", "stages.transform"], folder, env)}
            row |= peak.row()
            if row["exit_code"] == 0 and turn == 0:
                table = pd.read_parquet(features)
                if reference is None:
                    reference = table
                row["differs_from_first"] = differences(reference, table)
            result["runs"].append(row)
            print(
                f"{name:<20} round {turn + 1}: {row['seconds']:>7.1f} s {row['peak_mb'] or 0:>8.1f} MB"
                f" (all processes {row['tree_peak_mb']:.1f} MB, JVM {row['java_peak_mb']:.1f} MB)",
                flush=True,
            )
    result["summary"] = summary(result["runs"])
    return result


def summary(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Median seconds and peak MB per contender, and each one's ratio to the first contender."""
    names = list(dict.fromkeys(r["contender"] for r in runs))
    out: dict[str, dict[str, float]] = {}
    for name in names:
        ok = [r for r in runs if r["contender"] == name and r["exit_code"] == 0]
        if ok:
            seconds = statistics.median(r["seconds"] for r in ok)
            peak = statistics.median(r["peak_mb"] for r in ok)
            tree = statistics.median(r.get("tree_peak_mb", 0.0) for r in ok)
            out[name] = {"median_seconds": round(seconds, 2), "median_peak_mb": round(peak, 1)}
            out[name]["median_tree_peak_mb"] = round(tree, 1)
    first = out.get(names[0]) if names else None
    for values in out.values():
        if first:
            values["seconds_vs_first"] = round(values["median_seconds"] / first["median_seconds"], 3)
            values["peak_vs_first"] = round(values["median_peak_mb"] / first["median_peak_mb"], 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=200_000)
    parser.add_argument(
        "--engines",
        default="duckdb,pandas",
        help="comma-separated transform.engine values; duckdb:<limit> also sets transform.duckdb.memory_limit",
    )
    parser.add_argument("--baseline", help="also time the transform of this git commit (e.g. main)")
    parser.add_argument("--rounds", type=int, default=1, help="times each contender runs, in turns")
    parser.add_argument("--raw", type=Path, help="use this folder's extract (clients.parquet, claims.parquet)")
    parser.add_argument("--tag", help="results file transform-<clients>-<tag>.json (default: transform-<clients>.json)")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a new temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="medcost-transform-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        result = run(args.clients, args.engines.split(","), args.baseline, args.rounds, work, args.raw)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"transform-{args.clients}{f'-{args.tag}' if args.tag else ''}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    for name, values in result.get("summary", {}).items():
        print(f"{name:<20} median {values['median_seconds']:>7.1f} s {values['median_peak_mb']:>8.1f} MB", end="")
        print(f" (all processes {values['median_tree_peak_mb']:.1f} MB)", end="")
        print(f"  ({values['seconds_vs_first']:.2f}x time, {values['peak_vs_first']:.2f}x memory of the first)")
    print(out)


if __name__ == "__main__":
    main()
