"""Extract readers side by side on one source: wall time and peak RSS of each, beside the database's bulk export, in one run.

    .venv/bin/python bench/bench_extract.py --source /work/scale/demo-1000000.db       # SQLite file (copied)
    .venv/bin/python bench/bench_extract.py --url postgresql+psycopg2://postgres@127.0.0.1:5432/db --baseline main

In a scratch copy of the repository (as ``bench_scale.py`` makes it) it copies the SQLite
``--source`` into it (or reads ``--url`` as it is), runs the fingerprint stage once, then, under
``/usr/bin/time -v``, the database's own bulk export of the claims table (``sqlite3 -csv`` or
``psql COPY``) and ``python -m stages.extract`` once per reader (``extract.reader`` set in the
copy's params.yaml) and, with ``--baseline REF``, the extract of that commit (its own code and
SQL, ``git archive`` into a folder of its own). ``--rounds`` repeats the set in turns, so a busy
shared machine slows every contender alike. Every extract's tables are compared with the first
one's (schema and values, exactly). Results: bench/results/extract-<db>-<clients>.json and a table;
ratio = bulk export seconds / extract seconds (the acceptance bar of issue 13 is >= 0.5).
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

import pyarrow.parquet as pq
from bench_scale import RESULTS, bulk_export, copy_source, extract_rows, scratch_copy, timed
from bench_transform import baseline_copy


def set_reader(work: Path, reader: str) -> None:
    """The copy's params.yaml with ``extract.reader`` set."""
    params = work / "params.yaml"
    text, count = re.subn(r"(\n  reader: )\w+", rf"\g<1>{reader}", params.read_text(), count=1)
    if count != 1:
        raise SystemExit(f"{params}: no extract.reader to set")
    params.write_text(text)


def same_tables(first: Path, other: Path) -> str | None:
    """None when both extract folders hold equal tables (schema and values), else what differs."""
    for path in sorted(first.glob("*.parquet")):
        a, b = pq.read_table(path), pq.read_table(other / path.name)
        if not a.schema.remove_metadata().equals(b.schema.remove_metadata()):
            return f"{path.name}: schema {b.schema} != {a.schema}"
        if not a.equals(b):
            return f"{path.name}: values differ ({b.num_rows} rows vs {a.num_rows})"
    return None


def run(url: str, db: str, work: Path, readers: list[str], baseline: str | None, rounds: int) -> dict[str, Any]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}", "CI": "1"}
    env["MEDCOST_SOURCE_URL"] = url
    python = sys.executable
    result: dict[str, Any] = {"database": db, "fingerprint": timed([python, "-m", "stages.fingerprint"], work, env)}
    contenders: dict[str, Path] = {}
    if baseline:
        folder = baseline_copy(baseline, work)
        (folder / "data").unlink()  # its own data/ (fingerprint, raw), the same source
        (folder / "data").mkdir()
        (folder / "data/source").symlink_to(work / "data/source")
        result["baseline_fingerprint"] = timed([python, "-m", "stages.fingerprint"], folder, env)
        contenders[f"baseline {baseline}"] = folder
    contenders.update({reader: work for reader in readers})
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in ["bulk export", *contenders]}
    first: Path | None = None
    for _ in range(rounds):
        runs["bulk export"].append(bulk_export(db, url, work, env))
        for name, folder in contenders.items():
            if folder == work:
                set_reader(work, name)
            row = timed([python, "-m", "stages.extract"], folder, env)
            raw = folder / "data/raw"
            if row["exit_code"] == 0:
                kept = work / f"raw-{len(runs[name])}-{name.replace(' ', '-')}"
                shutil.move(raw, kept)
                if first is None:
                    first = kept
                else:
                    row["same_tables"] = same_tables(first, kept) or "equal"
                    shutil.rmtree(kept)
            runs[name].append(row)
            failed = f"  failed (exit {row['exit_code']}): {row.get('error')}" if row["exit_code"] else ""
            print(f"{name:<20} {row['seconds']:>8.1f} s {row['peak_mb'] or 0:>8.1f} MB{failed}", flush=True)
    result["runs"] = runs
    export = statistics.median(r["seconds"] for r in runs["bulk export"])
    result["median"] = {
        name: {
            "seconds": statistics.median(r["seconds"] for r in rows),
            "peak_mb": max(r["peak_mb"] or 0 for r in rows),
            "ratio_vs_bulk_export": round(export / statistics.median(r["seconds"] for r in rows), 3),
        }
        for name, rows in runs.items()
        if all(r["exit_code"] == 0 for r in rows)
    }
    result.update(extract_rows(work))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--source", type=Path, help="a SQLite demo source, copied into the scratch folder")
    where.add_argument("--url", help="a PostgreSQL source's SQLAlchemy URL, read in place")
    parser.add_argument("--readers", default="sqlalchemy,auto", help="extract.reader values, comma-separated")
    parser.add_argument("--baseline", help="also time the extract of this commit (e.g. main)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--work", type=Path, help="scratch folder (default: a new temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="medcost-extract-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        scratch_copy(work)
        if args.source:
            db, (clients, _) = "sqlite", copy_source(args.source, work)
            url = f"sqlite:///{work / 'data/source/demo.db'}"
        else:
            db, url = "postgresql", args.url
            count = [
                "psql",
                "-At",
                "-d",
                re.sub(r"^postgresql\+\w+", "postgresql", url),
                "-c",
                "SELECT COUNT(*) FROM clients",
            ]
            clients = int(subprocess.run(count, capture_output=True, text=True, check=True).stdout)
        result = {"clients": clients, **run(url, db, work, args.readers.split(","), args.baseline, args.rounds)}
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"extract-{db}-{clients}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    for name, row in result["median"].items():
        print(f"{name:<20} {row['seconds']:>8.1f} s {row['peak_mb']:>8.1f} MB  ratio {row['ratio_vs_bulk_export']}")
    print(out)


if __name__ == "__main__":
    main()
