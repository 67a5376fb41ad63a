"""Benchmark the demo-data generator: wall time and peak memory at a given size.

    python bench/bench_generate.py --clients 1000000
    python bench/bench_generate.py --clients 100000 --realism bench/results/calibration.json

The generator runs in a fresh child process (so the peak RSS is the generator's alone)
into a temporary SQLite file that is deleted afterwards (unless ``--keep DIR``). One JSON
line per run is printed and appended to ``--out`` (default bench/results/generate.json):
clients, claim rows, client-years, seconds, rows per second, peak MB, database MB.
``--realism FILE`` also writes the realism report (MEPS comparison, R-squared) of that run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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
    sys.path.insert(0, str(ROOT))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--first-year", type=int, default=2021)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--chunk-clients", type=int, default=50_000)
    parser.add_argument(
        "--out",
        default=str(ROOT / "bench" / "results" / "generate.json"),
        help="JSON-lines file the result is appended to",
    )
    parser.add_argument("--realism", help="also write the realism report of the generated data to this JSON file")
    parser.add_argument("--keep", help="keep the database and truth in this directory")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--truth", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return

    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_generate."))
    workdir.mkdir(parents=True, exist_ok=True)
    db, truth = workdir / "demo.db", workdir / "truth.parquet"
    try:
        command = [
            sys.executable,
            __file__,
            "--child",
            "--db",
            str(db),
            "--truth",
            str(truth),
            "--clients",
            str(args.clients),
            "--years",
            str(args.years),
            "--first-year",
            str(args.first_year),
            "--seed",
            str(args.seed),
            "--chunk-clients",
            str(args.chunk_clients),
        ]
        done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        result.update(
            years=args.years,
            seed=args.seed,
            chunk_clients=args.chunk_clients,
            children_peak_mb=round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
            cpus=os.cpu_count(),
            python=platform.python_version(),
            when=time.strftime("%Y-%m-%dT%H:%M:%S"),
        )
        line = json.dumps(result)
        print(line)
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("a") as fh:
            fh.write(line + "\n")
        if args.realism:
            sys.path.insert(0, str(ROOT))
            from medcost.demo_data import realism_report

            report = {
                "clients": args.clients,
                "years": args.years,
                "seed": args.seed,
                **realism_report(f"sqlite:///{db}", truth),
            }
            Path(args.realism).parent.mkdir(parents=True, exist_ok=True)
            Path(args.realism).write_text(json.dumps(report, indent=2) + "\n")
            print(json.dumps(report))
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
