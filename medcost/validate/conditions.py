"""Great Expectations' row conditions as DuckDB SQL, keeping the rows pandas keeps.

The conditions built with ``Column("year") == 2025``, ``.is_in``, ``&`` and ``|``.

Its pandas engine filters the frame with ``DataFrame.query``; there a missing value (NULL, NaN)
fails every comparison except ``not in`` and, in float and text columns, ``!=``. Conditions of
other kinds (pandas query strings, pass-through filters) and columns of other dtypes (dates,
objects) raise ``NotImplementedError``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from medcost.validate.tables import Table

_OPERATORS = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def row_filter(table: Table, domain: Mapping[str, Any]) -> str:
    """SQL of the rows a metric's domain keeps (``TRUE`` without a row condition)."""
    condition = domain.get("row_condition")
    if not condition:
        return "TRUE"
    from great_expectations.expectations.row_conditions import (
        Condition,
        PassThroughCondition,
        deserialize_row_condition,
    )

    if isinstance(condition, Mapping):
        condition = deserialize_row_condition(dict(condition))
    if isinstance(condition, PassThroughCondition) or not isinstance(condition, Condition):
        raise NotImplementedError(f"{table.name}: the row condition {condition!r} is not computed in DuckDB")
    return _sql(table, condition)


def _sql(table: Table, condition: Any) -> str:
    from great_expectations.expectations.row_conditions import (
        AndCondition,
        ComparisonCondition,
        NullityCondition,
        OrCondition,
    )

    if isinstance(condition, AndCondition | OrCondition):
        joiner = " AND " if isinstance(condition, AndCondition) else " OR "
        return "(" + joiner.join(_sql(table, c) for c in condition.conditions) + ")"
    column = condition.column.name
    if column not in table.columns:
        raise ValueError(f"row condition: name '{column}' is not defined")  # as DataFrame.query says
    missing = table.isnull(column)
    if isinstance(condition, NullityCondition):
        return missing if condition.is_null else f"(NOT {missing})"
    if not isinstance(condition, ComparisonCondition):
        raise NotImplementedError(f"{table.name}: the row condition {condition!r} is not computed in DuckDB")
    dtype = table.dtypes[column]
    floats, text = pd.api.types.is_float_dtype(dtype), isinstance(dtype, pd.StringDtype)
    if not (floats or text or pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
        raise NotImplementedError(f"{table.name}: a row condition on {column} ({dtype}) is not computed in DuckDB")
    op, c = str(getattr(condition.operator, "value", condition.operator)), _quoted(column)
    if op in ("IN", "NOT_IN"):
        values = [_literal(v) for v in condition.parameter]
        test = f"{c} IN ({', '.join(values)})" if values else "FALSE"
        return f"({missing} OR NOT ({test}))" if op == "NOT_IN" else f"(NOT {missing} AND {test})"
    test = f"{c} {_OPERATORS[op]} {_literal(condition.parameter)}"
    if op == "!=" and (floats or text):  # NaN != x, and pandas' string NA != x, hold
        return f"({missing} OR {test})"
    return f"(NOT {missing} AND {test})"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: Any) -> str:
    """A condition's parameter as a SQL literal (Great Expectations allows numbers and text)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float) and math.isfinite(value):
        return repr(float(value))
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise NotImplementedError(f"a row condition's parameter {value!r} is not computed in DuckDB")
