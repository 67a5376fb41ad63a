"""Validate the raw extract and the loaded feature table with Great Expectations (the data-quality gate)."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from medcost.core.catalog import Catalog
from medcost.core.contracts import ExtractMetrics, read_contract
from medcost.core.entry import run_stage
from medcost.core.errors import MedcostError
from medcost.core.params import ExtractParams, LoadParams, TransformParams, ValidateParams, section
from medcost.load import read_published
from medcost.validate import (
    failure_message,
    features_batch,
    log_failures,
    raw_batches,
    read_raw,
    run_suites,
    write_report,
)


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Validate the raw extract and the loaded feature table; write metrics and Data Docs; fail on any gap."""
    catalog = Catalog.from_params(params)
    extract = section(params, "extract", ExtractParams)
    transform = section(params, "transform", TransformParams)
    load = section(params, "load", LoadParams)
    cfg = section(params, "validate", ValidateParams)
    extracted = read_contract(catalog.extract_metrics, ExtractMetrics, made_by="extract")
    receipt, features = read_published(
        catalog.load_receipt, load.backend, catalog.lakehouse, load.table, load.hopsworks_version
    )
    batches = raw_batches(
        extract,
        transform,
        cfg,
        read_raw(catalog.raw_table("clients")),
        read_raw(catalog.raw_table("claims")),
        extracted,
    )
    batches.append(features_batch(extract, transform, cfg, features, receipt, extracted))
    snapshot = dt.datetime(extract.as_of.year, extract.as_of.month, extract.as_of.day, tzinfo=dt.UTC)
    report = run_suites(batches, docs_dir=catalog.data_docs, examples=cfg.examples, run_time=snapshot)
    write_report(catalog.validation_report, report)  # on failure too: people read why
    if not report.success:
        log_failures(report)
        raise MedcostError(failure_message(report, catalog.data_docs))


if __name__ == "__main__":
    run_stage(main)
