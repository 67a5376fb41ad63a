"""Bulk inserts of generated rows: column arrays to database values, and the fastest insert path per driver."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import numpy as np
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from medcost.demo_data.schema import CATEGORIES

INSERT_BATCH = 50_000
"""Rows per executemany / COPY batch."""


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
    SQLAlchemy Core executemany elsewhere."""

    def __init__(self, conn: Connection, metadata: MetaData) -> None:
        self.conn = conn
        self.metadata = metadata
        self.mode = _insert_mode(conn.dialect.name, conn.dialect.driver)
        self.date: Callable[[np.ndarray], np.ndarray] = _iso if self.mode in ("copy", "sqlite") else _dates

    def write(self, table: str, names: Sequence[str], columns: list[np.ndarray]) -> None:
        rows = columns[0].size
        for start in range(0, rows, INSERT_BATCH):
            batch = [col[start : start + INSERT_BATCH] for col in columns]
            getattr(self, f"_write_{self.mode}")(table, names, batch)

    def _quoted(self, table: str, names: Sequence[str]) -> str:
        quote = self.conn.dialect.identifier_preparer.quote
        return f"{quote(table)} ({', '.join(quote(n) for n in names)})"

    def _write_sqlite(self, table: str, names: Sequence[str], batch: list[np.ndarray]) -> None:
        sql = f"INSERT INTO {self._quoted(table, names)} VALUES ({', '.join('?' * len(names))})"
        self.conn.exec_driver_sql(sql, list(zip(*(col.tolist() for col in batch))))

    def _write_core(self, table: str, names: Sequence[str], batch: list[np.ndarray]) -> None:
        lists = [col.tolist() for col in batch]
        self.conn.execute(self.metadata.tables[table].insert(), [dict(zip(names, row)) for row in zip(*lists)])

    def _write_copy(self, table: str, names: Sequence[str], batch: list[np.ndarray]) -> None:
        def text(col: np.ndarray) -> list[str]:
            return ["\\N" if v is None else str(v) for v in col.tolist()]

        buf = io.StringIO("\n".join("\t".join(row) for row in zip(*(text(c) for c in batch))) + "\n")
        cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.copy_expert(f"COPY {self._quoted(table, names)} FROM STDIN", buf)
        finally:
            cursor.close()
