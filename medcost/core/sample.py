"""A seeded sample of a Parquet part's rows, read a batch at a time: drift's and select's statistics in bounded memory."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from medcost.core.io import read_parquet

log = logging.getLogger(__name__)

BATCH_ROWS = 131_072
"""Rows read at a time while sampling (only the sampled ones are kept)."""


def read_sample(
    path: str | Path,
    max_rows: int,
    seed: int,
    made_by: str | None = None,
    columns: list[str] | None = None,
    param: str = "drift.max_rows",
) -> tuple[pd.DataFrame, int]:
    """The rows of the Parquet file ``path`` (all of them if at most ``max_rows``, else a seeded uniform sample of
    ``max_rows`` of them, in file order; only ``columns``, those the file has) and how many rows the file holds.

    PSI and mean shifts from half a million rows are within about 0.001 of the whole table's, so beyond
    that size a sample answers the same question in a bounded amount of memory.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not Path(path).exists():
        read_parquet(path, made_by=made_by)  # the one-line error naming the stage that writes it
    file = pq.ParquetFile(path)
    total = file.metadata.num_rows
    if columns is not None:
        columns = [c for c in columns if c in set(file.schema_arrow.names)]
    if total <= max_rows:
        return read_parquet(path, made_by=made_by, columns=columns), total
    keep = np.sort(np.random.default_rng(seed).choice(total, size=max_rows, replace=False))
    pieces, start = [], 0
    for batch in file.iter_batches(batch_size=BATCH_ROWS, columns=columns):
        first, last = np.searchsorted(keep, [start, start + batch.num_rows])
        if last > first:
            pieces.append(batch.take(pa.array(keep[first:last] - start)))
        start += batch.num_rows
    log.info("%s: a seeded sample of %d of its %d rows (%s)", Path(path).name, max_rows, total, param)
    return pa.Table.from_batches(pieces).to_pandas(), total
