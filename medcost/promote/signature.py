"""A logged model's inputs: its MLflow signature, typing a frame for it, its answers, and its skops types.

Batch predictions, the REST server and promote's champion scoring all type their inputs
by the model's own signature, so they agree on every row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from medcost.core.errors import MedcostError
from medcost.core.features import FeatureSpec
from medcost.core.inputs import first_rejection
from medcost.core.served_model import ANSWER_COLUMNS

if TYPE_CHECKING:  # heavy: imported inside the functions that need it
    from mlflow.models import ModelSignature
    from mlflow.pyfunc import PyFuncModel

TRUSTED_MODULES = ("sklearn", "numpy", "scipy", "functools")
"""Top-level modules whose types the skops model format may load (medcost's pipelines hold only these)."""


def input_types(model: Any, spec: FeatureSpec) -> dict[str, str]:
    """MLflow type of each column the model reads: ``double`` for numeric, ``string`` for categorical.

    The columns are the fitted pipeline's own (``feature_names_in_``) when it has them.
    """
    names = list(getattr(model, "feature_names_in_", [])) or spec.inputs
    strings, numbers = set(spec.categorical), set(spec.numeric)
    unknown = [c for c in names if c not in strings and c not in numbers]
    if unknown:
        raise MedcostError(
            f"model input: column(s) {', '.join(unknown)} are neither numeric nor categorical "
            "in the transform params (params changed since training?)"
        )
    return {c: ("string" if c in strings else "double") for c in names}


def model_signature(types: Mapping[str, str]) -> ModelSignature:
    """Every input column required (a request missing one is refused); NaN/None allowed as values.

    The output is one ``predicted_cost`` (None when the row is rejected) and ``error`` per row.
    """
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, DataType, Schema

    inputs = Schema([ColSpec(DataType[kind], name, required=True) for name, kind in types.items()])
    outputs = Schema(
        [ColSpec(DataType.double, "predicted_cost", required=False), ColSpec(DataType.string, "error", required=False)]
    )
    return ModelSignature(inputs=inputs, outputs=outputs)


def coerce_inputs(frame: pd.DataFrame, types: Mapping[str, str], what: str = "model input") -> pd.DataFrame:
    """The ``types`` columns of ``frame`` as the signature wants them (a new frame).

    double -> float64 (missing: NaN), long/integer -> int64, string -> object (missing: None).
    """
    missing = [c for c in types if c not in frame.columns]
    if missing:
        raise MedcostError(f"{what}: column(s) {', '.join(missing)} missing")
    out: dict[str, Any] = {}
    for name, kind in types.items():
        column = frame[name]
        if kind in ("double", "float"):
            try:
                out[name] = pd.to_numeric(column, errors="raise").astype("float64")
            except (TypeError, ValueError):
                raise MedcostError(f"{what}: column {name} is not numeric") from None
        elif kind in ("long", "integer"):
            if column.isna().any():
                raise MedcostError(f"{what}: integer column {name} has missing values")
            out[name] = column.astype("int64")
        elif kind == "string":
            text = column.astype(object)
            out[name] = text.where(column.notna(), None).map(lambda v: v if v is None else str(v))
        else:
            out[name] = column
    return pd.DataFrame(out, index=frame.index)


def pyfunc_input_types(model: PyFuncModel) -> dict[str, str] | None:
    """Column -> MLflow type from a logged model's signature (None without a column signature)."""
    schema = model.metadata.get_input_schema()
    if schema is None or not schema.has_input_names():
        return None
    return {spec.name: spec.type.name for spec in schema.inputs}


def pyfunc_answers(
    model: PyFuncModel, frame: pd.DataFrame, what: str = "champion input", batch_rows: int = 250_000
) -> pd.DataFrame:
    """A logged model's answer per row of ``frame`` (same order): ``predicted_cost`` (NaN when rejected), ``error``.

    The inputs are taken and typed by the model's signature. A version logged as a plain
    pipeline (before the input checks) answers every row with a prediction and no error.
    """
    types = pyfunc_input_types(model)
    predicted: list[np.ndarray] = []
    errors: list[np.ndarray] = []
    # in batches: the typed copy, the row checks and the preprocessed features of millions of rows
    # would otherwise be held at once (a row's answer does not depend on the others)
    for start in range(0, max(len(frame), 1), batch_rows):
        rows = frame.iloc[start : start + batch_rows]
        raw = model.predict(coerce_inputs(rows, types, what) if types else rows)
        if isinstance(raw, pd.DataFrame) and set(ANSWER_COLUMNS) <= set(raw.columns):
            predicted.append(pd.to_numeric(raw["predicted_cost"], errors="coerce").astype("float64").to_numpy())
            errors.append(raw["error"].astype(object).where(raw["error"].notna(), None).to_numpy())
        else:
            predicted.append(np.asarray(raw, dtype="float64").ravel())
            errors.append(np.full(len(predicted[-1]), None, dtype=object))
    return pd.DataFrame({"predicted_cost": np.concatenate(predicted), "error": np.concatenate(errors)})


def pyfunc_predict(model: PyFuncModel, frame: pd.DataFrame) -> np.ndarray:
    """Predictions of a logged model for ``frame``; MedcostError if it rejects a row (naming the first)."""
    answers = pyfunc_answers(model, frame)
    rejected = first_rejection(list(answers["error"]))
    if rejected is not None:
        count, first, why = rejected
        raise MedcostError(f"the model rejects {count} of {len(frame)} rows; the first (row {first}): {why}")
    return answers["predicted_cost"].to_numpy()


def skops_trusted_types(model: Any) -> list[str]:
    """The types skops must be told to trust to load ``model``; only from ``TRUSTED_MODULES``."""
    import skops.io

    types = sorted(skops.io.get_untrusted_types(data=skops.io.dumps(model)))
    foreign = [t for t in types if t.split(".", 1)[0] not in TRUSTED_MODULES]
    if foreign:
        raise MedcostError(
            f"model: holds types outside {', '.join(TRUSTED_MODULES)} that the skops format "
            f"will not load safely: {', '.join(foreign)}"
        )
    return types
