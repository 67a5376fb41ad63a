"""Validate the raw extract and the loaded feature table with Great Expectations (the data-quality gate)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from medcost import quality
from medcost.cli import run
from medcost.config import ExtractParams, LoadParams, PathsParams, TransformParams, ValidateParams, section
from medcost.errors import MedcostError
from medcost.io import read_json
from medcost.lakehouse import read_receipt_table


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Validate the raw extract and the loaded feature table; write metrics and Data Docs; fail on any gap."""
    paths = section(params, "paths", PathsParams)
    extract = section(params, "extract", ExtractParams)
    transform = section(params, "transform", TransformParams)
    load = section(params, "load", LoadParams)
    cfg = section(params, "validate", ValidateParams)
    raw, metrics = Path(paths.raw), Path(paths.metrics)
    rows = quality.extracted_rows(read_json(metrics / "extract.json", made_by="extract"), str(metrics / "extract.json"))
    receipt, features = read_receipt_table(paths.load_receipt, load.backend, paths.lakehouse, load.table,
                                           load.hopsworks_version)
    batches = quality.raw_batches(extract, transform, cfg, quality.read_raw(raw / "clients.parquet"),
                                  quality.read_raw(raw / "claims.parquet"), rows=rows)
    batches.append(quality.features_batch(extract, transform, cfg, features, rows=receipt["rows"],
                                          clients=rows.get("clients")))
    report = quality.run_suites(batches, docs_dir=paths.data_docs, examples=cfg.examples)
    quality.write_report(metrics / "validate.json", report)  # on failure too: people read why
    if not report["success"]:
        quality.log_failures(report)
        raise MedcostError(quality.failure_message(report, paths.data_docs))


if __name__ == "__main__":
    run(main)
