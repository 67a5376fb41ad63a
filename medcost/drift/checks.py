"""The deepchecks drift checks, seeded, silent and offline: feature, multivariate, prediction and label drift.

Each check runs on at most ``n_samples`` rows per dataset: FeatureDrift (per feature:
Kolmogorov-Smirnov for numeric, Cramer's V for categorical), MultivariateDrift (a domain
classifier; drift score = 2 * AUC - 1), PredictionDrift (the model's predictions on train
vs scoring, KS) and LabelDrift (train vs test target, KS). deepchecks is imported only
inside the functions that run it.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from medcost.core.errors import MedcostError, one_line
from medcost.core.features import FeatureSpec
from medcost.core.params import DriftParams
from medcost.core.progress import steps
from medcost.core.shift import require_columns

log = logging.getLogger(__name__)


@contextmanager
def quiet_deepchecks() -> Iterator[None]:
    """Import-safe, silent deepchecks: no telemetry call, no warnings, no progress bars, errors only."""
    # deepchecks phones home (api.deepchecks.com) on import unless this is set
    os.environ.setdefault("DISABLE_DEEPCHECKS_ANONYMOUS_TELEMETRY", "true")
    # ... and imports pkg_resources, deprecated, in the worker processes it starts too, which
    # do not inherit this process's warning filters but do inherit the environment
    os.environ.setdefault("PYTHONWARNINGS", "ignore:pkg_resources is deprecated as an API:UserWarning")
    # ... and plotly, which it imports, loads nbformat (and jsonschema) to render in notebooks only: a second of
    # every drift run for nothing this stage uses (it writes HTML), so nbformat is absent while deepchecks imports
    hidden = "nbformat" not in sys.modules
    if hidden:
        sys.modules["nbformat"] = None  # type: ignore[assignment]  # the import system's "not installed"
    logger = logging.getLogger("deepchecks")
    level = logger.level
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logger.setLevel(logging.ERROR)  # INFO is its progress bars, WARNING its advice
        try:
            yield
        finally:
            logger.setLevel(level)
            if hidden and sys.modules.get("nbformat", False) is None:
                del sys.modules["nbformat"]  # importable again for anything else in this process


def _frame(frame: pd.DataFrame, columns: list[str], start: int) -> pd.DataFrame:
    """A copy of ``columns`` with a distinct index (deepchecks renames overlapping train/test indexes)."""
    out = frame[columns].copy()
    out.index = pd.RangeIndex(start, start + len(out))
    return out


def run_deepchecks(
    train: pd.DataFrame,
    test: pd.DataFrame,
    scoring: pd.DataFrame,
    spec: FeatureSpec,
    predictions: tuple[np.ndarray, np.ndarray],
    cfg: DriftParams,
    reference: pd.DataFrame | None = None,
) -> tuple[dict[str, Any], list[Any]]:
    """Run FeatureDrift, MultivariateDrift (reference vs scoring), PredictionDrift (train vs scoring)
    and LabelDrift (train vs test).

    ``reference`` is ``train`` as the features are compared (calendar-advanced; default:
    ``train``). ``predictions`` are the model's predictions on ``train`` and on ``scoring``. Returns the
    scores ``{"feature_drift": {feature: score}, "multivariate_drift": {...},
    "prediction_drift": {...}, "label_drift": {...}}`` and the deepchecks CheckResults (for
    the report). The checks carry the thresholds as conditions, so the report shows them.
    """
    numeric, categorical, target = list(spec.numeric), list(spec.categorical), spec.target
    features = [*numeric, *categorical]
    require_columns(train, "drift: train data", [*features, target])
    require_columns(test, "drift: test data", [*features, target])
    require_columns(scoring, "drift: scoring data", features)
    reference = train if reference is None else reference
    require_columns(reference, "drift: reference data", features)
    train_pred, scoring_pred = (np.asarray(p, dtype="float64").ravel() for p in predictions)
    if len(train_pred) != len(train) or len(scoring_pred) != len(scoring):
        raise MedcostError(
            f"drift: {len(train_pred)}/{len(scoring_pred)} predictions for {len(train)} train / "
            f"{len(scoring)} scoring rows"
        )

    with quiet_deepchecks():
        from deepchecks.core.errors import DeepchecksBaseError
        from deepchecks.tabular import Dataset
        from deepchecks.tabular.checks import FeatureDrift, LabelDrift, MultivariateDrift, PredictionDrift

        def dataset(frame: pd.DataFrame, start: int, name: str, label: bool) -> Any:
            data = _frame(frame, [*features, target] if label else features, start)
            return Dataset(
                data,
                label=target if label else None,
                features=features,
                cat_features=categorical,
                label_type="regression" if label else None,
                dataset_name=name,
            )

        ds_reference = dataset(reference, 0, "train" if reference is train else "train (calendar-advanced)", False)
        ds_train = dataset(train, 0, "train", True)
        ds_scoring = dataset(scoring, len(train), "scoring", False)
        ds_test = dataset(test, len(train) + len(scoring), "test", True)
        n, seed = cfg.n_samples, cfg.seed
        checks = {
            "feature_drift": FeatureDrift(
                n_samples=n, random_state=seed, n_top_columns=len(features), sort_feature_by="drift score"
            ).add_condition_drift_score_less_than(
                max_allowed_categorical_score=cfg.max_feature_drift, max_allowed_numeric_score=cfg.max_feature_drift
            ),
            "multivariate_drift": MultivariateDrift(
                n_samples=n, random_state=seed
            ).add_condition_overall_drift_value_less_than(cfg.max_multivariate_drift),
            "prediction_drift": PredictionDrift(n_samples=n, random_state=seed).add_condition_drift_score_less_than(
                cfg.max_prediction_drift
            ),
            "label_drift": LabelDrift(n_samples=n, random_state=seed).add_condition_drift_score_less_than(
                cfg.max_label_drift
            ),
        }
        runs = {
            "feature_drift": lambda: checks["feature_drift"].run(ds_reference, ds_scoring),
            "multivariate_drift": lambda: checks["multivariate_drift"].run(ds_reference, ds_scoring),
            "prediction_drift": lambda: checks["prediction_drift"].run(
                ds_train, ds_scoring, y_pred_train=train_pred, y_pred_test=scoring_pred
            ),
            "label_drift": lambda: checks["label_drift"].run(ds_train, ds_test),
        }
        results: dict[str, Any] = {}
        try:
            for name in steps(runs, "drift: deepchecks"):
                results[name] = runs[name]()
        except DeepchecksBaseError as exc:
            failed = next(name for name in checks if name not in results)
            raise MedcostError(f"drift: deepchecks {failed}: {one_line(str(exc))}") from None

    feature = results["feature_drift"].value
    multivariate = results["multivariate_drift"].value
    scores = {
        "feature_drift": {column: feature[column]["Drift score"] for column in features if column in feature},
        "multivariate_drift": {
            "drift_score": multivariate["domain_classifier_drift_score"],
            "auc": multivariate["domain_classifier_auc"],
        },
        "prediction_drift": {"drift_score": results["prediction_drift"].value["Drift score"]},
        "label_drift": {"drift_score": results["label_drift"].value["Drift score"]},
    }
    return scores, list(results.values())
