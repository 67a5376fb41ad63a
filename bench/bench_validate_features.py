"""The features suite alone, on pandas (the staged version read into a frame) and in DuckDB (the version as an Arrow dataset).

    .venv/bin/python bench/bench_validate_features.py --work /path/scratch

``--work`` is a scratch copy of the repository in which fingerprint, extract, transform and
load already ran: its params.yaml names the staged Delta table and its load receipt. Each
contender runs as its own process under ``/usr/bin/time -v`` (``--one pandas|duckdb``, imports
included): ``pandas`` reads the staged version as validate did (``staged_dataset`` and ``to_frame``: the lakehouse's
frame, sorted by the key) and runs the suite on Great Expectations' pandas engine; ``duckdb``
opens the same version as a pyarrow dataset (``DeltaTable(...).to_pyarrow_dataset()``) and runs
it through :func:`medcost.validate.features_table` in DuckDB under ``validate.duckdb``. Their
reports and Data Docs must be equal. Results: bench/results/validate-features-<clients>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from bench_scale import RESULTS, ROOT, timed
from bench_validate import same_tree

ON = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def one(contender: str, out: Path) -> None:
    """Run the features suite once (in this process) and write its report and Data Docs to ``out``."""
    import yaml

    from medcost import validate
    from medcost.core.catalog import Catalog
    from medcost.core.contracts import ExtractMetrics, LoadReceipt, read_contract
    from medcost.core.duck import connect
    from medcost.core.params import ExtractParams, LoadParams, TransformParams, ValidateParams, section

    params = yaml.safe_load(Path("params.yaml").read_text())
    catalog = Catalog.from_params(params)
    extract, transform = section(params, "extract", ExtractParams), section(params, "transform", TransformParams)
    cfg = section(params, "validate", ValidateParams)
    extracted = read_contract(catalog.extract_metrics, ExtractMetrics)
    started = time.perf_counter()
    con = connect(cfg.duckdb)
    if contender == "pandas":
        import pandas as pd

        from medcost.load import open_staging, staged_dataset, to_frame

        receipt, staged = staged_dataset(
            catalog.load_receipt, open_staging(section(params, "load", LoadParams), catalog.staging)
        )
        frame = to_frame(staged, receipt.key)
        target = pd.to_numeric(frame[transform.target], errors="coerce")
        observed = {q: float(target.quantile(q)) for q in cfg.target.quantiles}
        clients = extracted.tables["clients"].rows
        suite = validate.features_suite(extract, transform, cfg, receipt.rows, clients, observed)
        batch = validate.Batch("features", validate.typed_frame(frame, validate.feature_kinds(transform)), suite)
    else:
        from deltalake import DeltaTable

        receipt = read_contract(catalog.load_receipt, LoadReceipt)
        data = DeltaTable(str(catalog.staging), version=receipt.version).to_pyarrow_dataset()
        table = validate.features_table(con, transform, data)
        batch = validate.features_batch(extract, transform, cfg, table, receipt, extracted)
    read = time.perf_counter() - started
    report = validate.run_suites([batch], docs_dir=out / "data_docs", run_time=ON)
    validate.write_report(out / "validate.json", report)
    con.close()
    seconds = {"read_and_batch": round(read, 1), "suite": round(time.perf_counter() - started - read, 1)}
    (out.parent / f"{out.name}.seconds.json").write_text(json.dumps(seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="a scratch copy where load already ran")
    parser.add_argument("--contenders", nargs="+", default=["pandas", "duckdb"], choices=["pandas", "duckdb"])
    parser.add_argument("--one", choices=["pandas", "duckdb"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    work = args.work.resolve()
    if args.one:
        os.chdir(work)
        one(args.one, args.out)
        return
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    runs: list[dict[str, Any]] = []
    for contender in args.contenders:
        out = work / ".bench" / f"features-{contender}"
        command = [sys.executable, str(Path(__file__).resolve()), "--work", str(work), "--one", contender]
        row = {"contender": contender, **timed([*command, "--out", str(out)], cwd=work, env=env)}
        seconds = out.parent / f"{out.name}.seconds.json"
        row.update(json.loads(seconds.read_text()) if seconds.exists() else {})
        runs.append(row)
        print(json.dumps(row), flush=True)
    outs = [work / ".bench" / f"features-{c}" for c in args.contenders]
    equal = all(same_tree(outs[0], other) for other in outs[1:])
    receipt = json.loads((work / "data" / "staging" / "client_features.receipt.json").read_text())
    extract = json.loads((work / "metrics" / "extract.json").read_text())
    clients = extract["tables"]["clients"]["rows"]
    result = {"clients": clients, "feature_rows": receipt["rows"], "outputs_equal": equal, "runs": runs}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"validate-features-{clients}{'' if len(outs) > 1 else '-' + args.contenders[0]}.json").write_text(
        json.dumps(result, indent=2) + "\n"
    )
    print(f"{'contender':<10} {'seconds':>8} {'suite s':>8} {'peak MB':>8} exit")
    for row in runs:
        print(
            f"{row['contender']:<10} {row['seconds']:>8} {row.get('suite', '-'):>8} {row['peak_mb']:>8} {row['exit_code']}"
        )
    if len(outs) > 1:
        print(f"outputs equal (report, Data Docs): {equal}")
    if not equal or any(row["exit_code"] for row in runs):
        sys.exit(1)


if __name__ == "__main__":
    main()
