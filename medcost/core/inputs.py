"""The declared ranges and types of a model's inputs, and the one per-row check of a frame against them.

The rules come from the params the pipeline already enforces on the feature table (transform's
columns and ``valid_ranges``, validate's ``age`` and ``value_sets``, a history cost is never
negative), so a row the served or batch model accepts is a row validate would have accepted.
They are stored with each registered model (``input_rules.json``): the server, batch predict
and promote's champion scoring all answer each row with a prediction or with the reasons it
was rejected, e.g. ``age = 1e+12: above 120 (validate.age)``.

A missing value (null, NaN) is accepted in every column: the pipelines impute it. An unknown
category is rejected, although the one-hot encoder would ignore it: a typo must not be scored
as the reference category.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from medcost.core.errors import MedcostError
from medcost.core.features import FeatureSpec, history_columns
from medcost.core.params import TransformParams, ValidateParams

RULES_FILE = "input_rules.json"
"""The rules' file name in a registered model's artifacts."""

DEFINED_RANGES: dict[str, tuple[float | None, float | None]] = {
    "tenure_years": (0.0, None),
    "months_enrolled_prev": (0.0, 12.0),
}
"""Derived features whose range follows from their definition (as validate's feature suite checks them)."""

FREE_SIGN = ("cost_trend",)
"""History features that may be negative: a difference of two years' costs."""


class ColumnRule(BaseModel):
    """One input column: a number within [low, high] (or one of ``allowed``), or one of ``values``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["number", "category"]
    low: float | None = None
    high: float | None = None
    allowed: list[float] | None = None  # number: the only values (a 0/1 flag)
    values: list[str] | None = None  # category: the allowed labels
    source: str  # the param (or definition) a rejection names


class InputRules(BaseModel):
    """Every input column of a model, in the model's order, with its rule."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    columns: dict[str, ColumnRule] = Field(min_length=1)

    @classmethod
    def from_params(cls, transform: TransformParams, validate: ValidateParams) -> InputRules:
        """The rules of the feature table the params describe (raises MedcostError for a column without one)."""
        spec = FeatureSpec.from_params(transform)
        history = set(history_columns(transform))
        rules: dict[str, ColumnRule] = {}
        for name in spec.numeric:
            if name in transform.flags:
                rules[name] = ColumnRule(kind="number", allowed=[0.0, 1.0], source="transform.flags")
            elif name in transform.valid_ranges:
                low, high = transform.valid_ranges[name]
                rules[name] = ColumnRule(kind="number", low=low, high=high, source="transform.valid_ranges")
            elif name == "age":
                rules[name] = ColumnRule(
                    kind="number", low=validate.age[0], high=validate.age[1], source="validate.age"
                )
            elif name in DEFINED_RANGES:
                start, end = DEFINED_RANGES[name]
                rules[name] = ColumnRule(kind="number", low=start, high=end, source=f"the definition of {name}")
            elif name in history and name.startswith("cost_prev"):
                rules[name] = ColumnRule(
                    kind="number",
                    low=0.0,
                    high=validate.max_history_cost,
                    source="never negative, validate.max_history_cost",
                )
            elif name in history and name not in FREE_SIGN:
                rules[name] = ColumnRule(kind="number", low=0.0, source="a claim history total is never negative")
            else:  # a plain numeric column: any finite number
                rules[name] = ColumnRule(kind="number", source="transform.numeric")
        for name in spec.categorical:
            if name not in validate.value_sets:
                raise MedcostError(f"params.yaml: validate.value_sets has no allowed values for column {name}")
            rules[name] = ColumnRule(
                kind="category", values=list(validate.value_sets[name]), source="validate.value_sets"
            )
        return cls(columns=rules)


def shown(value: object) -> str:
    """A value as a rejection shows it: numbers short (``1e+12``), text quoted."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | float | np.integer | np.floating):
        return f"{float(value):.10g}"
    text = repr(str(value))
    return text if len(text) <= 60 else text[:57] + "..."


def _number_errors(name: str, column: pd.Series, rule: ColumnRule) -> dict[int, str]:
    numbers = pd.to_numeric(column, errors="coerce").astype("float64").to_numpy()
    given = column.notna().to_numpy()
    found: dict[int, str] = {}

    def add(mask: np.ndarray, why: str) -> None:
        for i in np.flatnonzero(mask):
            found.setdefault(int(i), f"{name} = {shown(column.iloc[i])}: {why}")

    add(given & np.isnan(numbers), "not a number")
    add(np.isinf(numbers), "not a finite number")
    finite = np.isfinite(numbers)
    if rule.allowed is not None:
        allowed = ", ".join(f"{v:g}" for v in rule.allowed)
        add(finite & ~np.isin(numbers, rule.allowed), f"not one of {allowed} ({rule.source})")
    if rule.low is not None:
        add(finite & (numbers < rule.low), f"below {rule.low:g} ({rule.source})")
    if rule.high is not None:
        add(finite & (numbers > rule.high), f"above {rule.high:g} ({rule.source})")
    return found


def _category_errors(name: str, column: pd.Series, rule: ColumnRule) -> dict[int, str]:
    values = rule.values or []
    given = column.notna().to_numpy()
    known = column.isin(values).to_numpy()
    listed = ", ".join(values)
    return {
        int(i): f"{name} = {shown(column.iloc[i])}: not one of {listed} ({rule.source})"
        for i in np.flatnonzero(given & ~known)
    }


def check_rows(frame: pd.DataFrame, rules: InputRules) -> list[str | None]:
    """Per row of ``frame`` (in order): None if it passes every rule, else its reasons joined by ``; ``.

    Raises MedcostError when a rule's column is missing (a request- or file-level problem, not a row's).
    """
    missing = [c for c in rules.columns if c not in frame.columns]
    if missing:
        raise MedcostError(f"column(s) {', '.join(missing)} missing")
    reasons: list[list[str]] = [[] for _ in range(len(frame))]
    for name, rule in rules.columns.items():
        column = frame[name].reset_index(drop=True)
        check = _number_errors if rule.kind == "number" else _category_errors
        for i, why in check(name, column, rule).items():
            reasons[i].append(why)
    return ["; ".join(r) if r else None for r in reasons]


def first_rejection(errors: Sequence[str | None]) -> tuple[int, int, str] | None:
    """(count of rejected rows, index of the first, its reasons), or None when every row passed."""
    bad = [i for i, e in enumerate(errors) if e is not None]
    if not bad:
        return None
    return len(bad), bad[0], str(errors[bad[0]])


def finite_or_none(values: Sequence[float] | np.ndarray) -> list[float | None]:
    """Predictions as JSON-safe numbers: NaN and ±inf become None (never ``NaN``/``Infinity`` tokens)."""
    return [float(v) if v is not None and math.isfinite(float(v)) else None for v in values]
