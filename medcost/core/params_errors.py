"""One-line messages for params that fail their model: the key, its value, what is wrong, and a near miss for a typo."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails


def _model_at(model: type[BaseModel], path: tuple[Any, ...]) -> type[BaseModel] | None:
    """The (nested) model a location inside ``model`` belongs to, if the path leads through models."""
    for part in path:
        field = model.model_fields.get(str(part))
        annotation = getattr(field, "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return model


def _unknown_key(name: str, model: type[BaseModel], error: ErrorDetails) -> str:
    *parent, key = error["loc"]
    where = ".".join(str(p) for p in (name, *parent))
    owner = _model_at(model, tuple(parent))
    known = list(owner.model_fields) if owner is not None else []
    close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else (f" (known keys: {', '.join(known)})" if known else "")
    return f"unknown key {where}.{key}{hint}: edit the {name} section"


def describe(name: str, model: type[BaseModel], exc: ValidationError, source: str = "params.yaml") -> str:
    """The one line for the first problem of section ``name``; an unknown key (a typo, usually) comes first."""
    errors = exc.errors()
    extra = [e for e in errors if e["type"] == "extra_forbidden"]
    if extra:
        others = f" (and {len(extra) - 1} more unknown)" if len(extra) > 1 else ""
        return f"{source}: {_unknown_key(name, model, extra[0])}{others}"
    first = errors[0]
    where = ".".join(str(part) for part in (name, *first["loc"]))
    value = first.get("input")
    shown = "" if isinstance(value, dict) else f" = {value!r}"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{source}: {where}{shown}: {first['msg']}{more}"
