"""What the backtest reads and writes besides its metrics: the published rows of its cutoffs, and its plot data."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from medcost.core.features import FeatureSpec
from medcost.core.io import atomic_path
from medcost.load import read_columns


def needed_years(target_years: Sequence[int], training_years: int) -> list[int]:
    """The cutoffs a backtest of ``target_years`` reads: each year and the ``training_years`` before it."""
    return sorted({y for year in target_years for y in range(year - training_years, year + 1)})


def cutoff_rows(rows: Any, years: Sequence[int], spec: FeatureSpec) -> pd.DataFrame:
    """The key, inputs and target of the rows of ``years`` from published Arrow data (a dataset, scanned with the
    filter, or a table), text columns as pandas categories (as the train stages read their rows)."""
    import pyarrow.compute as pc

    columns = list(dict.fromkeys([*spec.key, "year", *spec.inputs, spec.target]))
    wanted = pc.field("year").isin([int(y) for y in years])
    table = read_columns(rows, columns, wanted, "published feature table")
    frame = table.to_pandas(strings_to_categorical=True)
    return frame.sort_values(list(spec.key), kind="stable").reset_index(drop=True)


def truth_rows(path: str | Path, years: Sequence[int], key: Sequence[str]) -> pd.DataFrame:
    """The demo generator's true expected cost of the scored years' client-years (the oracle's predictions)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    columns = [*key, "expected_cost"]
    present = pq.read_schema(path).names
    wanted = pc.field("year").isin([int(y) for y in years]) if "year" in present else None
    return pq.read_table(path, columns=[c for c in columns if c in present], filters=wanted).to_pandas()


def write_plot(folder: str | Path, tables: dict[str, pd.DataFrame]) -> None:
    """``folder`` (replaced atomically): one ``<name>.csv`` per table."""
    with atomic_path(Path(folder)) as tmp:
        tmp.mkdir(parents=True)
        for name, table in tables.items():
            table.to_csv(tmp / f"{name}.csv", index=False)
