"""The profile of a raw extract (a SnapshotProfile), from pandas frames or out of core in DuckDB, to the same bits.

Both give the same measures, bit for bit: counts are exact in either; a rate is an exact count
divided by another in Python, as numpy divides them; the mean and quantiles of each paid year's
and category's amounts are computed by the same pandas calls on the same values in the same
(file) order, DuckDB handing over one year's amounts at a time instead of the whole table.
Category and region values are cleaned by pandas' string methods on the distinct raw values.
The measures are named in :mod:`medcost.validate.profile`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from medcost.core.contracts import ProfileMeasure, SnapshotProfile
from medcost.core.params import ExtractParams, TransformParams
from medcost.validate.frames import typed_frame
from medcost.validate.tables import ROW, Table, quoted

if TYPE_CHECKING:
    import pyarrow as pa

QUANTILES = (0.9, 0.99)

Put = Callable[[str, str, float], None]


def _cleaned(values: pd.Series) -> pd.Series:
    """Raw category values as transform cleans them: trimmed, lower-case."""
    return values.astype("string").str.strip().str.lower()


def _rate(count: int, total: int) -> float:
    """``count / total`` as numpy's mean of a 0/1 column gives it (an exact sum over an exact count)."""
    return count / total if total else float("nan")


def _amounts(put: Put, year: int, name: str, amounts: pd.Series) -> None:
    put(f"claims.amount.mean.{year}.{name}", "amount", amounts.mean() if len(amounts) else 0.0)
    for q in QUANTILES:
        put(f"claims.amount.q{q:g}.{year}.{name}", "amount", amounts.quantile(q) if len(amounts) else 0.0)


def profile_snapshot(
    clients: pd.DataFrame | Table, claims: pd.DataFrame | Table, extract: ExtractParams, transform: TransformParams
) -> SnapshotProfile:
    """The profile of a raw extract: the frames as extract wrote them, or its Parquet files in DuckDB."""
    measures: dict[str, ProfileMeasure] = {}

    def put(name: str, kind: str, value: float) -> None:
        measures[name] = ProfileMeasure(kind=kind, value=float(value) if np.isfinite(value) else 0.0)

    years = list(range(extract.history_start.year, extract.as_of.year))
    if isinstance(clients, Table) and isinstance(claims, Table):
        _table_measures(put, clients, claims, years, transform)
    elif isinstance(clients, pd.DataFrame) and isinstance(claims, pd.DataFrame):
        _frame_measures(put, clients, claims, years, extract, transform)
    else:
        raise TypeError("profile_snapshot: clients and claims are both frames or both DuckDB tables")
    return SnapshotProfile(as_of=extract.as_of.isoformat(), years=years, measures=dict(sorted(measures.items())))


def _enrolled(clients: pd.DataFrame, year: int) -> pd.Series:
    start, end = pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31)
    return (clients["enrolled_from"] <= end) & (clients["enrolled_to"].isna() | (clients["enrolled_to"] >= start))


def _frame_measures(
    put: Put,
    clients: pd.DataFrame,
    claims: pd.DataFrame,
    years: list[int],
    extract: ExtractParams,
    transform: TransformParams,
) -> None:
    clients = typed_frame(clients, extract.tables["clients"].columns)
    claims = typed_frame(claims, extract.tables["claims"].columns)
    put("clients.rows", "count", len(clients))
    paid = claims["paid_date"].dt.year
    category = _cleaned(claims["category"])
    for year in years:
        in_year = claims[paid == year]
        enrolled = int(_enrolled(clients, year).sum())
        put(f"claims.rows.{year}", "count", len(in_year))
        put(f"claims.per_client_year.{year}", "count", len(in_year) / enrolled if enrolled else 0.0)
        claimants = in_year["client_id"].nunique()
        put(f"claims.claimant_share.{year}", "rate", claimants / enrolled if enrolled else 0.0)
        for name in transform.claim_categories:
            _amounts(put, year, name, in_year.loc[category[paid == year] == name, "amount"])
    for flag in transform.flags:
        put(f"clients.{flag}.rate", "rate", clients[flag].astype("float64").mean())
    for column in transform.categorical:
        for value, share in _cleaned(clients[column]).value_counts(normalize=True).sort_index().items():
            put(f"clients.{column}.share.{value}", "rate", share)
    for table, frame in (("clients", clients), ("claims", claims)):
        for column in frame.columns:
            put(f"{table}.{column}.null_rate", "rate", frame[column].isna().mean() if len(frame) else 0.0)


def _table_measures(put: Put, clients: Table, claims: Table, years: list[int], transform: TransformParams) -> None:
    con = claims.con
    put("clients.rows", "count", clients.rows)
    per_year = {
        int(year): (int(rows), int(claimants))
        for year, rows, claimants in con.execute(
            f"SELECT year(paid_date), count(*), count(DISTINCT client_id) FROM {claims.view} "
            "WHERE paid_date IS NOT NULL GROUP BY ALL"
        ).fetchall()
    }
    enrolled_sql = ", ".join(
        "count(*) FILTER (WHERE enrolled_from <= ? AND (enrolled_to IS NULL OR enrolled_to >= ?))" for _ in years
    )
    bounds = [d for y in years for d in (pd.Timestamp(y, 12, 31), pd.Timestamp(y, 1, 1))]
    enrolled_row = con.execute(f"SELECT {enrolled_sql} FROM {clients.view}", bounds).fetchall()[0] if years else ()
    names = list(transform.claim_categories)
    codes = _category_codes(claims, names)
    for year, enrolled in zip(years, enrolled_row or ()):
        rows, claimants = per_year.get(year, (0, 0))
        put(f"claims.rows.{year}", "count", rows)
        put(f"claims.per_client_year.{year}", "count", rows / enrolled if enrolled else 0.0)
        put(f"claims.claimant_share.{year}", "rate", claimants / enrolled if enrolled else 0.0)
        for k, name in enumerate(names):  # one category of one year at a time: 19 M amounts a year at 5M clients
            found = claims.arrow(
                f"SELECT c.amount FROM {claims.view} c JOIN {codes} m ON c.category = m.raw "
                f"WHERE year(c.paid_date) = ? AND m.code = ? ORDER BY c.{ROW}",
                [year, k],
            )
            _amounts(put, year, name, claims.typed(found)["amount"])
    for flag in transform.flags:
        column = clients.arrow(f"SELECT {quoted(flag)} FROM {clients.view} ORDER BY {ROW}")
        put(f"clients.{flag}.rate", "rate", clients.typed(column)[flag].astype("float64").mean())
    for column in transform.categorical:
        counts = _cleaned_counts(clients, column)
        total = sum(counts.values())
        for value in sorted(counts):
            put(f"clients.{column}.share.{value}", "rate", _rate(counts[value], total))
    for table in (clients, claims):
        if not table.rows:
            for column in table.columns:
                put(f"{table.name}.{column}.null_rate", "rate", 0.0)
            continue
        missing = ", ".join(f"count(*) FILTER (WHERE {table.isnull(c)})" for c in table.columns)
        counts_row = con.execute(f"SELECT {missing} FROM {table.view}").fetchall()[0]
        for column, count in zip(table.columns, counts_row):
            put(f"{table.name}.{column}.null_rate", "rate", _rate(int(count), table.rows))


def _distinct(table: Table, column: str) -> tuple[pa.Table, pd.Series]:
    """The distinct values of ``column`` with their counts (Arrow), and the values cleaned as transform cleans them."""
    c = quoted(column)
    found = table.arrow(f"SELECT {c}, count(*) AS n FROM {table.view} GROUP BY ALL")
    return found, _cleaned(table.typed(found.select([column]))[column])


def _cleaned_counts(table: Table, column: str) -> dict[str, int]:
    """Rows per cleaned value of ``column`` (missing values not counted, as ``value_counts`` does not)."""
    found, cleaned = _distinct(table, column)
    counts: dict[str, int] = {}
    for value, n in zip(cleaned, found.column("n").to_pylist()):
        if not pd.isna(value):
            counts[value] = counts.get(value, 0) + int(n)
    return counts


def _category_codes(claims: Table, names: list[str]) -> str:
    """A view from each raw claims category (as stored) to the position of its cleaned value in ``names``."""
    import pyarrow as pa

    found, cleaned = _distinct(claims, "category")
    keep = cleaned.isin(names).fillna(False).to_numpy(dtype=bool)
    code = [names.index(v) for v in cleaned[keep]]
    mapping = pa.table({"raw": found.column("category").filter(pa.array(keep)), "code": pa.array(code, pa.int8())})
    claims.con.register("validate_category_codes", mapping)
    return quoted("validate_category_codes")
