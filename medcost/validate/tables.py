"""Tables validated where they are: DuckDB views over Parquet files or Arrow data, standing for pandas frames.

A :class:`Table` stands for the pandas frame the suites were written for (``read_raw`` then
``typed_frame``, or ``claims_clients_frame``) without reading it: its columns' dtypes are
those ``typed_frame`` decides (on a few witness rows per column), its rows keep their file
order and position (the frame's index) or, for Arrow data standing for a frame sorted by a key
(the staged feature table), the position of that order (:mod:`medcost.validate.ordered`), and any rows read back (the first unexpected ones,
distinct values) are typed as the frame's. Every metric a suite asks for is computed in SQL
(:mod:`medcost.validate.metrics`); memory is DuckDB's (its ``memory_limit``, spilling to
``temp_directory``), not the table's size.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from medcost.core.errors import MedcostError
from medcost.validate.frames import RELATION_COLUMN, arrow_frame, typed_frame

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa
    import pyarrow.dataset

ROW = "__medcost_row"
"""A row's position (its index label in the frame): in its Parquet file, or in the key order of a keyed table."""


_FLOATS = ("DOUBLE", "FLOAT", "REAL")


def quoted(name: str) -> str:
    """``name`` as a SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Table:
    """One table in DuckDB: ``view`` holds its rows and their positions (``ROW``), or none if ``key`` orders them."""

    name: str
    con: duckdb.DuckDBPyConnection
    view: str
    schema: pa.Schema
    kinds: dict[str, str]
    rows: int
    dtypes: dict[str, Any]
    sql_types: dict[str, str]
    key: tuple[str, ...] = ()
    reader: Callable[[pa.Table], pd.DataFrame] = arrow_frame
    memo: dict[Any, Any] = field(default_factory=dict, repr=False)

    @property
    def columns(self) -> list[str]:
        return list(self.schema.names)

    def __len__(self) -> int:
        return self.rows

    def typed(self, arrow: pa.Table) -> pd.DataFrame:
        """Rows of this table as the pandas frame holds them: read as its ``reader`` reads them, in the frame's dtypes."""
        read = self.reader(arrow.cast(pa_schema(self.schema, arrow.column_names)))
        frame = typed_frame(read, self.kinds)
        for column in frame.columns:
            if frame[column].dtype != self.dtypes[column]:  # a value elsewhere in the column decided (ns or ms dates)
                # rows all missing are typed as their kind's: the missing values are the reader's (None in text)
                values = read[column] if read[column].isna().all() else frame[column]
                frame[column] = values.astype(self.dtypes[column])
        return frame

    def isnull(self, column: str) -> str:
        """SQL: the value is missing as pandas sees it (NULL, or NaN in a float column)."""
        c = quoted(column)
        return f"({c} IS NULL OR isnan({c}))" if self.sql_types[column] in _FLOATS else f"({c} IS NULL)"

    def arrow(self, sql: str, params: list[Any] | None = None) -> pa.Table:
        """A query's rows as Arrow (no copy through the DB-API cursor)."""
        return self.con.sql(sql, params=params or None).to_arrow_table()

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        rows = self.con.execute(sql, params or []).fetchall()  # DuckDB 2: a result is read to its end
        return rows[0][0] if rows else None


def pa_schema(schema: pa.Schema, names: list[str]) -> pa.Schema:
    """The fields ``names`` of ``schema``, nullable (a file may declare a column NOT NULL that a witness pads)."""
    import pyarrow as pa

    return pa.schema([schema.field(n).with_nullable(True) for n in names])


def parquet_table(con: duckdb.DuckDBPyConnection, name: str, path: str | Path, kinds: Mapping[str, str]) -> Table:
    """The Parquet file at ``path`` as a table of ``con``; ``kinds`` are its declared column types (``extract.tables``)."""
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except FileNotFoundError:
        raise MedcostError(f"{path}: not found (run the extract stage first)") from None
    view = quoted(f"validate_{name}")
    source = str(path).replace("'", "''")
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * EXCLUDE (file_row_number), file_row_number AS {ROW} "
        f"FROM read_parquet('{source}', file_row_number = true)"
    )
    return _table(con, name, view, schema, dict(kinds))


def arrow_table(
    con: duckdb.DuckDBPyConnection,
    name: str,
    data: pa.Table | pa.dataset.Dataset,
    kinds: Mapping[str, str],
    key: Sequence[str],
) -> Table:
    """Arrow data (a table, or a dataset scanned lazily) standing for its frame sorted by ``key``, as a table of ``con``.

    Nothing is copied into DuckDB: every metric scans ``data`` (only the columns it needs), and a
    row's position is that of the sorted frame (``sort_values(key, kind="stable")``), computed
    only for the rows that need one (:mod:`medcost.validate.ordered`). The frame is read as the
    lakehouse reads a version (``to_pandas()``: text as objects, missing integers as floats) and
    then typed (``typed_frame``).
    """
    missing = [k for k in key if k not in data.schema.names]
    if not key or missing:
        raise MedcostError(f"{name}: the key {list(key)} is not among its columns {data.schema.names}")
    source = f"validate_{name}_arrow"
    con.register(source, data)
    view = quoted(f"validate_{name}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM {quoted(source)}")
    return _table(con, name, view, data.schema, dict(kinds), tuple(key), _lakehouse_frame)


def _lakehouse_frame(arrow: pa.Table) -> pd.DataFrame:
    """Arrow rows as the lakehouse reads a version into pandas (``DeltaTable.to_pandas``)."""
    return arrow.to_pandas()


def claims_clients_table(claims: Table, clients: Table) -> Table:
    """One row per claim, in claims' order: ``unknown_client_id`` is its client id if that client is not in clients."""
    import pyarrow as pa

    view = quoted("validate_claims_clients")
    if "client_id" in claims.columns and "client_id" in clients.columns:
        select = (
            f"SELECT CASE WHEN k.id IS NULL THEN c.id END AS {RELATION_COLUMN}, c.{ROW} "
            f"FROM (SELECT TRY_CAST(client_id AS BIGINT) AS id, {ROW} FROM {claims.view}) c "
            f"LEFT JOIN (SELECT DISTINCT TRY_CAST(client_id AS BIGINT) AS id FROM {clients.view}) k ON c.id = k.id"
        )
    else:
        select = f"SELECT CAST(NULL AS BIGINT) AS {RELATION_COLUMN}, {ROW} FROM {claims.view}"
    claims.con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS {select}")
    return _table(claims.con, "claims_clients", view, pa.schema([(RELATION_COLUMN, pa.int64())]), {})


def _table(
    con: duckdb.DuckDBPyConnection,
    name: str,
    view: str,
    schema: pa.Schema,
    kinds: dict[str, str],
    key: tuple[str, ...] = (),
    reader: Callable[[pa.Table], pd.DataFrame] = arrow_frame,
) -> Table:
    sql_types = {str(r[0]): str(r[1]) for r in con.execute(f"DESCRIBE {view}").fetchall()}
    rows = int(con.execute(f"SELECT count(*) FROM {view}").fetchall()[0][0])
    table = Table(name, con, view, schema, kinds, rows, {}, sql_types, key, reader)
    witness = _witness(table)
    table.dtypes = {c: witness[c].dtype for c in witness.columns}
    return table


def _witness(table: Table) -> pd.DataFrame:
    """A few rows per column on which ``typed_frame`` takes the same decisions as on the whole column.

    Its dtype decisions depend only on the Arrow type and, for some, on values: all missing,
    integral floats (an int column stored as float), infinities, dates outside pandas'
    nanosecond range. The least and greatest value and one value of each kind cover them.
    """
    import pyarrow as pa

    picks = []
    for column in table.columns:
        c, sql_type = quoted(column), table.sql_types[column]
        if sql_type in _FLOATS:
            finite = f"NOT isnan({c}) AND NOT isinf({c})"
            values = [
                f"min({c}) FILTER (WHERE {finite})",
                f"max({c}) FILTER (WHERE {finite})",
                f"any_value({c}) FILTER (WHERE isinf({c}))",
                f"any_value({c}) FILTER (WHERE {finite} AND {c} <> round({c}))",
            ]
        elif any(t in sql_type for t in ("[", "STRUCT", "MAP", "UNION")):
            values = [f"any_value({c})"]
        else:
            values = [f"min({c})", f"max({c})"]
        picks.append(f"list_value({', '.join(values)}) AS {c}")
    found = table.arrow(f"SELECT {', '.join(picks)} FROM {table.view}")
    arrays = [found.column(i).combine_chunks().flatten() for i in range(found.num_columns)]
    length = max((len(a) for a in arrays), default=0)
    # padded with a value of their own (a null would make a reader's integers floats)
    padded = [pa.concat_arrays([a, _repeated(a, length - len(a))]) for a in arrays]
    arrow = pa.table(padded, names=table.columns).cast(pa_schema(table.schema, table.columns))
    return typed_frame(table.reader(arrow), table.kinds)


def _repeated(values: pa.Array, count: int) -> pa.Array:
    """``count`` copies of the first value in ``values`` that is not null (nulls if there is none)."""
    import pyarrow as pa

    present = values.drop_null()
    if not len(present):
        return pa.nulls(count, values.type)
    return present.take(pa.array([0] * count, pa.int64()))
