"""Typed params: each params.yaml section is checked before any work starts.

A wrong type or an out-of-range value becomes one line naming the param, e.g.
``params.yaml: transform.lookback_years = 0: Input should be greater than or equal to 1``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from medcost.errors import MedcostError

ColumnType = Literal["int", "float", "str", "bool", "date"]


class Section(BaseModel):
    """Base for a params section: unknown keys are errors (they are usually typos)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PathsParams(Section):
    source_db: str
    truth: str
    raw: str
    features: str
    lakehouse: str
    load_receipt: str
    train: str
    test: str
    scoring: str
    models: str
    dvclive: str
    metrics: str
    plots: str
    reports: str
    predictions: str


class DemoParams(Section):
    clients: int = Field(ge=10, le=50_000_000)
    first_year: int = Field(ge=1990, le=2100)
    years: int = Field(ge=2, le=30)
    seed: int = Field(ge=0)


class TableSpec(Section):
    query: str
    columns: dict[str, ColumnType] = Field(min_length=1)


class ExtractParams(Section):
    as_of: dt.date
    history_years: int = Field(ge=1, le=50)
    chunk_rows: int = Field(ge=100, le=10_000_000)
    tables: dict[str, TableSpec]

    @field_validator("as_of")
    @classmethod
    def _first_of_january(cls, value: dt.date) -> dt.date:
        if (value.month, value.day) != (1, 1):
            raise ValueError("must be a 1 January (the pipeline predicts calendar years)")
        return value

    @field_validator("tables")
    @classmethod
    def _needs_clients_and_claims(cls, value: dict[str, TableSpec]) -> dict[str, TableSpec]:
        missing = {"clients", "claims"} - set(value)
        if missing:
            raise ValueError(f"needs the tables clients and claims; missing: {', '.join(sorted(missing))}")
        return value

    @property
    def history_start(self) -> dt.date:
        return self.as_of.replace(year=self.as_of.year - self.history_years)

    @property
    def target_year(self) -> int:
        """The last complete year: the training target."""
        return self.as_of.year - 1

    @property
    def scoring_year(self) -> int:
        """The year the champion will predict: features as of ``as_of``, no target yet."""
        return self.as_of.year


class TransformParams(Section):
    lookback_years: int = Field(ge=1, le=20)
    key: list[str] = Field(min_length=1)
    categorical: list[str]
    flags: list[str]
    numeric: list[str]
    valid_ranges: dict[str, tuple[float, float]]
    claim_categories: list[str] = Field(min_length=1)
    target: str

    @model_validator(mode="after")
    def _ranges_are_ordered(self) -> "TransformParams":
        for column, (low, high) in self.valid_ranges.items():
            if low >= high:
                raise ValueError(f"valid_ranges.{column}: low {low} must be below high {high}")
        return self


class LoadParams(Section):
    backend: Literal["deltalake", "hopsworks"]
    table: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    hopsworks_version: int = Field(ge=1)


S = TypeVar("S", bound=BaseModel)


def read_params(path: str | Path = "params.yaml") -> dict[str, Any]:
    try:
        with open(path) as fh:
            params = yaml.safe_load(fh)
    except FileNotFoundError:
        raise MedcostError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise MedcostError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(params, dict):
        raise MedcostError(f"{path}: expected a mapping of sections")
    return params


def section(params: dict[str, Any], name: str, model: type[S], source: str = "params.yaml") -> S:
    """Validate one section of params against its model; raise a one-line MedcostError."""
    if name not in params:
        raise MedcostError(f"{source}: section '{name}' is missing")
    try:
        return model.model_validate(params[name])
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in (name, *first["loc"]))
        value = first.get("input")
        shown = "" if isinstance(value, dict) else f" = {value!r}"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise MedcostError(f"{source}: {where}{shown}: {first['msg']}{more}") from None
