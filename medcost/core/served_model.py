"""The registered model: medcost's input checks, then the scikit-learn pipeline, as an MLflow pyfunc.

promote logs every version as this model, by MLflow's "models from code" (no pickle): the
code file :data:`MODEL_CODE` builds it at load time, the pipeline is a nested scikit-learn
model in the skops format (artifact ``pipeline``) and the rules are ``input_rules.json``
(artifact ``input_rules``, :class:`~medcost.core.inputs.InputRules`). ``medcost/core`` is
logged with the model (``code_paths``), so any ``mlflow models serve`` of it can load it.

Its answer is one row per input row: ``predicted_cost`` (a finite number, or None when the row
is rejected) and ``error`` (None, or the reasons, each naming the column, the value and the
param). It never answers NaN or infinity: a non-finite prediction becomes an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from medcost.core.inputs import InputRules, check_rows

API_VERSION = "1"
"""The version of the answer's shape (one ``predicted_cost``/``error`` pair per row)."""
PIPELINE_ARTIFACT = "pipeline"
RULES_ARTIFACT = "input_rules"
ANSWER_COLUMNS = ("predicted_cost", "error")
NOT_FINITE = "the model's prediction is not a finite number (inputs beyond what it can score)"

MODEL_CODE = '''"""medcost's served model (MLflow models from code): built by medcost.core.served_model."""

import mlflow.models

from medcost.core.served_model import served_model

mlflow.models.set_model(served_model())
'''
"""The code file logged with each version: MLflow runs it to build the model when loading it."""


def answer(pipeline: Any, rules: InputRules, frame: pd.DataFrame) -> pd.DataFrame:
    """Per row of ``frame``: ``predicted_cost`` (None when rejected) and ``error`` (None when predicted)."""
    errors = np.asarray(check_rows(frame, rules), dtype=object)
    predicted = np.full(len(frame), np.nan)
    passed = np.flatnonzero(pd.isna(errors))
    if len(passed):
        inputs = frame.iloc[passed][list(rules.columns)]
        predicted[passed] = np.asarray(pipeline.predict(inputs), dtype="float64").ravel()
        errors[passed[~np.isfinite(predicted[passed])]] = NOT_FINITE
    finite = np.isfinite(predicted)
    return pd.DataFrame(
        {
            "predicted_cost": pd.Series(predicted, dtype=object).where(finite, None),
            "error": pd.Series(errors, dtype=object).where(~finite, None),
        }
    )


def served_model() -> Any:
    """A new instance of the pyfunc model (its class is built here: MLflow is imported only when needed)."""
    import mlflow.pyfunc

    class ServedModel(mlflow.pyfunc.PythonModel):  # type: ignore[name-defined]
        """The checks of ``input_rules``, then the pipeline, row by row."""

        api_version = API_VERSION

        def load_context(self, context: Any) -> None:
            import mlflow.sklearn

            self.rules = InputRules.model_validate_json(Path(context.artifacts[RULES_ARTIFACT]).read_text())
            self.pipeline = mlflow.sklearn.load_model(context.artifacts[PIPELINE_ARTIFACT])

        def predict(
            self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
        ) -> pd.DataFrame:
            return answer(self.pipeline, self.rules, model_input)

    return ServedModel()


def served_rules(model: Any) -> InputRules | None:
    """The input rules of a loaded pyfunc model, or None for a model logged without them (a plain pipeline)."""
    try:
        inner = model.unwrap_python_model()
    except Exception:  # not a Python model: a version logged with the sklearn flavour only
        return None
    rules = getattr(inner, "rules", None)
    return rules if isinstance(rules, InputRules) else None
