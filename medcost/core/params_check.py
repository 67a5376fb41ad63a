"""Checks of the whole params file at once: every section, and the names one section borrows from another.

The first stages run it (fingerprint, extract), so a typo or a column named in the wrong
place stops the pipeline before any data is read, with one line naming the key to edit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from medcost.core.catalog import MODEL_NAMES
from medcost.core.errors import MedcostError
from medcost.core.features import CUTOFF_COLUMN, FeatureSpec
from medcost.core.params import (
    BacktestParams,
    DemoParams,
    DriftParams,
    EvaluateParams,
    ExtractParams,
    LoadParams,
    PathsParams,
    PredictParams,
    PromoteParams,
    SplitParams,
    TrainLinearParams,
    TrainTreeParams,
    TransformParams,
    TuneParams,
    ValidateMetricsParams,
    ValidateParams,
    section,
)
from medcost.core.params_monitor import MonitorParams
from medcost.core.params_select import SelectParams

SECTIONS: dict[str, type[BaseModel]] = {
    "paths": PathsParams,
    "demo": DemoParams,
    "extract": ExtractParams,
    "transform": TransformParams,
    "load": LoadParams,
    "validate": ValidateParams,
    "split": SplitParams,
    "select": SelectParams,
    "train_tree": TrainTreeParams,
    "train_linear": TrainLinearParams,
    "tune": TuneParams,
    "evaluate": EvaluateParams,
    "backtest": BacktestParams,
    "validate_metrics": ValidateMetricsParams,
    "drift": DriftParams,
    "promote": PromoteParams,
    "predict": PredictParams,
    "monitor": MonitorParams,
}


def _not_in(key: str, names: Iterable[str], allowed: Iterable[str], where: str) -> list[str]:
    allowed = list(allowed)
    return [f"{key}: {n} is not {where} ({', '.join(allowed)})" for n in names if n not in allowed]


def cross_section_problems(params: dict[str, Any]) -> list[str]:
    """Names a section uses that the section declaring them does not have, one line each."""
    extract = section(params, "extract", ExtractParams)
    transform = section(params, "transform", TransformParams)
    validate = section(params, "validate", ValidateParams)
    spec = FeatureSpec.from_params(transform)
    clients = list(extract.tables["clients"].columns) if "clients" in extract.tables else []
    backtest = section(params, "backtest", BacktestParams)
    problems: list[str] = []
    needed = transform.lookback_years + transform.training_years + backtest.years
    if extract.history_years < needed:
        earliest = extract.training_years(transform.training_years + backtest.years)[0]
        role = "the training cutoff" if backtest.years == 0 else "the earliest cutoff (of the backtest)"
        problems.append(
            f"extract.history_years = {extract.history_years} is shorter than transform.lookback_years + "
            f"transform.training_years{' + backtest.years' if backtest.years else ''} = {needed}: {role} {earliest} "
            f"needs claims from {earliest - transform.lookback_years} (set extract.history_years to at least {needed}"
            f"{' or lower backtest.years' if backtest.years else ''})"
        )
    for key in ("categorical", "flags", "numeric"):
        names = getattr(transform, key)
        problems += _not_in(f"transform.{key}", names, clients, "a column of extract.tables.clients.columns")
    problems += _not_in("transform.valid_ranges", transform.valid_ranges, transform.numeric, "in transform.numeric")
    problems += _not_in("validate.value_sets", validate.value_sets, transform.categorical, "in transform.categorical")
    columns = {table: list(t.columns) for table, t in extract.tables.items()}
    columns["features"] = [*spec.key, CUTOFF_COLUMN, *spec.inputs, spec.target]
    for dotted in validate.null_rates:
        table, _, column = dotted.partition(".")
        if table not in columns:
            problems.append(f"validate.null_rates.{dotted}: no table {table!r} ({', '.join(columns)})")
        elif column not in columns[table]:
            problems.append(f"validate.null_rates.{dotted}: {table} has no column {column!r}")
    tree = section(params, "train_tree", TrainTreeParams)
    problems += _not_in("train_tree.increasing", tree.increasing, spec.numeric, "a numeric model input")
    drift = section(params, "drift", DriftParams)
    problems += _not_in("drift.calendar_features", drift.calendar_features, spec.numeric, "a numeric model input")
    choose = section(params, "select", SelectParams)
    problems += _not_in("select.calendar_features", choose.calendar_features, spec.numeric, "a numeric model input")
    problems += _not_in("drift.fallback_model", [drift.fallback_model], MODEL_NAMES, "a trained model")
    gates = section(params, "validate_metrics", ValidateMetricsParams)
    problems += _not_in("validate_metrics.models", gates.models, MODEL_NAMES, "a trained model")
    if gates.min_backtest_r2 is not None and backtest.years == 0:
        problems.append(
            "validate_metrics.min_backtest_r2 is set but backtest.years = 0 (no backtest to gate): set it to null"
        )
    return problems


def check_params(params: dict[str, Any], source: str = "params.yaml") -> None:
    """Check every section, then the cross-section names; raise one line naming the first problem and the count."""
    problems: list[str] = []
    for name, model in SECTIONS.items():
        try:
            section(params, name, model, source)
        except MedcostError as exc:
            problems.append(str(exc))
    if not problems:
        problems = [f"{source}: {p}" for p in cross_section_problems(params)]
    if problems:
        more = f" (and {len(problems) - 1} more problem(s) in the params)" if len(problems) > 1 else ""
        raise MedcostError(problems[0] + more)
