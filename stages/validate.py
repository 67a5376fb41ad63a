"""Validate the raw extract and the staged feature table with Great Expectations; publish the snapshot only if it passes.

The data-quality gate. A rejected snapshot publishes nothing: the published table, its receipt
(the version split and predict read) and the profile the next snapshot is compared with stay
as they were.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
from typing import Any

from medcost.core.catalog import Catalog
from medcost.core.contracts import (
    ExtractMetrics,
    LoadReceipt,
    PublishedSnapshot,
    SnapshotProfile,
    SourceFingerprint,
    ValidationReport,
    read_contract,
    write_contract,
)
from medcost.core.duck import connect
from medcost.core.entry import run_stage
from medcost.core.errors import MedcostError
from medcost.core.params import BacktestParams, ExtractParams, LoadParams, TransformParams, ValidateParams, section
from medcost.load import open_published, open_staging, publish, staged_dataset
from medcost.validate import (
    Batch,
    failure_message,
    features_batch,
    features_table,
    log_failures,
    profile_batch,
    profile_snapshot,
    raw_batches,
    raw_tables,
    run_suites,
    write_report,
)

log = logging.getLogger("medcost.validate")


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Validate the raw extract and the staged feature table; write metrics and Data Docs; publish, or fail on any gap."""
    catalog = Catalog.from_params(params)
    extract = section(params, "extract", ExtractParams)
    transform = section(params, "transform", TransformParams)
    load = section(params, "load", LoadParams)
    cfg = section(params, "validate", ValidateParams)
    backtest = section(params, "backtest", BacktestParams)  # the feature table's earlier cutoffs
    extracted = read_contract(catalog.extract_metrics, ExtractMetrics, made_by="extract")
    receipt, staged = staged_dataset(catalog.load_receipt, open_staging(load, catalog.staging))  # Arrow, lazy
    previous = read_contract(catalog.published, PublishedSnapshot) if catalog.published.exists() else None
    source = read_contract(catalog.source_fingerprint, SourceFingerprint, made_by="fingerprint").identity
    con = connect(cfg.duckdb)  # the raw extract is validated where it is: DuckDB over its Parquet files
    try:
        clients, claims = raw_tables(con, extract, catalog.raw_table("clients"), catalog.raw_table("claims"))
        batches = raw_batches(extract, transform, cfg, clients, claims, extracted)
        features = features_table(con, transform, staged)  # the staged version, scanned by DuckDB where it is
        batches.append(
            features_batch(extract, transform, cfg, features, receipt, extracted, backtest_years=backtest.years)
        )
        profile = profile_snapshot(clients, claims, extract, transform).model_copy(update={"source": source})
        report, reference = _validate(catalog, cfg, extract, batches, previous, profile, receipt)
    finally:
        con.close()
    write_report(catalog.validation_report, report)  # on failure too: people read why
    if not report.success:
        log_failures(report)
        kept = f"published version {previous.receipt.version} kept" if previous else "nothing published yet"
        raise MedcostError(f"snapshot rejected ({kept}): {failure_message(report, catalog.data_docs)}")
    published = publish(open_published(load, catalog.lakehouse), staged, receipt)  # streamed from the staged version
    accepted = PublishedSnapshot(
        receipt=published, as_of=extract.as_of.isoformat(), profile=profile, reference=reference
    )
    write_contract(catalog.published, accepted, digits=None)  # the profile is compared exactly


def _validate(
    catalog: Catalog,
    cfg: ValidateParams,
    extract: ExtractParams,
    batches: list[Batch],
    previous: PublishedSnapshot | None,
    profile: SnapshotProfile,
    receipt: LoadReceipt,
) -> tuple[ValidationReport, SnapshotProfile | None]:
    """Run every suite (the profile's against the reference it is compared with); the report and that reference."""
    source = profile.source
    reference = previous.profile if previous else None
    if reference is not None and reference.source != source:
        log.info("the last accepted snapshot is of another source (%s): profile checks start over", reference.source)
        reference = None
    if previous and previous.profile == profile and previous.receipt.content_hash == receipt.content_hash:
        reference = previous.reference  # a rerun of the accepted snapshot: checked as it was, same report
    compared = profile_batch(reference, profile, cfg.profile)
    if compared is not None:  # the first snapshot is the reference of the next one
        batches.append(compared)
    snapshot = dt.datetime(extract.as_of.year, extract.as_of.month, extract.as_of.day, tzinfo=dt.UTC)
    return run_suites(batches, docs_dir=catalog.data_docs, examples=cfg.examples, run_time=snapshot), reference


if __name__ == "__main__":
    run_stage(main)
