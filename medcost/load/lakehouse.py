"""The lakehouse feature table: a Delta Lake table by default, a Hopsworks feature group if configured.

Two tables, so that nothing unvalidated is ever published: load upserts each snapshot into
the *staging* table (``paths.staging``, or the ``<table>_staging`` feature group) and receipts
that version; validate checks exactly that version and, only if it passes, upserts the same
rows into the *published* table (``paths.lakehouse``, or feature group ``<table>``) and writes
the published receipt (:class:`~medcost.core.contracts.PublishedSnapshot`). split, predict and
any other reader use the published table, so a rejected snapshot changes nothing they see.

Writing is idempotent: the loaded years' rows become exactly the snapshot's (an upsert on the key
(client_id, year) that also drops rows gone from the source; other years are untouched), the same
rows twice leave the same table, and identical content does not even create a new version (the
content hash, :mod:`medcost.load.content`, is recorded with each write). Every write returns a
receipt (:class:`~medcost.core.contracts.LoadReceipt`: backend, table, version, rows, years,
content hash) by which readers get exactly that version back: :func:`scan_loaded` as Arrow data
DuckDB scans lazily (validate, publishing: a batch at a time, whatever the table's size) and
:func:`read_loaded` as one pandas frame (split and predict, which hold one row per client anyway).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

import pandas as pd

from medcost.core.contracts import LoadReceipt, PublishedSnapshot, read_contract
from medcost.core.errors import MedcostError
from medcost.core.params import DuckDBParams, LoadParams
from medcost.load.content import content_hash
from medcost.load.delta import DeltaLakehouse
from medcost.load.hopsworks import HopsworksLakehouse
from medcost.load.rows import ArrowRows, Rows, to_frame

log = logging.getLogger(__name__)

STAGING_SUFFIX = "_staging"
"""The staging feature group is ``<load.table>_staging`` (Hopsworks has no folders to keep them apart)."""


class Lakehouse(Protocol):
    """A versioned table the feature table is loaded into.

    The Delta backend streams: ``write`` reads a dataset in bounded batches and ``scan`` is a lazy
    dataset. The Hopsworks backend goes through pandas (its Python client inserts and reads pandas
    frames; large backfills are Spark jobs there), so it is bounded by memory.
    """

    duckdb: DuckDBParams | None
    """The DuckDB resources content hashes are computed with (None: DuckDB's defaults)."""

    def write(self, rows: Rows, key: list[str], expected_hash: str | None = None) -> LoadReceipt:
        """Upsert ``rows`` on ``key`` (other content than ``expected_hash``, if given, is refused); the receipt."""
        ...

    def scan(self, receipt: LoadReceipt) -> ArrowRows:
        """The rows of the receipt's years at the receipt's version (its columns), as Arrow data."""
        ...


def open_lakehouse(
    backend: str, path: str | Path, table: str, version: int = 1, duckdb: DuckDBParams | None = None
) -> Lakehouse:
    """The configured lakehouse backend (nothing is opened or contacted yet)."""
    if backend == "deltalake":
        return DeltaLakehouse(path, duckdb)
    if backend == "hopsworks":
        return HopsworksLakehouse(table, version, duckdb)
    raise MedcostError(f"load.backend = {backend!r}: expected deltalake or hopsworks")


def open_staging(cfg: LoadParams, path: str | Path) -> Lakehouse:
    """The staging table load writes each snapshot to: the Delta table at ``path``, or ``<table>_staging``."""
    return open_lakehouse(cfg.backend, path, f"{cfg.table}{STAGING_SUFFIX}", cfg.hopsworks_version, cfg.duckdb)


def open_published(cfg: LoadParams, path: str | Path) -> Lakehouse:
    """The published table (only accepted snapshots): the Delta table at ``path``, or feature group ``<table>``."""
    return open_lakehouse(cfg.backend, path, cfg.table, cfg.hopsworks_version, cfg.duckdb)


def _check(lakehouse: Lakehouse, rows: Rows, receipt: LoadReceipt) -> None:
    if content_hash(rows, receipt.key, lakehouse.duckdb) != receipt.content_hash:
        raise MedcostError(
            f"lakehouse table {receipt.table} version {receipt.version}: "
            "content differs from the load receipt (changed since it was loaded?)"
        )


def scan_loaded(lakehouse: Lakehouse, receipt: LoadReceipt) -> ArrowRows:
    """Exactly what the receipt says was loaded, as Arrow data DuckDB scans lazily; content hash checked (one pass)."""
    rows = lakehouse.scan(receipt)
    _check(lakehouse, rows, receipt)
    return rows


def read_loaded(lakehouse: Lakehouse, receipt: LoadReceipt) -> pd.DataFrame:
    """Exactly what the receipt says was loaded, as one pandas frame sorted by the key; content hash checked.

    The hash is checked on the Arrow data, before the conversion to pandas (which may change types:
    integers with nulls become floats).
    """
    return to_frame(scan_loaded(lakehouse, receipt), receipt.key)


def staged_dataset(receipt_path: str | Path, lakehouse: Lakehouse) -> tuple[LoadReceipt, ArrowRows]:
    """The load receipt and exactly the staged rows it names (that version, content hash checked), as Arrow data.

    For pandas: ``medcost.load.to_frame(rows, receipt.key)`` (all of it in memory).
    """
    receipt = read_contract(receipt_path, LoadReceipt, made_by="load")
    return receipt, scan_loaded(lakehouse, receipt)


def publish(lakehouse: Lakehouse, rows: Rows, staged: LoadReceipt) -> LoadReceipt:
    """Upsert the accepted snapshot ``rows`` (the rows of ``staged``, e.g. from :func:`staged_dataset`) into the
    published table, streamed; its receipt. Rows whose content is not the staged one are refused, unwritten."""
    published = lakehouse.write(rows, staged.key, expected_hash=staged.content_hash)
    if published.content_hash != staged.content_hash:
        raise MedcostError(
            f"lakehouse table {published.table} version {published.version}: "
            "the published rows differ from the validated staging rows"
        )
    log.info(
        "published %s version %d: %d rows, years %s",
        published.table,
        published.version,
        published.rows,
        published.years,
    )
    return published


def read_published(published_path: str | Path, lakehouse: Lakehouse) -> tuple[PublishedSnapshot, pd.DataFrame]:
    """The published receipt and exactly the rows of the version validate accepted (content hash checked)."""
    published, rows = scan_published(published_path, lakehouse)
    return published, to_frame(rows, published.receipt.key)


def scan_published(published_path: str | Path, lakehouse: Lakehouse) -> tuple[PublishedSnapshot, ArrowRows]:
    """The published receipt and exactly the rows of the version validate accepted, as Arrow data DuckDB scans
    lazily (content hash checked, in one pass)."""
    published = read_contract(published_path, PublishedSnapshot, made_by="validate (no snapshot accepted yet?)")
    return published, scan_loaded(lakehouse, published.receipt)
