"""The lakehouse feature table: a Delta Lake table by default, a Hopsworks feature group if configured.

Loading is an idempotent upsert on the key (client_id, year): loading the same rows twice
leaves the same table, and identical content does not even create a new version. Every
load returns a receipt (:class:`~medcost.core.contracts.LoadReceipt`: backend, table,
version, rows, years, content hash) that later stages use to read exactly the version
that was loaded (:func:`read_published`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import pandas as pd

from medcost.core.contracts import LoadReceipt, read_contract
from medcost.core.errors import MedcostError
from medcost.load.content import content_hash
from medcost.load.delta import DeltaLakehouse
from medcost.load.hopsworks import HopsworksLakehouse


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


def read_loaded(lakehouse: Lakehouse, receipt: LoadReceipt) -> pd.DataFrame:
    """Read exactly what the receipt says was loaded, and check its content hash."""
    frame = lakehouse.read(receipt)
    if content_hash(frame, receipt.key) != receipt.content_hash:
        raise MedcostError(
            f"lakehouse table {receipt.table} version {receipt.version}: "
            "content differs from the load receipt (changed since it was loaded?)"
        )
    return frame


def read_published(
    receipt_path: str | Path, backend: str, lakehouse_path: str | Path, table: str, version: int = 1
) -> tuple[LoadReceipt, pd.DataFrame]:
    """The load receipt and exactly the rows it says were loaded (that version, content hash checked)."""
    receipt = read_contract(receipt_path, LoadReceipt, made_by="load")
    return receipt, read_loaded(open_lakehouse(backend, lakehouse_path, table, version), receipt)
