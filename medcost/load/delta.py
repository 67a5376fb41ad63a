"""The Delta Lake backend: THE one idempotent Delta upsert, and the feature table built on it.

:func:`upsert_delta` is shared by load (the feature table) and predict (the predictions
table): identical content writes no new version, anything else is one merge on the key that
also deletes the stale target rows the caller names (rows gone from the source).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa

from medcost.core.contracts import LoadReceipt
from medcost.core.errors import MedcostError, summarise
from medcost.load.content import HASH_METADATA_KEY, content_hash

log = logging.getLogger(__name__)

BACKEND = "deltalake"


def upsert_delta(frame: pd.DataFrame, path: str | Path, key: Sequence[str], stale_predicate: str) -> int:
    """Upsert ``frame`` into the Delta table at ``path`` on ``key``; return the table version.

    * no table yet: it is created from ``frame``;
    * the last commit wrote the same content (hash recorded in its metadata): nothing is written;
    * otherwise one merge on ``key``: matching rows are updated, new rows inserted, and target
      rows matching ``stale_predicate`` whose key is absent from ``frame`` are deleted. The
      predicate is SQL over the target's columns, aliased ``t`` (e.g. ``t.year IN (2024, 2025)``).
      New columns of ``frame`` are added to the table's schema.
    """
    from deltalake import CommitProperties, DeltaTable, write_deltalake

    target = Path(path)
    columns = list(key)
    digest = content_hash(frame, columns)
    data = pa.Table.from_pandas(frame, preserve_index=False)
    commit = CommitProperties(custom_metadata={HASH_METADATA_KEY: digest})
    if not DeltaTable.is_deltatable(str(target)):
        target.parent.mkdir(parents=True, exist_ok=True)
        write_deltalake(str(target), data, mode="error", commit_properties=commit)
        log.info("created Delta table %s", target)
        return DeltaTable(str(target)).version()
    table = DeltaTable(str(target))
    if table.history(1)[0].get(HASH_METADATA_KEY) == digest:
        log.info("Delta table %s version %d already holds these rows: nothing to write", target, table.version())
        return table.version()
    on_key = " AND ".join(f"t.{c} = s.{c}" for c in columns)
    stats = (
        table.merge(
            data, predicate=on_key, source_alias="s", target_alias="t", merge_schema=True, commit_properties=commit
        )
        .when_matched_update_all()
        .when_not_matched_insert_all()
        .when_not_matched_by_source_delete(stale_predicate)  # rows gone from the source
        .execute()
    )
    log.info("merged into %s: %s", target, {k: v for k, v in stats.items() if k.startswith("num_")})
    return DeltaTable(str(target)).version()


class DeltaLakehouse:
    """A Delta Lake table at ``path`` (readable by Spark, DuckDB, Polars...)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def write(self, frame: pd.DataFrame, key: list[str]) -> LoadReceipt:
        """Upsert ``frame`` on ``key``; rows of the loaded years gone from ``frame`` are deleted."""
        years = sorted(int(y) for y in frame["year"].unique())
        version = upsert_delta(frame, self.path, key, f"t.year IN ({', '.join(map(str, years))})")
        return LoadReceipt(
            backend=BACKEND,
            table=str(self.path),
            version=version,
            rows=len(frame),
            years=years,
            key=list(key),
            columns=list(frame.columns),
            content_hash=content_hash(frame, key),
        )

    def read(self, receipt: LoadReceipt) -> pd.DataFrame:
        """The rows of the receipt's years at the receipt's version, sorted by the key."""
        from deltalake import DeltaTable

        path = self.path
        root = os.environ.get("DVC_ROOT", "").strip()
        if not DeltaTable.is_deltatable(str(path)) and root and not path.is_absolute():
            # `dvc exp run --temp/--queue` runs in a copy without the lakehouse (it is not a DVC out):
            # read the repository's table; the receipt's version and content hash make it exact
            path = Path(root) / path
        if not DeltaTable.is_deltatable(str(path)):
            raise MedcostError(
                f"lakehouse table {self.path}: no Delta table there (the lakehouse lives outside DVC and "
                "`dvc pull` does not bring it: `dvc repro -f -s load validate` rebuilds it from the extract)"
            )
        try:
            table = DeltaTable(str(path), version=receipt.version)
        except Exception as exc:  # deltalake raises several types for a missing table/version
            raise MedcostError(
                f"lakehouse table {self.path} version {receipt.version}: cannot be read ({summarise(exc)})"
            ) from None
        frame = table.to_pandas(columns=receipt.columns, filters=[("year", "in", receipt.years)])
        return frame.sort_values(receipt.key, kind="stable").reset_index(drop=True)
