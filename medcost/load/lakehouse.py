"""The lakehouse feature table: a Delta Lake table by default, a Hopsworks feature group if configured.

Two tables, so that nothing unvalidated is ever published: load upserts each snapshot into
the *staging* table (``paths.staging``, or the ``<table>_staging`` feature group) and receipts
that version; validate checks exactly that version and, only if it passes, upserts the same
rows into the *published* table (``paths.lakehouse``, or feature group ``<table>``) and writes
the published receipt (:class:`~medcost.core.contracts.PublishedSnapshot`). split, predict and
any other reader use the published table, so a rejected snapshot changes nothing they see.

Writing is an idempotent upsert on the key (client_id, year): the same rows twice leave the
same table, and identical content does not even create a new version. Every write returns a
receipt (:class:`~medcost.core.contracts.LoadReceipt`: backend, table, version, rows, years,
content hash) by which readers get exactly that version back (:func:`read_loaded`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

import pandas as pd

from medcost.core.contracts import LoadReceipt, PublishedSnapshot, read_contract
from medcost.core.errors import MedcostError
from medcost.core.params import LoadParams
from medcost.load.content import content_hash
from medcost.load.delta import DeltaLakehouse
from medcost.load.hopsworks import HopsworksLakehouse

log = logging.getLogger(__name__)

STAGING_SUFFIX = "_staging"
"""The staging feature group is ``<load.table>_staging`` (Hopsworks has no folders to keep them apart)."""


class Lakehouse(Protocol):
    """A versioned table the feature table is loaded into."""

    def write(self, frame: pd.DataFrame, key: list[str]) -> LoadReceipt:
        """Upsert ``frame`` on ``key``; return the receipt."""
        ...

    def read(self, receipt: LoadReceipt) -> pd.DataFrame:
        """The rows of the receipt's years at the receipt's version."""
        ...


def open_lakehouse(backend: str, path: str | Path, table: str, version: int = 1) -> Lakehouse:
    """The configured lakehouse backend (nothing is opened or contacted yet)."""
    if backend == "deltalake":
        return DeltaLakehouse(path)
    if backend == "hopsworks":
        return HopsworksLakehouse(table, version)
    raise MedcostError(f"load.backend = {backend!r}: expected deltalake or hopsworks")


def open_staging(cfg: LoadParams, path: str | Path) -> Lakehouse:
    """The staging table load writes each snapshot to: the Delta table at ``path``, or ``<table>_staging``."""
    return open_lakehouse(cfg.backend, path, f"{cfg.table}{STAGING_SUFFIX}", cfg.hopsworks_version)


def open_published(cfg: LoadParams, path: str | Path) -> Lakehouse:
    """The published table (only accepted snapshots): the Delta table at ``path``, or feature group ``<table>``."""
    return open_lakehouse(cfg.backend, path, cfg.table, cfg.hopsworks_version)


def read_loaded(lakehouse: Lakehouse, receipt: LoadReceipt) -> pd.DataFrame:
    """Read exactly what the receipt says was loaded, and check its content hash."""
    frame = lakehouse.read(receipt)
    if content_hash(frame, receipt.key) != receipt.content_hash:
        raise MedcostError(
            f"lakehouse table {receipt.table} version {receipt.version}: "
            "content differs from the load receipt (changed since it was loaded?)"
        )
    return frame


def read_staged(receipt_path: str | Path, lakehouse: Lakehouse) -> tuple[LoadReceipt, pd.DataFrame]:
    """The load receipt and exactly the staged rows it names (that version, content hash checked)."""
    receipt = read_contract(receipt_path, LoadReceipt, made_by="load")
    return receipt, read_loaded(lakehouse, receipt)


def publish(lakehouse: Lakehouse, frame: pd.DataFrame, staged: LoadReceipt) -> LoadReceipt:
    """Upsert the accepted snapshot ``frame`` (the rows of ``staged``) into the published table; its receipt."""
    published = lakehouse.write(frame, staged.key)
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
    published = read_contract(published_path, PublishedSnapshot, made_by="validate (no snapshot accepted yet?)")
    return published, read_loaded(lakehouse, published.receipt)
