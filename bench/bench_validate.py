"""The validate stage of a baseline commit and of the working tree side by side, on the same prepared data, in one run.

    .venv/bin/python bench/bench_validate.py --work /work/scale/me/repo --baseline main

``--work`` is a scratch copy of the repository in which fingerprint, extract, transform and
load already ran (``MEDCOST_SOURCE_URL`` set as for them): validate reads its ``data/``. Each
contender's code (``git archive`` of ``--baseline``; the working tree's tracked files) goes to
a folder of its own and runs as ``python -m stages.validate`` with ``cwd=--work``, its own
params.yaml and ``PYTHONPATH`` at its code, under ``/usr/bin/time -v``, after the published
state is reset (so each does a first snapshot's full work). ``--rounds`` repeats the pair, in
turns, so that a busy shared machine slows both alike. The contenders' outputs must be equal:
metrics/validate.json, the published receipt (with the profile, compared exactly) and every
Data Docs page. Results: bench/results/validate-<clients>.json and a table.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench_scale import RESULTS, ROOT, timed

OUTPUTS = ("metrics/validate.json", "data/lakehouse/client_features.published.json", "reports/data_docs")
RESET = ("data/lakehouse", "reports/data_docs", "metrics/validate.json", "data/tmp")


def code_copy(ref: str | None, folder: Path) -> Path:
    """``ref``'s tracked files (None: the working tree's) in ``folder``."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    if ref is not None:
        archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
        return folder
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in files.splitlines():
        if (ROOT / name).is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, folder / name)
    return folder


def run(work: Path, code: Path, keep: Path) -> dict[str, Any]:
    """One validate of ``code`` on ``work``'s data; its outputs are kept in ``keep``."""
    for name in RESET:
        target = work / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    shutil.copy2(code / "params.yaml", work / "params.yaml")
    env = {**os.environ, "PYTHONPATH": str(code), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    # -P: not the copy's own code from cwd, the contender's (PYTHONPATH)
    row = timed([sys.executable, "-P", "-m", "stages.validate"], cwd=work, env=env)
    if keep.exists():
        shutil.rmtree(keep)
    for name in OUTPUTS:
        source, target = work / name, keep / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        elif source.exists():
            shutil.copy2(source, target)
    return row


def same_tree(a: Path, b: Path) -> bool:
    compared = filecmp.dircmp(a, b)
    if compared.left_only or compared.right_only or compared.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, compared.common_files, shallow=False)
    return not mismatch and not errors and all(same_tree(a / d, b / d) for d in compared.common_dirs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="a scratch copy where load already ran")
    parser.add_argument("--baseline", default="main", help="the commit to compare with (default main)")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    work = args.work.resolve()
    codes = {
        f"baseline ({args.baseline})": code_copy(args.baseline, work / ".bench" / "baseline"),
        "working tree": code_copy(None, work / ".bench" / "tree"),
    }
    runs: list[dict[str, Any]] = []
    for round_ in range(args.rounds):
        for name, code in codes.items():
            row = {"contender": name, "round": round_, **run(work, code, work / ".bench" / f"out-{len(runs)}")}
            runs.append(row)
            print(json.dumps(row), flush=True)
    first = work / ".bench" / "out-0"
    equal = all(same_tree(first, work / ".bench" / f"out-{i}") for i in range(1, len(runs)))
    extract = json.loads((work / "metrics" / "extract.json").read_text())
    clients = extract["tables"]["clients"]["rows"]
    result = {"clients": clients, "claims": extract["tables"]["claims"]["rows"], "outputs_equal": equal, "runs": runs}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"validate-{clients}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'contender':<24} {'round':>5} {'seconds':>8} {'peak MB':>8} exit")
    for row in runs:
        print(f"{row['contender']:<24} {row['round']:>5} {row['seconds']:>8} {row['peak_mb']:>8} {row['exit_code']}")
    print(f"outputs equal (validate.json, published receipt and profile, Data Docs): {equal}")
    if not equal or any(row["exit_code"] for row in runs):
        sys.exit(1)


if __name__ == "__main__":
    main()
