"""Rows of a table in the frame's order with their positions (``ROW``): stored beside them, or ranked by the table's key.

A Parquet table keeps each row's position in its file (``ROW``). A keyed table (Arrow data
standing for a frame sorted by ``key``, :func:`medcost.validate.tables.arrow_table`) stores no
position: sorting the whole table for one would hold it all in memory, and most metrics
never need one. The few rows that need theirs (the first unexpected rows) get it from counts:
the number of rows whose key sorts before theirs, plus their rank among the rows of the same
key. pandas' stable sort keeps equal keys in file order, which a scan does not know: they are
ranked by their other columns (the same data gives the same positions whatever its files).
Missing key values sort last, as in ``sort_values``. The batch's fingerprint reads every row
in that order (:func:`fingerprint`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from medcost.validate.tables import ROW, Table, quoted

if TYPE_CHECKING:
    import pyarrow as pa


def order_by(table: Table) -> str:
    """SQL ``ORDER BY`` terms listing ``table``'s rows in the frame's order."""
    if not table.key:
        return ROW
    terms = [f"{_key(table, k)} NULLS LAST" for k in table.key]
    return ", ".join(terms + (_ties(table) if _repeated_keys(table) else []))


def ordered(table: Table, columns: Sequence[str], where: str = "TRUE") -> str:
    """SQL: ``columns`` of the rows passing ``where``, in the frame's order."""
    select = ", ".join(quoted(c) for c in columns) or "1"
    return f"SELECT {select} FROM {table.view} WHERE {where} ORDER BY {order_by(table)}"


def first_rows(table: Table, where: str, params: Sequence[Any], columns: Sequence[str], limit: int | None) -> pa.Table:
    """``columns`` and ``ROW`` of the first ``limit`` rows (None: all) passing ``where``, in the frame's order."""
    memo = ("first_rows", where, tuple(map(repr, params)), tuple(columns), limit)
    if memo not in table.memo:
        table.memo[memo] = (_stored if not table.key else _ranked)(table, where, list(params), list(columns), limit)
    found: pa.Table = table.memo[memo]
    return found


def _stored(table: Table, where: str, params: list[Any], columns: list[str], limit: int | None) -> pa.Table:
    select = ", ".join([*(quoted(c) for c in columns), ROW])
    cut = "" if limit is None else f" LIMIT {int(limit)}"
    return table.arrow(f"SELECT {select} FROM {table.view} WHERE {where} ORDER BY {ROW}{cut}", params)


FINGERPRINT_ROWS = 1_000_000
"""Rows per chunk hashed for the batch fingerprint."""


def fingerprint(table: Table, threshold: float) -> str | None:
    """Great Expectations' ``pandas_data_fingerprint`` of the frame ``table`` stands for, hashed chunk by chunk.

    As its pandas engine does: the md5 of the frame's row hashes (``hash_pandas_object``, index
    included), only for a frame of fewer than ``threshold`` bytes (None otherwise). A row's hash
    depends on that row alone, so the chunks' hashes in order are the frame's.
    """
    import pyarrow as pa

    sample = table.typed(table.arrow(f"{ordered(table, table.columns)} LIMIT 1"))
    per_row = int(sample.memory_usage(index=False).sum()) if len(sample) else 0
    if pd.RangeIndex(table.rows).memory_usage() + per_row * table.rows >= threshold:
        return None
    digest, start = hashlib.md5(usedforsecurity=False), 0
    rows = table.con.sql(ordered(table, table.columns))
    reader = rows.to_arrow_reader(FINGERPRINT_ROWS)
    for batch in reader:
        chunk = table.typed(pa.Table.from_batches([batch]))
        chunk.index = pd.RangeIndex(start, start + len(chunk))
        digest.update(pd.util.hash_pandas_object(chunk, index=True).to_numpy())
        start += len(chunk)
    if start == 0:  # no rows: the hash of an empty frame
        digest.update(pd.util.hash_pandas_object(table.typed(rows.limit(0).to_arrow_table()), index=True).to_numpy())
    return digest.hexdigest()


def _ranked(table: Table, where: str, params: list[Any], columns: list[str], limit: int | None) -> pa.Table:
    """Three narrow scans: the first keys with a row passing ``where``, the rows before each, the rows of each."""
    import pyarrow as pa

    names = [f"__k{i}" for i in range(len(table.key))]
    keyed = ", ".join(f"{_key(table, k)} AS {n}" for k, n in zip(table.key, names, strict=True))
    cut = "" if limit is None else f" LIMIT {int(limit)}"
    keys = table.con.execute(
        f"SELECT DISTINCT {keyed} FROM {table.view} WHERE {where} "
        f"ORDER BY {', '.join(f'{n} NULLS LAST' for n in names)}{cut}",
        params,
    ).fetchall()
    empty = pa.schema([table.schema.field(c) for c in columns] + [pa.field(ROW, pa.int64())])
    if not keys:
        return empty.empty_table()
    before: list[str] = []
    before_params: list[Any] = []
    for key in keys:
        sql, values = _before(table, key)
        before.append(f"count(*) FILTER (WHERE {sql})")
        before_params += values
    firsts = table.con.execute(f"SELECT {', '.join(before)} FROM {table.view}", before_params).fetchall()[0]
    first = {tuple(k): int(n) for k, n in zip(keys, firsts, strict=True)}
    same, same_params = [], []
    for key in keys:
        sql, values = _equal(table, key)
        same.append(sql)
        same_params += values
    ties = ", ".join(_ties(table)) or "1"
    select = ", ".join([*(quoted(c) for c in columns), keyed])
    rows = table.arrow(
        f"SELECT {select}, coalesce(({where}), FALSE) AS __bad, "
        f"row_number() OVER (PARTITION BY {', '.join(names)} ORDER BY {ties}) - 1 AS __rank "
        f"FROM {table.view} WHERE {' OR '.join(same)}",
        params + same_params,
    )
    found = rows.to_pylist()
    positions = [first[tuple(r[n] for n in names)] + r["__rank"] for r in found]
    picked = sorted((p, i) for i, (p, r) in enumerate(zip(positions, found, strict=True)) if r["__bad"])
    if limit is not None:
        picked = picked[: int(limit)]
    order = [i for _, i in picked]
    out = rows.select(list(columns)).take(pa.array(order, pa.int64())) if columns else None
    position = pa.array([p for p, _ in picked], pa.int64())
    if out is None:
        return pa.table({ROW: position})
    return out.append_column(ROW, position)


def _repeated_keys(table: Table) -> bool:
    """Whether two rows share a key (then their other columns order them too: a wider, slower sort)."""
    if "repeated_keys" not in table.memo:
        keys = ", ".join(_key(table, k) for k in table.key)
        distinct = table.scalar(f"SELECT count(*) FROM (SELECT DISTINCT {keys} FROM {table.view})")
        table.memo["repeated_keys"] = int(distinct) < table.rows
    return bool(table.memo["repeated_keys"])


def _key(table: Table, column: str) -> str:
    """A key column with NaN as NULL: both are missing to pandas, and sort last together."""
    c = quoted(column)
    return f"(CASE WHEN {table.isnull(column)} THEN NULL ELSE {c} END)"


def _ties(table: Table) -> list[str]:
    """Terms ranking rows of equal key: their other columns (orderable ones)."""
    orderable = [c for c in table.columns if c not in table.key and not _nested(table.sql_types[c])]
    return [f"{quoted(c)} NULLS LAST" for c in orderable]


def _nested(sql_type: str) -> bool:
    return any(t in sql_type for t in ("[", "STRUCT", "MAP", "UNION"))


def _before(table: Table, key: Sequence[Any]) -> tuple[str, list[Any]]:
    """SQL (and parameters): the row's key sorts before ``key`` (lexicographically, missing last)."""
    sql, params = "FALSE", list[Any]()
    for column, value in reversed(list(zip(table.key, key, strict=True))):
        c, missing = quoted(column), table.isnull(column)
        if value is None:  # only a present value sorts before a missing one
            sql = f"(NOT {missing} OR ({missing} AND {sql}))"
        else:
            sql = f"(NOT {missing} AND ({c} < ? OR ({c} = ? AND {sql})))"
            params = [value, value, *params]
    return sql, params


def _equal(table: Table, key: Sequence[Any]) -> tuple[str, list[Any]]:
    terms, params = [], []
    for column, value in zip(table.key, key, strict=True):
        missing = table.isnull(column)
        if value is None:
            terms.append(missing)
        else:
            terms.append(f"(NOT {missing} AND {quoted(column)} = ?)")
            params.append(value)
    return "(" + " AND ".join(terms) + ")", params
