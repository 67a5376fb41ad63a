"""The train, test and scoring parts written from the published rows in DuckDB: only keys and targets enter pandas.

The split itself (:func:`medcost.split.split_train_test`) needs only each row's key and target, so
that is all that is read into pandas (three numbers a row); DuckDB then writes each part straight
from the published Arrow rows to Parquet, sorted by the key, spilling beyond its memory limit. At
5 million clients a pandas copy of the whole table (ten million rows of 30 columns) took more
memory than a stage may use; this way the stage holds little more than the keys.

The parts are the rows a pandas split of the whole frame gives, in the same order; their column
types are the table's (an integer column with missing values stays an integer column in the
Parquet file, and pandas reads it back as floats, as before).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from medcost.core.duck import connect
from medcost.core.errors import MedcostError
from medcost.core.io import atomic_path
from medcost.core.params import DuckDBParams, SplitParams
from medcost.split.split import split_train_test, training_rows

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

_ROWS = "published_rows"
_TEST_CLIENTS = "test_clients"


@dataclass(frozen=True)
class PartPaths:
    """Where the parts go."""

    train: Path
    test: Path
    scoring: Path


@dataclass(frozen=True)
class PartSizes:
    """The rows written to each part."""

    train: int
    test: int
    scoring: int


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def split_published(
    rows: object,
    key: list[str],
    target: str,
    training_years: Sequence[int],
    scoring_year: int,
    cfg: SplitParams,
    settings: DuckDBParams,
    paths: PartPaths,
) -> PartSizes:
    """Split ``rows`` (Arrow data or a frame DuckDB can scan) into train/test by whole clients and write them and
    the scoring snapshot (no target column) to ``paths``, each sorted by ``key``; the rows written to each."""
    with connect(settings) as con:
        con.register(_ROWS, rows)
        columns = [str(c) for c in con.sql(f"SELECT * FROM {_ROWS}").columns]
        missing = [c for c in [*key, "year", target] if c not in columns]
        if missing:
            raise MedcostError(f"feature table: column {', '.join(dict.fromkeys(missing))} missing")
        in_training = f"year IN ({', '.join(map(str, sorted(set(training_years))))})"
        labels = con.sql(
            f"SELECT {', '.join(map(_quote, dict.fromkeys([*key, 'year', target])))} FROM {_ROWS} WHERE {in_training}"
        ).df()
        [(scoring_rows,)] = con.execute(f"SELECT count(*) FROM {_ROWS} WHERE year = {int(scoring_year)}").fetchall()
        train_labels = training_rows(labels, target, training_years, int(scoring_rows), scoring_year)
        train_keys, test_keys = split_train_test(
            train_labels,
            target,
            key,
            cfg.test_size,
            cfg.seed,
            cfg.bins,
            cfg.tail,
            min_test_rows=cfg.min_test_rows,
        )
        group = [c for c in key if c != "year"]
        con.register(_TEST_CLIENTS, test_keys[group].drop_duplicates())
        order = ", ".join(map(_quote, key))
        clients = f"{_TEST_CLIENTS} USING ({', '.join(map(_quote, group))})"
        for join, path in (("ANTI", paths.train), ("SEMI", paths.test)):
            _copy(con, f"SELECT * FROM {_ROWS} {join} JOIN {clients} WHERE {in_training} ORDER BY {order}", path)
        _copy(
            con,
            f"SELECT * EXCLUDE ({_quote(target)}) FROM {_ROWS} WHERE year = {int(scoring_year)} ORDER BY {order}",
            paths.scoring,
        )
    return PartSizes(train=len(train_keys), test=len(test_keys), scoring=int(scoring_rows))


def _copy(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    """The result of ``query`` written to the Parquet file ``path``, atomically (nothing there if it fails)."""
    with atomic_path(path) as tmp:
        con.execute(f"COPY ({query}) TO '{tmp.as_posix()}' (FORMAT parquet)")
