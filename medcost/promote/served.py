"""Log a candidate as medcost's served model: the skops pipeline, its input rules and the checking wrapper.

The logged model is :mod:`medcost.core.served_model` (MLflow models from code, no pickle): the
scikit-learn pipeline is saved in the skops format with its trusted types, the input rules as
JSON, and ``medcost/core`` (with ``medcost/__init__.py``) as the model's code, so any MLflow
that loads the version (``mlflow models serve``, pyfunc) applies the same checks.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from medcost.core import served_model
from medcost.core.errors import MedcostError
from medcost.core.inputs import RULES_FILE, InputRules
from medcost.core.served_model import MODEL_CODE, PIPELINE_ARTIFACT, RULES_ARTIFACT
from medcost.promote.signature import model_signature, skops_trusted_types

if TYPE_CHECKING:  # heavy: imported inside the function that needs it
    from mlflow.models.model import ModelInfo

CODE_FILE = "served_model.py"


def stage_code(folder: Path) -> Path:
    """A copy of the package ``medcost`` holding only its ``__init__`` and ``core`` in ``folder``; its path."""
    package = Path(served_model.__file__).resolve().parents[1]
    target = folder / "medcost"
    target.mkdir(parents=True)
    shutil.copy2(package / "__init__.py", target / "__init__.py")
    shutil.copytree(package / "core", target / "core", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


def log_served_model(
    pipeline: Any, rules: InputRules, types: Mapping[str, str], input_example: pd.DataFrame, name: str = "model"
) -> ModelInfo:
    """Log ``pipeline`` behind the input checks of ``rules`` to the active run; the logged model's info."""
    import mlflow.pyfunc
    import mlflow.sklearn

    unknown = [c for c in types if c not in rules.columns]
    if unknown:
        raise MedcostError(f"model input: no input rule for column(s) {', '.join(unknown)}")
    rules = InputRules(columns={c: rules.columns[c] for c in types})  # the columns the pipeline reads, its order
    requirements = [*mlflow.sklearn.get_default_pip_requirements(include_skops=True), "pydantic", "pyyaml"]
    with tempfile.TemporaryDirectory(prefix="medcost-served-") as temp:
        folder = Path(temp)
        mlflow.sklearn.save_model(
            pipeline,
            str(folder / PIPELINE_ARTIFACT),
            serialization_format="skops",
            skops_trusted_types=skops_trusted_types(pipeline),
            pip_requirements=requirements,  # explicit: no slow subprocess inferring them from the model
        )
        (folder / RULES_FILE).write_text(rules.model_dump_json(indent=2) + "\n")
        (folder / CODE_FILE).write_text(MODEL_CODE)
        return mlflow.pyfunc.log_model(
            name=name,
            python_model=str(folder / CODE_FILE),
            artifacts={PIPELINE_ARTIFACT: str(folder / PIPELINE_ARTIFACT), RULES_ARTIFACT: str(folder / RULES_FILE)},
            code_paths=[str(stage_code(folder / "code"))],
            signature=model_signature(types),
            input_example=input_example,
            pip_requirements=requirements,
        )
