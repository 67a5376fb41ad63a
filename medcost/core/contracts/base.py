"""The base of every contract, and the one way to write and read a contract file.

The writer builds the model and calls :func:`write_contract`; the reader calls
:func:`read_contract` with the same model, so a missing key, a wrong type or a file from an
older layout is one line naming the file and the field, never a ``KeyError`` three stages
later. The JSON keeps the layout ``dvc metrics show/diff`` users know (e.g. ``tree.test.r2``
in evaluate.json): models whose keys are data (model names, suites, features) are mappings.
Non-finite floats are written as null (JSON has no NaN).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from medcost.core.errors import MedcostError
from medcost.core.io import read_json, write_json
from medcost.core.numbers import SIGNIFICANT, finite_or_none, round_floats

Number = float | None
"""A metric: null when undefined (an R² of a constant target, say)."""


class Contract(BaseModel):
    """Base of every contract: unknown keys are errors (a file of another layout is not read silently)."""

    model_config = ConfigDict(extra="forbid", ser_json_inf_nan="null")


C = TypeVar("C", bound=Contract)


def write_contract(path: str | Path, contract: Contract, *, digits: int | None = SIGNIFICANT) -> None:
    """Write ``contract`` as key-sorted JSON, atomically, floats rounded to ``digits`` significant digits.

    Rounding keeps metric bytes stable across platforms; ``digits=None`` writes values as they are
    (data values quoted in a report, which must not be altered).
    """
    data = json.loads(contract.model_dump_json(exclude_none=False))
    write_json(path, finite_or_none(data if digits is None else round_floats(data, digits)))


def read_contract(path: str | Path, model: type[C], made_by: str | None = None) -> C:
    """Read and check a contract file; any problem is one line naming the file and the first bad field."""
    data = read_json(path, made_by=made_by)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        # a model may keep a mapping under a name its file does not show (Evaluation.models)
        hidden = getattr(model, "hidden_keys", ())
        where = ".".join(str(part) for part in first["loc"] if part not in hidden) or "(top level)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        hint = f"; rerun the {made_by} stage" if made_by else ""
        raise MedcostError(f"{path}: {where}: {first['msg']}{more}{hint}") from None
