"""The pipeline at an insurer's size: every stage as its own process, wall time and peak RSS, beside the database's bulk export.

    make bench-scale CLIENTS=1000000                  # SQLite (the demo source)
    make bench-scale CLIENTS=1000000 DB=postgresql    # PostgreSQL at MEDCOST_BENCH_PG_URL
    python bench/bench_scale.py --source /work/scale/demo-1000000.db  # reuse a generated SQLite source
    python bench/bench_scale.py --clients 5000000 --work W --again validate,evaluate  # after a change, in a kept run

In a scratch copy of the repository (``--work``, default a temporary folder, removed unless
``--keep``) it generates the demo source at ``--clients`` (or copies the SQLite file ``--source``
and the ``truth-*.parquet`` beside it, and counts its clients), then runs each stage of dvc.yaml in
order as ``/usr/bin/time -v python -m stages.<name>`` (as ``dvc repro`` runs it: a fresh
process, imports included) and, in the same run, the database's own bulk export of the claims
table (``sqlite3 -csv``, or ``COPY ... TO STDOUT`` through psql) for the extract to be compared
with. A stage that fails (out of memory, say) ends the run and is recorded with its error.
Results: one JSON file per database and size in bench/results/ (``scale-<db>-<clients>.json``)
and a table on stdout. The scratch copy allows a champion from its untracked tree and publishes
predictions despite drift (``promote.allow_uncommitted``, ``predict.allow_drift``), so every
stage does its full work.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PG_URL = os.environ.get("MEDCOST_BENCH_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


def timed(command: list[str], cwd: Path, env: dict[str, str], stdout: Any = subprocess.DEVNULL) -> dict[str, Any]:
    """Run ``command`` under ``/usr/bin/time -v``; its wall seconds, peak RSS (MB), exit code and last error line."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        process = subprocess.run(
            ["/usr/bin/time", "-v", "-o", report.name, *command],
            cwd=cwd,
            env=env,
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
        )
        text = Path(report.name).read_text()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text)
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    seconds = 0.0
    for part in (wall.group(1) if wall else "0").split(":"):
        seconds = seconds * 60 + float(part)
    errors = [line for line in process.stderr.splitlines() if line.startswith("error:")]
    row: dict[str, Any] = {
        "seconds": round(seconds, 2),
        "peak_mb": round(int(peak.group(1)) / 1024, 1) if peak else None,
        "exit_code": process.returncode,
    }
    if process.returncode != 0:
        row["error"] = errors[-1] if errors else (process.stderr.strip().splitlines() or ["(no output)"])[-1]
    return row


def stage_names() -> list[str]:
    """The stages of dvc.yaml, in its order (which is a valid run order)."""
    return list(yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"])


OUTPUTS = ("dvc.lock", "metrics/", "plots/", "dvclive/", "reports/")
"""Tracked files a run writes: an earlier run's (``--again``) are its own, not the repository's."""


def scratch_copy(work: Path, code_only: bool = False) -> None:
    """The tracked files of the repository, copied into ``work`` (no data, no registry; ``code_only``: no outputs)."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in files.splitlines():
        if code_only and name.startswith(OUTPUTS):
            continue
        source = ROOT / name
        if source.is_file():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, work / name)
    params = work / "params.yaml"
    text = params.read_text()
    for key in ("allow_uncommitted", "allow_drift"):
        text = re.sub(rf"(\n  {key}: )false", r"\1true", text)
    params.write_text(text)


def bulk_export(db: str, url: str, work: Path, env: dict[str, str]) -> dict[str, Any]:
    """The database's own CSV export of the claims table, timed like a stage (output to a file in ``work``)."""
    with open(work / "claims_export.csv", "w") as out:
        if db == "sqlite":
            command = ["sqlite3", "-csv", str(work / "data/source/demo.db"), "SELECT * FROM claims"]
        else:
            from sqlalchemy.engine import make_url

            parsed = make_url(url)
            command = [
                "psql",
                "-h",
                str(parsed.host or "127.0.0.1"),
                "-p",
                str(parsed.port or 5432),
                "-U",
                str(parsed.username or "postgres"),
                "-d",
                str(parsed.database),
                "-c",
                "COPY claims TO STDOUT WITH (FORMAT csv)",
            ]
        row = timed(command, work, env, stdout=out)
    row["mb"] = round((work / "claims_export.csv").stat().st_size / 1e6, 1)
    (work / "claims_export.csv").unlink()
    return row


def postgres_database(clients: int, fresh: bool = True) -> str:
    """The PostgreSQL database for this size (dropped and created again when ``fresh``); its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"medcost_bench_{clients}"
    if fresh:
        engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def copy_source(source: Path, work: Path) -> tuple[int, dict[str, Any]]:
    """Copy an existing SQLite demo source (and its truth file, if beside it) into ``work``; its clients and the copy's timing."""
    import sqlite3

    target = work / "data/source/demo.db"
    target.parent.mkdir(parents=True, exist_ok=True)
    row = timed(["cp", str(source), str(target)], work, dict(os.environ))
    truth = source.with_name(source.name.replace("demo", "truth", 1)).with_suffix(".parquet")
    if truth != source and truth.exists():
        shutil.copy2(truth, work / "data/source/truth.parquet")
    with sqlite3.connect(f"file:{target}?mode=ro", uri=True) as conn:
        clients = int(conn.execute("SELECT COUNT(*) FROM clients").fetchone()[0])
    return clients, row


def run(clients: int, db: str, work: Path, source: Path | None = None, reuse: bool = False) -> dict[str, Any]:
    scratch_copy(work)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}", "CI": "1"}
    env.pop("MEDCOST_SOURCE_URL", None)
    url = f"sqlite:///{work / 'data/source/demo.db'}" if db == "sqlite" else postgres_database(clients, not reuse)
    if db != "sqlite":
        env["MEDCOST_SOURCE_URL"] = url
    python = sys.executable
    if source is not None:
        clients, generate = copy_source(source, work)
    elif reuse:  # a PostgreSQL source generated earlier at this size (bench_generate times the generator)
        generate = {"reused": True, "exit_code": 0}
    else:
        generate = timed(
            [python, "-m", "medcost.demo_data", "--url", url, "--clients", str(clients), "--no-progress"], work, env
        )
    result: dict[str, Any] = {
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GiB",
        "database": db,
        "clients": clients,
        ("copy_source" if source else "generate"): generate,
        "stages": {},
    }
    if generate["exit_code"] != 0:
        return result
    result["bulk_export_claims"] = bulk_export(db, url, work, env)
    for name in stage_names():
        row = result["stages"][name] = timed([python, "-m", f"stages.{name}"], work, env)
        print(f"{name:<18} {row['seconds']:>9.1f} s {row['peak_mb'] or 0:>9.1f} MB", flush=True)
        if row["exit_code"] != 0:
            break
    extract = result["stages"].get("extract", {})
    if extract.get("exit_code") == 0 and extract["seconds"] > 0:
        result["extract_speed_vs_bulk_export"] = round(result["bulk_export_claims"]["seconds"] / extract["seconds"], 3)
    result.update(extract_rows(work))
    return result


def extract_rows(work: Path) -> dict[str, Any]:
    """``{"rows": {table: rows}}`` from the copy's metrics/extract.json, or nothing before an extract."""
    metrics = work / "metrics/extract.json"
    if not metrics.exists():
        return {}
    return {"rows": {t: v["rows"] for t, v in json.loads(metrics.read_text())["tables"].items()}}


def again(clients: int, db: str, work: Path | None, names: list[str]) -> None:
    """Run ``names`` again in the scratch folder ``work`` of an earlier run, updating its results file."""
    out = RESULTS / f"scale-{db}-{clients}.json"
    if work is None or not (work / "data").is_dir() or not out.exists():
        raise SystemExit(f"--again needs --work, the kept scratch folder of an earlier run, and {out}")
    unknown = sorted(set(names) - set(stage_names()))
    if unknown:
        raise SystemExit(f"--again: no stage {', '.join(unknown)} in dvc.yaml")
    scratch_copy(work, code_only=True)  # this checkout's code and params over the earlier run's, its outputs kept
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}", "CI": "1"}
    if db != "sqlite":
        env["MEDCOST_SOURCE_URL"] = postgres_database(clients, fresh=False)
    result = json.loads(out.read_text())
    for name in [n for n in stage_names() if n in names]:
        row = result["stages"][name] = {
            **timed([sys.executable, "-m", f"stages.{name}"], work, env),
            "remeasured": True,
        }
        print(f"{name:<18} {row['seconds']:>9.1f} s {row['peak_mb'] or 0:>9.1f} MB (again)", flush=True)
    result["stages"] = {n: result["stages"][n] for n in stage_names() if n in result["stages"]}
    out.write_text(json.dumps(result, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a new temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--source", type=Path, help="an existing SQLite demo source to copy instead of generating one")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="PostgreSQL only: the database medcost_bench_<clients> was generated earlier",
    )
    parser.add_argument(
        "--again",
        help="comma-separated stages to run again in the kept scratch folder --work (with this checkout's code and "
        "params), replacing their rows in the results file (marked remeasured)",
    )
    args = parser.parse_args()
    if args.again:
        again(args.clients, args.db, args.work, args.again.split(","))
        return
    if args.source and args.db != "sqlite":
        parser.error("--source is a SQLite file: use it with --db sqlite")
    work = args.work or Path(tempfile.mkdtemp(prefix="medcost-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if args.reuse and args.db != "postgresql":
            parser.error("--reuse: only with --db postgresql (SQLite: --source)")
        result = run(args.clients, args.db, work, args.source, args.reuse)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"scale-{args.db}-{result['clients']}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    export = result.get("bulk_export_claims", {})
    print(f"{'bulk export':<18} {export.get('seconds', 0):>9.1f} s {export.get('peak_mb') or 0:>9.1f} MB  ({out})")


if __name__ == "__main__":
    main()
