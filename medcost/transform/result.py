"""What the SQL engines (DuckDB, Spark) share around the one query: input checks, warnings and the result's file.

Both engines read the same Parquet extract, run :func:`medcost.transform.sql.feature_sql` and
hand back Arrow batches; from there on the result is the same table whichever engine made it:
:func:`plain_schema` gives every engine's batches one Arrow schema, so the written file and the
pandas frame have the same columns, types and nullability.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from medcost.core.errors import MedcostError
from medcost.core.io import atomic_path
from medcost.core.params import TransformParams
from medcost.transform.features import check_rows, require, snapshot_cutoffs
from medcost.transform.sql import Cutoff

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

log = logging.getLogger(__name__)


def check_parquet(path: Path, name: str, columns: Sequence[str]) -> None:
    """One line naming the file if ``path`` is missing, or the columns of table ``name`` it lacks."""
    import pyarrow.parquet as pq

    try:
        present = pq.read_schema(path).names
    except FileNotFoundError:
        raise MedcostError(f"{path}: file not found (run the extract stage first)") from None
    require(present, name, columns)


def warn_unknown_categories(rows: Iterable[tuple[int, str | None, int]], cutoffs: Sequence[Cutoff]) -> None:
    """The pandas reference's warning, from the rows of :func:`medcost.transform.sql.unknown_categories_sql`."""
    rows = list(rows)
    for cutoff in cutoffs:
        found = [(category, n) for year, category, n in rows if year == cutoff.on.year]
        if found:
            log.warning(
                "claims: %d claim(s) in categories not listed in transform.claim_categories: %s",
                sum(n for _, n in found),
                ", ".join(sorted(c for c, _ in found if c is not None)[:5]),
            )


def plain_schema(schema: pa.Schema) -> pa.Schema:
    """``schema`` as pandas writes it: text as plain strings (not string views or large strings), every field nullable."""
    import pyarrow as pa

    def plain(kind: pa.DataType) -> pa.DataType:
        return pa.string() if pa.types.is_string_view(kind) or pa.types.is_large_string(kind) else kind

    return pa.schema([pa.field(f.name, plain(f.type)) for f in schema])


def to_frame(table: pa.Table) -> pd.DataFrame:
    """The feature rows as pandas, in the one schema of every engine."""
    return table.cast(plain_schema(table.schema)).to_pandas(self_destruct=True, split_blocks=True)


def checked_feature_table(
    features: Callable[[Path, Path, Sequence[Cutoff], TransformParams], pd.DataFrame],
    clients: Path,
    claims: Path,
    as_of: dt.date,
    cfg: TransformParams,
    backtest_years: int = 0,
) -> pd.DataFrame:
    """Training rows (and ``backtest_years`` earlier cutoffs) and scoring snapshot by an engine's ``features``,
    after the row check (every engine alike)."""
    cutoffs = snapshot_cutoffs(as_of, cfg.training_years, backtest_years)
    table = features(clients, claims, cutoffs, cfg)
    check_rows(table["year"].value_counts().to_dict(), table.shape[1], cutoffs)
    return table


def write_batches(batches: pa.RecordBatchReader, cutoffs: Sequence[Cutoff], out: Path) -> dict[int, int]:
    """The feature rows of ``batches`` written to ``out`` batch by batch, atomically, after the row check; rows per year.

    The file reads back (``pandas.read_parquet``) as the pandas engine's does: the same
    columns, dtypes and rows; only one batch at a time passes through memory.
    """
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    rows: Counter[int] = Counter()
    schema = plain_schema(batches.schema)
    with atomic_path(out) as tmp:
        with pq.ParquetWriter(tmp, schema) as writer:
            for batch in batches:
                writer.write_batch(batch.cast(schema))
                counts = pc.value_counts(batch.column("year")).to_pylist()
                rows.update({item["values"]: item["counts"] for item in counts})
        check_rows(rows, len(schema), cutoffs)
    return dict(rows)
