"""The rows a lakehouse reads and writes: pandas frames or Arrow data, streamed in bounded batches.

A feature table at 5 M clients (~10 M rows) does not fit a 4 GB stage as a pandas frame plus its
Arrow copy, so the lakehouse takes Arrow data it can read a batch at a time: a
``pyarrow.dataset.Dataset`` (a Parquet file, a Delta version) is scanned lazily and may be read
several times; a ``pa.RecordBatchReader`` is read once. pandas frames and ``pa.Table`` (in memory
already) are accepted too: predictions, Hopsworks and tests use them.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeAlias

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

from medcost.core.errors import MedcostError

log = logging.getLogger(__name__)

Rows: TypeAlias = pd.DataFrame | pa.Table | pa.RecordBatchReader | ds.Dataset
"""What the lakehouse writes and hashes: a pandas frame, an Arrow table, stream or dataset."""

ArrowRows: TypeAlias = pa.Table | ds.Dataset
"""Arrow data that can be scanned more than once (by DuckDB, lazily for a dataset)."""

BATCH_ROWS = 8_192
"""Rows per streamed batch (~2 MB for a 25-column table). deltalake's writer holds a number of batches,
not of rows: writing a 17 M-row table peaked at 2.0 GB with 65 536-row batches, 0.56 GB with these."""


class LeanDataset(ds.FileSystemDataset):
    """Parquet files read as a dataset whose every scan holds one batch of one file at a time, rows filtered.

    pyarrow's scans read ahead 16 batches of 4 files and pre-buffer whole row groups: DuckDB, which
    scans a registered dataset through ``scanner(columns=..., filter=...)``, held 2.3 GB of a 7-million-row
    feature table to take each column's minimum, and holds 0.7 GB through this one (and runs faster).
    """

    rows_filter: ds.Expression | None = None

    @classmethod
    def of(cls, dataset: ds.FileSystemDataset, rows_filter: ds.Expression | None = None) -> LeanDataset:
        """``dataset`` (unfiltered: its files and schema) scanned leanly, keeping only the rows ``rows_filter`` keeps."""
        lean = cls(list(dataset.get_fragments()), dataset.schema, dataset.format, dataset.filesystem)
        lean.rows_filter = rows_filter
        return lean

    def scanner(self, **options: Any) -> ds.Scanner:
        wanted = options.pop("filter", None)
        filters = [f for f in (self.rows_filter, wanted) if f is not None]
        defaults: dict[str, Any] = {"batch_readahead": 1, "fragment_readahead": 1}
        if isinstance(self.format, ds.ParquetFileFormat):
            defaults["fragment_scan_options"] = ds.ParquetFragmentScanOptions(pre_buffer=False)
        combined = functools.reduce(lambda a, b: a & b, filters) if filters else None
        return super().scanner(filter=combined, **{**defaults, **options})

    def filter(self, expression: ds.Expression) -> LeanDataset:
        both = expression if self.rows_filter is None else self.rows_filter & expression
        lean = type(self)(list(self.get_fragments()), self.schema, self.format, self.filesystem)
        lean.rows_filter = both
        return lean


def open_parquet(path: str | Path, made_by: str | None = None) -> ds.Dataset:
    """A Parquet file (or folder of files) as a lazy Arrow dataset; a missing one names the stage that writes it."""
    if not Path(path).exists():
        hint = f" (run the {made_by} stage first)" if made_by else ""
        raise MedcostError(f"{path}: file not found{hint}")
    return ds.dataset(str(path), format="parquet")


def schema_of(rows: Rows) -> pa.Schema:
    """The Arrow schema of ``rows`` (a pandas frame: as :func:`stream` converts it)."""
    if isinstance(rows, pd.DataFrame):
        return pa.Schema.from_pandas(rows, preserve_index=False)
    return rows.schema


def stream(rows: Rows, batch_rows: int = BATCH_ROWS) -> pa.RecordBatchReader:
    """``rows`` as a stream of batches of at most ``batch_rows`` rows, one batch read ahead.

    A dataset is scanned anew on every call; a reader is returned as it is (it can be read once).
    """
    if isinstance(rows, pa.RecordBatchReader):
        return rows
    if isinstance(rows, ds.Dataset):
        options = {}
        if isinstance(getattr(rows, "format", None), ds.ParquetFileFormat):
            # pre-buffering keeps what it read of a file until the file is done: 0.9 GB of a 17 M-row file
            options["fragment_scan_options"] = ds.ParquetFragmentScanOptions(pre_buffer=False)
        # one thread: with several, a filtered dataset's scan runs ahead of a slower writer (by up to ~1 GB)
        scanner = rows.scanner(
            batch_size=batch_rows, batch_readahead=1, fragment_readahead=1, use_threads=False, **options
        )
        return scanner.to_reader()
    table = pa.Table.from_pandas(rows, preserve_index=False) if isinstance(rows, pd.DataFrame) else rows
    return table.to_reader(max_chunksize=batch_rows)


def rescannable(rows: Rows) -> bool:
    """Whether ``rows`` can be read more than once (everything but a ``RecordBatchReader``)."""
    return not isinstance(rows, pa.RecordBatchReader)


def read_columns(rows: ArrowRows, columns: Sequence[str], where: ds.Expression, what: str) -> pa.Table:
    """The ``columns`` of the rows of ``rows`` matching ``where`` (a dataset is scanned with the filter, so only
    those rows are read); a missing column is one line naming ``what`` (e.g. "published feature table")."""
    missing = [c for c in columns if c not in rows.schema.names]
    if missing:
        raise MedcostError(f"{what}: column(s) {', '.join(missing)} missing (rerun transform)")
    if isinstance(rows, ds.Dataset):
        return rows.to_table(columns=list(columns), filter=where)
    return rows.select(list(columns)).filter(where)


def to_frame(rows: Rows, key: Sequence[str] | None = None) -> pd.DataFrame:
    """``rows`` as one pandas frame (all of it in memory), sorted by ``key`` if given."""
    if isinstance(rows, pd.DataFrame):
        frame = rows
    elif isinstance(rows, ds.Dataset):
        frame = rows.to_table().to_pandas()
    elif isinstance(rows, pa.RecordBatchReader):
        frame = rows.read_all().to_pandas()
    else:
        frame = rows.to_pandas()
    if key:
        frame = frame.sort_values(list(key), kind="stable")
    return frame.reset_index(drop=True)
