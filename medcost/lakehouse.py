"""The lakehouse feature table: a Delta Lake table by default, a Hopsworks feature group if configured.

Loading is an idempotent upsert on the key (client_id, year): loading the same rows twice
leaves the same table, and identical content does not even create a new version. Every
load returns a receipt (backend, table, version, rows, years, content hash) that later
stages use to read exactly the version that was loaded.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
import pyarrow as pa

from medcost.errors import MedcostError

log = logging.getLogger(__name__)

HASH_METADATA_KEY = "medcost.content_hash"


def content_hash(frame: pd.DataFrame, key: list[str]) -> str:
    """A hash of the rows and columns, independent of row order (sorted by ``key``)."""
    ordered = frame.sort_values(key, kind="stable").reset_index(drop=True)
    digest = hashlib.sha256()
    digest.update(",".join(f"{c}:{ordered[c].dtype}" for c in ordered.columns).encode())
    digest.update(pd.util.hash_pandas_object(ordered, index=False).to_numpy().tobytes())
    return digest.hexdigest()


class Lakehouse(Protocol):
    def write(self, frame: pd.DataFrame, key: list[str]) -> dict[str, Any]:
        """Upsert ``frame`` on ``key``; return the receipt."""

    def read(self, receipt: dict[str, Any]) -> pd.DataFrame:
        """The rows of the receipt's years at the receipt's version."""


class DeltaLakehouse:
    """A Delta Lake table at ``path`` (readable by Spark, DuckDB, Polars...)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def write(self, frame: pd.DataFrame, key: list[str]) -> dict[str, Any]:
        from deltalake import CommitProperties, DeltaTable, write_deltalake

        digest = content_hash(frame, key)
        years = sorted(int(y) for y in frame["year"].unique())
        data = pa.Table.from_pandas(frame, preserve_index=False)
        commit = CommitProperties(custom_metadata={HASH_METADATA_KEY: digest})
        if not DeltaTable.is_deltatable(str(self.path)):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_deltalake(str(self.path), data, mode="error", commit_properties=commit)
            log.info("created Delta table %s", self.path)
        else:
            table = DeltaTable(str(self.path))
            if table.history(1)[0].get(HASH_METADATA_KEY) == digest:
                log.info("Delta table %s version %d already holds these rows: nothing to write", self.path, table.version())
            else:
                on_key = " AND ".join(f"t.{c} = s.{c}" for c in key)
                loaded_years = f"t.year IN ({', '.join(map(str, years))})"
                stats = (
                    table.merge(data, predicate=on_key, source_alias="s", target_alias="t",
                                merge_schema=True, commit_properties=commit)
                    .when_matched_update_all()
                    .when_not_matched_insert_all()
                    .when_not_matched_by_source_delete(loaded_years)  # rows gone from the source
                    .execute()
                )
                log.info("merged into %s: %s", self.path, {k: v for k, v in stats.items() if k.startswith("num_")})
        version = DeltaTable(str(self.path)).version()
        return {"backend": "deltalake", "table": str(self.path), "version": version, "rows": len(frame),
                "years": years, "key": key, "columns": list(frame.columns), "content_hash": digest}

    def read(self, receipt: dict[str, Any]) -> pd.DataFrame:
        from deltalake import DeltaTable

        try:
            table = DeltaTable(str(self.path), version=int(receipt["version"]))
        except Exception as exc:  # deltalake raises several types for a missing table/version
            raise MedcostError(f"lakehouse table {self.path} version {receipt['version']}: cannot be read ({exc})") from None
        frame = table.to_pandas(columns=receipt["columns"], filters=[("year", "in", receipt["years"])])
        return frame.sort_values(receipt["key"], kind="stable").reset_index(drop=True)


def open_lakehouse(backend: str, path: str | Path, table: str, version: int = 1) -> Lakehouse:
    """The configured lakehouse backend."""
    if backend == "deltalake":
        return DeltaLakehouse(path)
    if backend == "hopsworks":
        from medcost.hopsworks_store import HopsworksLakehouse

        return HopsworksLakehouse(table, version)
    raise MedcostError(f"load.backend = {backend!r}: expected deltalake or hopsworks")


def read_receipt_table(receipt_path: str | Path, backend: str, path: str | Path, table: str,
                       version: int = 1) -> tuple[dict[str, Any], pd.DataFrame]:
    """The load receipt and exactly the rows it says were loaded."""
    from medcost.io import read_json

    receipt = read_json(receipt_path, made_by="load")
    return receipt, read_loaded(open_lakehouse(backend, path, table, version), receipt)


def read_loaded(lakehouse: Lakehouse, receipt: dict[str, Any]) -> pd.DataFrame:
    """Read exactly what the receipt says was loaded, and check its content hash."""
    frame = lakehouse.read(receipt)
    if content_hash(frame, receipt["key"]) != receipt["content_hash"]:
        raise MedcostError(f"lakehouse table {receipt['table']} version {receipt['version']}: "
                           "content differs from the load receipt (changed since it was loaded?)")
    return frame
