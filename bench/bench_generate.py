"""Benchmark the demo-data generator: wall time and peak memory at each given size.

    python bench/bench_generate.py --clients 1000000 5000000
    python bench/bench_generate.py --clients 1000000 --baseline main    # old and new side by side
    python bench/bench_generate.py --clients 100000 --realism bench/results/calibration.json

Each run is a fresh child process under ``/usr/bin/time -v`` (wall time and peak RSS of the
whole process, imports included; ``ru_maxrss`` if that tool is missing) into a temporary
SQLite file that is deleted afterwards (unless ``--keep DIR``). ``--baseline REF`` also runs
the generator of that git revision (``git archive`` into a temporary directory) before each
size, so old and new are measured under the same load. One JSON line per run is printed and
appended to ``--out`` (default bench/results/generate.json): code, clients, claim rows,
client-years, seconds, peak MB, database MB, load average before and after.
``--realism FILE`` also writes the realism report (MEPS comparison, R-squared) of the last run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _child(args: argparse.Namespace) -> None:
    """Run the generator in this process and print one JSON line."""
    sys.path.insert(0, args.code)
    from medcost.demo_data import generate

    def rss_mb() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    after_imports = rss_mb()
    started = time.perf_counter()
    summary = generate(
        f"sqlite:///{args.db}",
        clients=args.clients,
        first_year=args.first_year,
        years=args.years,
        seed=args.seed,
        truth_path=args.truth,
        chunk_clients=args.chunk_clients,
        progress=False,
    )
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "clients": summary["clients"],
                "claims": summary["claims"],
                "client_years": summary["client_years"],
                "seconds": round(seconds, 1),
                "claims_per_second": round(summary["claims"] / seconds),
                "peak_mb": round(rss_mb(), 1),
                "mb_after_imports": round(after_imports, 1),
                "db_mb": round(os.path.getsize(args.db) / 2**20, 1),
                "truth_mb": round(os.path.getsize(args.truth) / 2**20, 1),
            }
        )
    )


TIME = "/usr/bin/time"


def _run(args: argparse.Namespace, code: Path, clients: int, db: Path, truth: Path) -> dict:
    """Generate ``clients`` with the generator under ``code`` in a child process; its JSON result."""
    command = [
        sys.executable,
        __file__,
        "--child",
        "--code",
        str(code),
        "--db",
        str(db),
        "--truth",
        str(truth),
        "--clients",
        str(clients),
        "--years",
        str(args.years),
        "--first-year",
        str(args.first_year),
        "--seed",
        str(args.seed),
        "--chunk-clients",
        str(args.chunk_clients),
    ]
    timed = os.access(TIME, os.X_OK)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    done = subprocess.run([TIME, "-v", *command] if timed else command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-3000:])
        raise SystemExit(f"the generator ({code}) failed at {clients} clients (exit {done.returncode})")
    wall = time.perf_counter() - started
    result = json.loads(done.stdout.strip().splitlines()[-1])
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr) if timed else None
    result.update(
        wall_seconds=round(wall, 1),
        process_peak_mb=round(int(peak.group(1)) / 1024, 1) if peak else result["peak_mb"],
        load_before=round(load_before, 2),
        load_after=round(os.getloadavg()[0], 2),
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1_000_000], help="one run per size")
    parser.add_argument("--baseline", help="git revision whose generator also runs, before each size")
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--first-year", type=int, default=2021)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--chunk-clients", type=int, default=50_000)
    parser.add_argument(
        "--out",
        default=str(ROOT / "bench" / "results" / "generate.json"),
        help="JSON-lines file the results are appended to",
    )
    parser.add_argument("--realism", help="also write the realism report of the last run's data to this JSON file")
    parser.add_argument("--keep", help="keep the last database and truth in this directory")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--code", default=str(ROOT), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--truth", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.clients = args.clients[0]
        _child(args)
        return

    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_generate."))
    workdir.mkdir(parents=True, exist_ok=True)
    db, truth = workdir / "demo.db", workdir / "truth.parquet"
    scratch = Path(tempfile.mkdtemp(prefix="bench_generate_code."))
    try:
        codes = [("working tree", ROOT)]
        if args.baseline:
            archive = subprocess.run(
                ["git", "-C", str(ROOT), "archive", args.baseline, "medcost"], check=True, stdout=subprocess.PIPE
            )
            subprocess.run(["tar", "-x", "-C", str(scratch)], input=archive.stdout, check=True)
            codes.insert(0, (args.baseline, scratch))
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        for clients in args.clients:
            for name, code in codes:
                result = _run(args, code, clients, db, truth)
                result.update(
                    code=name,
                    years=args.years,
                    seed=args.seed,
                    chunk_clients=args.chunk_clients,
                    cpus=os.cpu_count(),
                    python=platform.python_version(),
                    when=time.strftime("%Y-%m-%dT%H:%M:%S"),
                )
                line = json.dumps(result)
                print(line, flush=True)
                with out.open("a") as fh:
                    fh.write(line + "\n")
        if args.realism:
            sys.path.insert(0, str(ROOT))
            from medcost.demo_data import realism_report

            report = {
                "clients": args.clients[-1],
                "years": args.years,
                "seed": args.seed,
                **realism_report(f"sqlite:///{db}", truth),
            }
            Path(args.realism).parent.mkdir(parents=True, exist_ok=True)
            Path(args.realism).write_text(json.dumps(report, indent=2) + "\n")
            print(json.dumps(report))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
