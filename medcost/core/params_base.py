"""Reading params.yaml and checking one section against its model, with one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from medcost.core.errors import MedcostError, one_line
from medcost.core.params_errors import describe


class Section(BaseModel):
    """Base for a params section: unknown keys are errors (they are usually typos)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


S = TypeVar("S", bound=BaseModel)


def read_params(path: str | Path = "params.yaml") -> dict[str, Any]:
    """The params file as a mapping of sections (each section is checked by :func:`section`)."""
    try:
        with open(path) as fh:
            params = yaml.safe_load(fh)
    except FileNotFoundError:
        raise MedcostError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise MedcostError(f"{path}: not valid YAML: {one_line(str(exc))}") from None
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
        raise MedcostError(describe(name, model, exc, source)) from None
