"""Bulk inserts of generated rows: column arrays to database values, and the fastest insert path per driver."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from medcost.demo_data.schema import CATEGORIES

INSERT_BATCH = 50_000
"""Rows per executemany / COPY batch."""

ROWS_PER_STATEMENT = 100
"""Rows per SQLite INSERT statement (14 columns x 100 = 1,400 parameters, under every limit)."""


def _iso(days: np.ndarray) -> np.ndarray:
    """'YYYY-MM-DD' strings (what SQLAlchemy's Date stores on SQLite), via a lookup table."""
    if days.size == 0:
        return np.empty(0, dtype=object)
    low = int(days.min())
    table = np.arange(low, int(days.max()) + 1).astype("datetime64[D]").astype(str).astype(object)
    return table[days - low]


def _dates(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype(object)


def _with_nulls(values: np.ndarray, null: np.ndarray | None) -> np.ndarray:
    out = values.astype(object)
    if null is not None:
        out[null] = None
    return out


def client_columns(c: dict[str, np.ndarray], date: Callable[[np.ndarray], np.ndarray]) -> list[np.ndarray]:
    """The clients columns in ``CLIENT_COLUMNS`` order, as object arrays with None for NULL."""
    return [
        c["client_id"].astype(object),
        date(c["birth_date"]),
        c["sex"],
        c["region"],
        c["plan"],
        _with_nulls(c["smoker"], c["smoker_null"]),
        _with_nulls(c["bmi"], np.isnan(c["bmi"])),
        _with_nulls(c["children"], c["children_null"]),
        c["diabetes"].astype(object),
        c["hypertension"].astype(object),
        c["heart_disease"].astype(object),
        c["copd"].astype(object),
        date(c["enrolled_from"]),
        _with_nulls(date(c["enrolled_to"]), c["enrolled_to_null"]),
    ]


def claim_columns(
    k: dict[str, np.ndarray], first_claim_id: int, date: Callable[[np.ndarray], np.ndarray]
) -> list[np.ndarray]:
    names = np.asarray(CATEGORIES, dtype=object)
    return [
        np.arange(first_claim_id, first_claim_id + k["client_id"].size, dtype=np.int64).astype(object),
        k["client_id"].astype(object),
        date(k["service_date"]),
        date(k["paid_date"]),
        names[k["category"]],
        k["amount"].astype(object),
    ]


def _insert_mode(dialect: str, driver: str) -> str:
    """How rows are inserted: 'sqlite' (raw executemany), 'copy' (PostgreSQL COPY) or 'core'."""
    if dialect == "postgresql" and driver == "psycopg2":
        return "copy"
    if dialect == "sqlite" and driver == "pysqlite":
        return "sqlite"
    return "core"


class Writer:
    """Bulk inserts for one connection: raw executemany on SQLite, COPY on psycopg2,
    SQLAlchemy Core executemany elsewhere.

    :meth:`prepare` turns column arrays into ready-to-send batches and touches no
    connection, so it can run in another thread while :meth:`insert` sends the previous
    block (the SQLite and psycopg2 drivers release the GIL while the database works).
    """

    def __init__(self, conn: Connection, metadata: MetaData) -> None:
        self.conn = conn
        self.metadata = metadata
        self.mode = _insert_mode(conn.dialect.name, conn.dialect.driver)
        self.date: Callable[[np.ndarray], np.ndarray] = _iso if self.mode in ("copy", "sqlite") else _dates
        quote = conn.dialect.identifier_preparer.quote
        self._quote: Callable[[str], str] = quote

    def write(self, table: str, names: Sequence[str], columns: list[np.ndarray]) -> None:
        """Insert the rows of ``columns`` (one array per name) into ``table``."""
        self.insert(self.prepare(table, names, columns))

    def prepare(self, table: str, names: Sequence[str], columns: list[np.ndarray]) -> list[tuple[str, Any]]:
        """The statements and parameters that insert ``columns``, in batches of ``INSERT_BATCH`` rows."""
        prepare = getattr(self, f"_prepare_{self.mode}")
        out: list[tuple[str, Any]] = []
        for start in range(0, columns[0].size, INSERT_BATCH):
            out.extend(prepare(table, names, [col[start : start + INSERT_BATCH] for col in columns]))
        return out

    def insert(self, batches: list[tuple[str, Any]]) -> None:
        """Send batches made by :meth:`prepare` on this writer's connection."""
        if self.mode == "core":
            for table, rows in batches:
                self.conn.execute(self.metadata.tables[table].insert(), rows)
            return
        # The driver's own cursor, inside the connection's transaction (the rows are lists).
        cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            for sql, params in batches:
                if self.mode == "copy":
                    cursor.copy_expert(sql, params)
                else:
                    cursor.executemany(sql, params)
        finally:
            cursor.close()

    def _quoted(self, table: str, names: Sequence[str]) -> str:
        return f"{self._quote(table)} ({', '.join(self._quote(n) for n in names)})"

    def _prepare_sqlite(self, table: str, names: Sequence[str], batch: list[np.ndarray]) -> list[tuple[str, Any]]:
        # Multi-row VALUES (ROWS_PER_STATEMENT rows per step): fewer statement steps and resets;
        # the rows left over go one per statement. Same values, same order, same rowids.
        rows = np.empty((batch[0].size, len(names)), dtype=object)
        for j, col in enumerate(batch):
            rows[:, j] = col
        one = "(" + ", ".join("?" * len(names)) + ")"
        head = f"INSERT INTO {self._quoted(table, names)} VALUES "
        full = rows.shape[0] // ROWS_PER_STATEMENT * ROWS_PER_STATEMENT
        out: list[tuple[str, Any]] = []
        if full:
            wide = rows[:full].reshape(-1, ROWS_PER_STATEMENT * len(names)).tolist()
            out.append((head + ", ".join([one] * ROWS_PER_STATEMENT), wide))
        if full < rows.shape[0]:
            out.append((head + one, rows[full:].tolist()))
        return out

    def _prepare_core(self, table: str, names: Sequence[str], batch: list[np.ndarray]) -> list[tuple[str, Any]]:
        lists = [col.tolist() for col in batch]
        return [(table, [dict(zip(names, row)) for row in zip(*lists)])]

    def _prepare_copy(self, table: str, names: Sequence[str], batch: list[np.ndarray]) -> list[tuple[str, Any]]:
        def text(col: np.ndarray) -> list[str]:
            return ["\\N" if v is None else str(v) for v in col.tolist()]

        buf = io.StringIO("\n".join("\t".join(row) for row in zip(*(text(c) for c in batch))) + "\n")
        return [(f"COPY {self._quoted(table, names)} FROM STDIN", buf)]
