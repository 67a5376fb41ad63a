"""The Delta Lake backend: THE idempotent Delta writes, and the feature table built on them.

Both record the content hash of what they wrote in the commit's metadata, so identical content
writes no new version; anything else is one new version:

* :func:`replace_delta` (load's feature table, publishing): the table's rows matching a predicate
  (the loaded years) become exactly the given rows, by one streamed overwrite of those rows
  (Delta's replaceWhere). Rows stream through in bounded Arrow batches and nothing is joined, so
  memory does not grow with the table (deltalake's ``write_deltalake`` takes a ``RecordBatchReader``).
* :func:`upsert_delta` (predict's predictions table): one merge on the key that also deletes the
  stale target rows the caller names. deltalake's merge takes a stream too, but joins source and
  target in memory (DataFusion's hash join does not spill): at 8.6 M feature rows it peaked at
  4.9 GB, so the feature table does not use it.

For rows that all match the predicate (the feature table's rows are of the loaded years, by
construction) the two give the same table.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from medcost.core.contracts import LoadReceipt
from medcost.core.errors import MedcostError, summarise
from medcost.core.params import DuckDBParams
from medcost.load.content import HASH_METADATA_KEY, content_hash, scan_content
from medcost.load.rows import LeanDataset, Rows, rescannable, stream, to_frame

if TYPE_CHECKING:
    from deltalake import CommitProperties, DeltaTable, WriterProperties

log = logging.getLogger(__name__)

BACKEND = "deltalake"

ROW_GROUP_ROWS = 131_072
"""Rows per Parquet row group of the files written (deltalake's default, 1 M rows, is what a reader of
the table decodes at once: publishing the staged version peaked 1 GB higher with it)."""


def _writer_properties() -> WriterProperties:
    from deltalake import WriterProperties

    return WriterProperties(max_row_group_size=ROW_GROUP_ROWS)


def _digest(rows: Rows, key: Sequence[str], digest: str | None, settings: DuckDBParams | None, what: str) -> str:
    if digest is not None:
        return digest
    if not rescannable(rows):
        raise TypeError(f"{what}: a RecordBatchReader is read once; pass its digest, or a dataset")
    return content_hash(rows, key, settings)


def _create_or_unchanged(rows: Rows, target: Path, commit: CommitProperties, digest: str) -> int | None:
    """Create the table from ``rows`` if there is none, or see that its last commit wrote ``digest``: its version.

    None: the table exists with other content.
    """
    from deltalake import DeltaTable, write_deltalake

    if not DeltaTable.is_deltatable(str(target)):
        target.parent.mkdir(parents=True, exist_ok=True)
        write_deltalake(
            str(target), stream(rows), mode="error", writer_properties=_writer_properties(), commit_properties=commit
        )
        log.info("created Delta table %s", target)
        return DeltaTable(str(target)).version()
    table = DeltaTable(str(target))
    if table.history(1)[0].get(HASH_METADATA_KEY) == digest:
        log.info("Delta table %s version %d already holds these rows: nothing to write", target, table.version())
        return table.version()
    return None


def replace_delta(
    rows: Rows,
    path: str | Path,
    key: Sequence[str],
    predicate: str,
    *,
    digest: str | None = None,
    settings: DuckDBParams | None = None,
) -> int:
    """Make the rows of the Delta table at ``path`` that match ``predicate`` exactly ``rows``; the table version.

    ``predicate`` is SQL over the table's columns (e.g. ``year IN (2024, 2025)``); every row of
    ``rows`` must match it (deltalake refuses the write otherwise). ``rows`` is streamed in
    bounded batches; ``digest`` is its content hash on ``key`` if the caller has it, else it is
    computed first (in DuckDB with ``settings``: another pass, so a ``RecordBatchReader``, read
    once, needs ``digest``).

    * no table yet: it is created from ``rows``;
    * the last commit wrote the same content (hash recorded in its metadata): nothing is written;
    * otherwise one overwrite of the rows matching ``predicate``: files holding only such rows are
      removed, files holding others too are rewritten without them, and ``rows`` is written; rows
      not matching are untouched. New columns of ``rows`` are added to the table's schema.
    """
    from deltalake import CommitProperties, DeltaTable, write_deltalake

    target = Path(path)
    digest = _digest(rows, key, digest, settings, "replace_delta")
    commit = CommitProperties(custom_metadata={HASH_METADATA_KEY: digest})
    version = _create_or_unchanged(rows, target, commit, digest)
    if version is not None:
        return version
    write_deltalake(
        str(target),
        stream(rows),
        mode="overwrite",
        predicate=predicate,
        schema_mode="merge",
        writer_properties=_writer_properties(),
        commit_properties=commit,
    )
    version = DeltaTable(str(target)).version()
    log.info("replaced the rows of %s where %s: version %d", target, predicate, version)
    return version


def upsert_delta(
    rows: Rows,
    path: str | Path,
    key: Sequence[str],
    stale_predicate: str,
    *,
    digest: str | None = None,
    settings: DuckDBParams | None = None,
) -> int:
    """Upsert ``rows`` into the Delta table at ``path`` on ``key``; return the table version.

    ``rows`` is streamed into the table in batches; ``digest`` as for :func:`replace_delta`. The
    merge holds its join in memory: for tables of millions of rows, :func:`replace_delta`.

    * no table yet: it is created from ``rows``;
    * the last commit wrote the same content (hash recorded in its metadata): nothing is written;
    * otherwise one merge on ``key``: matching rows are updated, new rows inserted, and target
      rows matching ``stale_predicate`` whose key is absent from ``rows`` are deleted. The
      predicate is SQL over the target's columns, aliased ``t`` (e.g. ``t.year IN (2024, 2025)``).
      New columns of ``rows`` are added to the table's schema.
    """
    from deltalake import CommitProperties, DeltaTable

    target = Path(path)
    columns = list(key)
    digest = _digest(rows, columns, digest, settings, "upsert_delta")
    commit = CommitProperties(custom_metadata={HASH_METADATA_KEY: digest})
    version = _create_or_unchanged(rows, target, commit, digest)
    if version is not None:
        return version
    on_key = " AND ".join(f"t.{c} = s.{c}" for c in columns)
    stats = (
        DeltaTable(str(target))
        .merge(
            stream(rows),
            predicate=on_key,
            source_alias="s",
            target_alias="t",
            merge_schema=True,
            writer_properties=_writer_properties(),
            commit_properties=commit,
        )
        .when_matched_update_all()
        .when_not_matched_insert_all()
        .when_not_matched_by_source_delete(stale_predicate)  # rows gone from the source
        .execute()
    )
    log.info("merged into %s: %s", target, {k: v for k, v in stats.items() if k.startswith("num_")})
    return DeltaTable(str(target)).version()


def years_predicate(years: Sequence[int]) -> str:
    """The rows a feature-table load replaces: those of the loaded years."""
    return f"year IN ({', '.join(str(int(y)) for y in years)})" if years else "FALSE"


class DeltaLakehouse:
    """A Delta Lake table at ``path`` (readable by Spark, DuckDB, Polars...); content hashed in DuckDB with ``duckdb``."""

    def __init__(self, path: str | Path, duckdb: DuckDBParams | None = None) -> None:
        self.path = Path(path)
        self.duckdb = duckdb

    def write(self, rows: Rows, key: list[str], expected_hash: str | None = None) -> LoadReceipt:
        """Make the table's rows of the years in ``rows`` exactly ``rows`` (streamed; :func:`replace_delta`).

        So rows of the loaded years gone from ``rows`` are deleted, and other years are untouched.
        One pass in DuckDB finds the receipt's facts (rows, years, content hash), one more writes, if
        anything changed: ``rows`` must be readable twice (a dataset, table or frame; not a reader).
        ``expected_hash``: the content the caller means to write (publishing a validated version);
        other content is refused before anything is written.
        """
        if not rescannable(rows):
            raise TypeError("DeltaLakehouse.write: a RecordBatchReader is read once; pass a dataset")
        content = scan_content(rows, key, distinct="year", settings=self.duckdb)
        if expected_hash is not None and content.digest != expected_hash:
            raise MedcostError(
                f"lakehouse table {self.path}: the rows to write are not the expected ones "
                f"(content hash {content.digest[:12]}..., expected {expected_hash[:12]}...): nothing written"
            )
        years = sorted(int(y) for y in content.distinct)
        version = replace_delta(rows, self.path, key, years_predicate(years), digest=content.digest)
        return LoadReceipt(
            backend=BACKEND,
            table=str(self.path),
            version=version,
            rows=content.rows,
            years=years,
            key=list(key),
            columns=content.columns,
            content_hash=content.digest,
        )

    def scan(self, receipt: LoadReceipt) -> ds.Dataset:
        """The rows of the receipt's years at the receipt's version, columns as receipted: a lazy Arrow dataset."""
        table = self._version(receipt)
        whole = table.to_pyarrow_dataset()
        missing = [c for c in receipt.columns if c not in whole.schema.names]
        if missing:
            raise MedcostError(f"lakehouse table {self.path} version {receipt.version}: no column {', '.join(missing)}")
        columns = pa.schema([whole.schema.field(c) for c in receipt.columns])
        return LeanDataset.of(table.to_pyarrow_dataset(schema=columns), pc.field("year").isin(receipt.years))

    def read(self, receipt: LoadReceipt) -> pd.DataFrame:
        """The rows of :meth:`scan` as one pandas frame, sorted by the key."""
        return to_frame(self.scan(receipt), receipt.key)

    def _version(self, receipt: LoadReceipt) -> DeltaTable:
        """The table at the receipt's version (under ``dvc exp run --temp``, the repository's table)."""
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
            return DeltaTable(str(path), version=receipt.version)
        except Exception as exc:  # deltalake raises several types for a missing table/version
            raise MedcostError(
                f"lakehouse table {self.path} version {receipt.version}: cannot be read ({summarise(exc)})"
            ) from None
