"""The Great Expectations metrics of a DuckDB table in SQL, each the value its pandas engine computes on the frame.

Exactly: counts in SQL, missing values as pandas sees them (NULL, or NaN in a float column)
skipped where its engine skips them; the unexpected values and row positions of the first
unexpected rows in file order, read back typed as the frame's; conditions whose semantics
are Python's (a regex, set membership) tested by pandas on the column's distinct values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from medcost.validate.tables import ROW, Table, quoted

MAP_CONDITIONS = (
    "column_values.nonnull",
    "column_values.null",
    "column_values.unique",
    "column_values.between",
    "column_values.in_set",
    "column_values.match_regex",
    "column_pair_values.a_greater_than_b",
)
"""The map metrics computed in SQL: those of the expectations the suites use."""


def metric(table: Table, name: str, domain: Mapping[str, Any], values: Mapping[str, Any]) -> Any:
    """The value of the Great Expectations metric ``name`` on ``table``, as its pandas engine computes it."""
    if domain.get("row_condition"):
        raise NotImplementedError(f"{table.name}: row conditions are not computed in DuckDB ({name})")
    if name == "table.row_count":
        return table.rows
    if name == "table.columns":
        return table.columns
    if name == "table.column_types":
        return [{"name": c, "type": table.dtypes[c]} for c in table.columns]
    condition, _, suffix = name.rpartition(".")
    if condition not in MAP_CONDITIONS:
        raise NotImplementedError(f"{table.name}: the metric {name} is not computed in DuckDB")
    for key in ("column", "column_A", "column_B"):
        if key in domain and domain[key] not in table.columns:
            raise ValueError(f'Error: The column "{domain[key]}" in BatchData does not exist.')  # as pandas says
    if suffix == "condition":  # the rows themselves never leave DuckDB: the metrics below are computed from SQL
        return None
    kept, unexpected, params = _condition(table, condition, domain, values)
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
        limit = "" if complete else f" LIMIT {int(result_format['partial_unexpected_count'])}"
        sql = f"SELECT {ROW} FROM {table.view} WHERE {where} ORDER BY {ROW}{limit}"
        return [int(r[0]) for r in table.con.execute(sql, params).fetchall()]
    if suffix == "unexpected_values":
        return _unexpected_values(table, domain, where, params, result_format)
    raise NotImplementedError(f"{table.name}: the metric {name} is not computed in DuckDB")


def _unexpected_values(
    table: Table, domain: Mapping[str, Any], where: str, params: list[Any], result_format: Mapping[str, Any]
) -> list[Any]:
    from great_expectations.constants import MAX_RESULT_RECORDS

    if result_format.get("result_format") == "COMPLETE":
        limit = MAX_RESULT_RECORDS
    else:
        limit = min(int(result_format["partial_unexpected_count"]), MAX_RESULT_RECORDS)
    pair = "column_A" in domain
    columns = [domain["column_A"], domain["column_B"]] if pair else [domain["column"]]
    select = ", ".join(quoted(c) for c in columns)
    sql = f"SELECT {select} FROM {table.view} WHERE {where} ORDER BY {ROW} LIMIT {limit}"
    rows = table.typed(table.arrow(sql, params))
    if pair:  # as great_expectations' pandas engine lists them: pairs of numpy values
        return list(zip(rows[columns[0]].values, rows[columns[1]].values))
    return list(rows[columns[0]])


def _condition(
    table: Table, condition: str, domain: Mapping[str, Any], values: Mapping[str, Any]
) -> tuple[str, str, list[Any]]:
    """SQL of the rows a map metric looks at, of those it finds unexpected, and the latter's parameters.

    Missing values are skipped as the pandas engine skips them (not by the null checks themselves).
    """
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
        repeated = f"SELECT {c} FROM {table.view} WHERE {kept} GROUP BY {c} HAVING count(*) > 1"
        return kept, f"{c} IN ({repeated})", []
    if condition == "column_values.between":
        text = table.sql_types[column] == "VARCHAR"
        bounds = [v for v in (values.get("min_value"), values.get("max_value")) if v is not None]
        if any(isinstance(v, str) != text for v in bounds) and table.scalar(
            f"SELECT count(*) FROM {table.view} WHERE {kept}"
        ):
            raise TypeError("Column values, min_value, and max_value must either be None or of the same type.")
        return (kept, *_between(c, values))
    return kept, _distinct_unexpected(table, condition, column, values), []


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
