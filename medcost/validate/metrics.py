"""The Great Expectations metrics of a DuckDB table in SQL, each the value its pandas engine computes on the frame.

Exactly: counts in SQL, missing values as pandas sees them (NULL, or NaN in a float column)
skipped where its engine skips them, row conditions as ``DataFrame.query`` keeps rows
(:mod:`medcost.validate.conditions`); the unexpected values and row positions of the first
unexpected rows in the frame's order (:mod:`medcost.validate.ordered`), read back typed as the
frame's; conditions whose semantics are Python's (a regex, set membership) tested by pandas on
the column's distinct values; a column's mean by pandas on that one column read in the frame's
order (a float sum depends on its order).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from medcost.validate.conditions import row_filter
from medcost.validate.ordered import first_rows, ordered
from medcost.validate.tables import ROW, Table, quoted

MAP_CONDITIONS = (
    "column_values.nonnull",
    "column_values.null",
    "column_values.unique",
    "column_values.between",
    "column_values.in_set",
    "column_values.match_regex",
    "column_pair_values.a_greater_than_b",
    "compound_columns.unique",
)
"""The map metrics computed in SQL: those of the expectations the suites use."""


def metric(table: Table, name: str, domain: Mapping[str, Any], values: Mapping[str, Any]) -> Any:
    """The value of the Great Expectations metric ``name`` on ``table``, as its pandas engine computes it."""
    scope = row_filter(table, domain)
    if name == "table.row_count":
        return table.rows if scope == "TRUE" else int(table.scalar(f"SELECT count(*) FROM {table.view} WHERE {scope}"))
    if name == "table.columns":
        return table.columns
    if name == "table.column_types":
        return [{"name": c, "type": table.dtypes[c]} for c in table.columns]
    columns = _columns(table, domain)
    if name == "column.mean":  # pandas' own mean of the column, read in the frame's order
        return table.typed(table.arrow(ordered(table, columns, scope)))[columns[0]].mean()
    condition, _, suffix = name.rpartition(".")
    if condition not in MAP_CONDITIONS:
        raise NotImplementedError(f"{table.name}: the metric {name} is not computed in DuckDB")
    kept, unexpected, params = _condition(table, condition, domain, values, scope)  # raises where pandas' does
    if suffix == "condition":  # the rows themselves never leave DuckDB: the metrics below are computed from SQL
        return None
    if suffix == "filtered_row_count":
        return int(table.scalar(f"SELECT count(*) FROM {table.view} WHERE {kept}"))
    where = f"{kept} AND {unexpected}"
    if suffix == "unexpected_count":
        return int(table.scalar(f"SELECT count(*) FROM {table.view} WHERE {where}", params))
    result_format = dict(values.get("result_format") or {})
    if result_format.get("unexpected_index_column_names"):
        raise NotImplementedError(f"{table.name}: unexpected_index_column_names is not computed in DuckDB")
    if suffix == "unexpected_index_query":
        if result_format.get("return_unexpected_index_query"):
            raise NotImplementedError(f"{table.name}: unexpected_index_query is not computed in DuckDB")
        return None
    complete = result_format.get("result_format") == "COMPLETE"
    if suffix == "unexpected_index_list":
        limit = None if complete else int(result_format["partial_unexpected_count"])
        return [int(r) for r in first_rows(table, where, params, columns, limit).column(ROW).to_pylist()]
    if suffix == "unexpected_values":
        return _unexpected_values(table, condition, columns, where, params, result_format)
    raise NotImplementedError(f"{table.name}: the metric {name} is not computed in DuckDB")


def _columns(table: Table, domain: Mapping[str, Any]) -> list[str]:
    """The columns of a metric's domain, each checked to exist."""
    if "column_list" in domain:
        columns = list(domain["column_list"])
    else:
        columns = [domain[k] for k in ("column", "column_A", "column_B") if k in domain]
    for column in columns:
        if column not in table.columns:
            raise ValueError(f'Error: The column "{column}" in BatchData does not exist.')  # as pandas says
    return columns


def _unexpected_values(
    table: Table,
    condition: str,
    columns: list[str],
    where: str,
    params: list[Any],
    result_format: Mapping[str, Any],
) -> list[Any]:
    from great_expectations.constants import MAX_RESULT_RECORDS

    if result_format.get("result_format") == "COMPLETE":
        limit = MAX_RESULT_RECORDS
    else:
        limit = min(int(result_format["partial_unexpected_count"]), MAX_RESULT_RECORDS)
    rows = table.typed(first_rows(table, where, params, columns, limit).drop_columns([ROW]))
    if condition == "compound_columns.unique":  # as great_expectations' pandas engine lists them: one dict a row
        return rows[columns].to_dict("records")
    if condition == "column_pair_values.a_greater_than_b":  # pairs of numpy values
        return list(zip(rows[columns[0]].values, rows[columns[1]].values))
    return list(rows[columns[0]])


def _condition(
    table: Table, condition: str, domain: Mapping[str, Any], values: Mapping[str, Any], scope: str
) -> tuple[str, str, list[Any]]:
    """SQL of the rows a map metric looks at (within ``scope``), of those it finds unexpected, and the latter's parameters.

    Missing values are skipped as the pandas engine skips them (not by the null checks themselves).
    """
    kept, unexpected, params = _unscoped(table, condition, domain, values, scope)
    return f"{scope} AND {kept}", unexpected, params


def _unscoped(
    table: Table, condition: str, domain: Mapping[str, Any], values: Mapping[str, Any], scope: str
) -> tuple[str, str, list[Any]]:
    if condition == "compound_columns.unique":
        return _compound_unique(table, domain, scope)
    if condition == "column_pair_values.a_greater_than_b":
        a, b = domain["column_A"], domain["column_B"]
        ignore = domain.get("ignore_row_if") or "both_values_are_missing"
        kept = {
            "either_value_is_missing": f"NOT {table.isnull(a)} AND NOT {table.isnull(b)}",
            "both_values_are_missing": f"NOT ({table.isnull(a)} AND {table.isnull(b)})",
            "neither": "TRUE",
        }.get(ignore)
        if kept is None:
            raise ValueError(f'Unrecognized value of ignore_row_if ("{ignore}").')
        op = ">=" if values.get("or_equal") else ">"
        return kept, f"NOT coalesce({quoted(a)} {op} {quoted(b)}, FALSE)", []
    column = domain["column"]
    c, missing = quoted(column), table.isnull(column)
    if condition == "column_values.nonnull":
        return "TRUE", missing, []
    if condition == "column_values.null":
        return "TRUE", f"NOT {missing}", []
    kept = f"NOT {missing}"
    if condition == "column_values.unique":
        repeated = f"SELECT {c} FROM {table.view} WHERE {scope} AND {kept} GROUP BY {c} HAVING count(*) > 1"
        return kept, f"{c} IN ({repeated})", []
    if condition == "column_values.between":
        text = table.sql_types[column] == "VARCHAR"
        bounds = [v for v in (values.get("min_value"), values.get("max_value")) if v is not None]
        if any(isinstance(v, str) != text for v in bounds) and table.scalar(
            f"SELECT count(*) FROM {table.view} WHERE {scope} AND {kept}"
        ):
            raise TypeError("Column values, min_value, and max_value must either be None or of the same type.")
        return (kept, *_between(c, values))
    return kept, _distinct_unexpected(table, condition, column, values), []


def _compound_unique(table: Table, domain: Mapping[str, Any], scope: str) -> tuple[str, str, list[Any]]:
    """Rows whose values in ``column_list`` repeat (pandas' ``duplicated(keep=False)``: missing values equal)."""
    columns = list(domain["column_list"])
    missing = [table.isnull(c) for c in columns]
    ignore = domain.get("ignore_row_if") or "all_values_are_missing"
    kept = {
        "all_values_are_missing": f"NOT ({' AND '.join(missing)})",
        "any_value_is_missing": f"NOT ({' OR '.join(missing)})",
        "never": "TRUE",
    }.get(ignore)
    if kept is None:
        raise ValueError(f'Unrecognized value of ignore_row_if ("{ignore}").')
    values = [f"(CASE WHEN {m} THEN NULL ELSE {quoted(c)} END)" for c, m in zip(columns, missing, strict=True)]
    key = ("compound_columns.unique", tuple(columns), scope, kept)
    if key not in table.memo:  # the repeated values, once (few): every query of this metric tests rows against them
        name = quoted(f"validate_repeated_{len(table.memo)}_{table.name}")
        keys = ", ".join(f"{v} AS __k{i}" for i, v in enumerate(values))
        table.con.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {keys} FROM {table.view} "
            f"WHERE {scope} AND {kept} GROUP BY ALL HAVING count(*) > 1"
        )
        table.memo[key] = name
    # structs compare missing fields as equal (as duplicated does); a correlated EXISTS would hash every key again
    row = ", ".join(f"__k{i} := {v}" for i, v in enumerate(values))
    repeated = ", ".join(f"__k{i} := __k{i}" for i in range(len(values)))
    return kept, f"struct_pack({row}) IN (SELECT struct_pack({repeated}) FROM {table.memo[key]})", []


def _between(c: str, values: Mapping[str, Any]) -> tuple[str, list[Any]]:
    low, high = values.get("min_value"), values.get("max_value")
    if low is None and high is None:
        raise ValueError("min_value and max_value cannot both be None")
    if low is not None and high is not None and low > high:
        raise ValueError("min_value cannot be greater than max_value")
    tests, params = [], []
    if low is not None:
        tests.append(f"{c} {'>' if values.get('strict_min') else '>='} ?")
        params.append(low)
    if high is not None:
        tests.append(f"{c} {'<' if values.get('strict_max') else '<='} ?")
        params.append(high)
    return f"NOT coalesce({' AND '.join(tests)}, FALSE)", params


def _distinct_unexpected(table: Table, condition: str, column: str, values: Mapping[str, Any]) -> str:
    """Set membership and regexes, tested by pandas (as its engine tests them) on the column's distinct values."""
    c = quoted(column)
    if condition == "column_values.in_set" and values.get("value_set") is None:
        return "FALSE"  # vacuously true, as in great_expectations
    key = (condition, column, repr(sorted(values.items(), key=lambda kv: kv[0])))
    if key not in table.memo:
        found = table.arrow(f"SELECT DISTINCT {c} FROM {table.view} WHERE NOT {table.isnull(column)}")
        distinct = table.typed(found)[column]
        if condition == "column_values.in_set":
            bad = ~distinct.isin(values["value_set"])
        else:
            bad = ~distinct.astype(str).str.contains(values["regex"])
        unexpected = found.filter(bad.to_numpy(dtype=bool))
        name = f"validate_unexpected_{len(table.memo)}_{table.name}"
        table.con.register(name, unexpected)
        table.memo[key] = quoted(name)
    return f"{c} IN (SELECT {c} FROM {table.memo[key]})"


def quantiles(table: Table, column: str, qs: Iterable[float]) -> dict[float, float]:
    """``pd.to_numeric(frame[column], errors="coerce").quantile(q)`` for each q, to the bit.

    The order statistics it interpolates come from DuckDB (one sort of the column); the
    interpolation is numpy's ``linear`` method, step by step in the same float operations
    (DuckDB's ``quantile_cont`` differs in the last bits).
    """
    x = f"TRY_CAST({quoted(column)} AS DOUBLE)"
    present = f"SELECT {x} AS x FROM {table.view} WHERE {x} IS NOT NULL AND NOT isnan({x})"
    n = int(table.scalar(f"SELECT count(*) FROM ({present})"))
    if n == 0:
        return {float(q): math.nan for q in qs}
    steps: dict[float, tuple[int, int, float]] = {}
    for q in qs:
        virtual = (n - 1) * ((float(q) * 100.0) / 100.0)  # pandas asks numpy for the percentile q * 100
        below = math.floor(virtual)
        if virtual >= n - 1:  # numpy takes the last value (index -1) for both
            below = above = -1
        elif virtual < 0:
            below = above = 0
        else:
            above = below + 1
        steps[float(q)] = (below, above, virtual - below)
    wanted = sorted({i % n for below, above, _ in steps.values() for i in (below, above)})
    found = dict(
        table.con.execute(
            f"SELECT i, x FROM (SELECT x, row_number() OVER (ORDER BY x) - 1 AS i FROM ({present})) "
            f"WHERE i IN ({', '.join(map(str, wanted))})"
        ).fetchall()
    )
    out = {}
    for q, (below, above, gamma) in steps.items():
        a, b = float(found[below % n]), float(found[above % n])
        diff = b - a
        out[q] = b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma  # numpy's _lerp
    return out
