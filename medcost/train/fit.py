"""Fitting a model pipeline reproducibly, describing it, and logging its training metrics with dvclive."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from threadpoolctl import threadpool_limits

from medcost.core.features import FeatureSpec
from medcost.core.metrics import regression_metrics
from medcost.core.model_file import inputs_and_target, predict
from medcost.core.numbers import round_floats

if TYPE_CHECKING:  # scikit-learn: imported by the functions that fit (a second at start-up otherwise)
    from sklearn.pipeline import Pipeline

log = logging.getLogger(__name__)


def fit(pipeline: Pipeline, frame: pd.DataFrame, spec: FeatureSpec, n_threads: int | None = None) -> Pipeline:
    """A fitted copy of ``pipeline`` (the argument stays unfitted).

    ``n_threads`` caps the OpenMP/BLAS threads, so a result does not depend on the machine's core count;
    a forest trains on its ``n_jobs`` threads but predicts on one (the same bits on every run).
    """
    from sklearn.base import clone

    x, y = inputs_and_target(frame, spec)
    model = clone(pipeline)
    with threadpool_limits(limits=n_threads):
        model.fit(x, y)
    regressor = fitted_regressor(model)
    if getattr(regressor, "n_jobs", None) not in (None, 1):
        # a forest predicting on several threads sums its trees in whatever order they finish:
        # the last bits of a prediction would differ between runs
        regressor.n_jobs = 1
    return model


def fitted_regressor(model: Pipeline) -> Any:
    """The fitted regressor inside the pipeline's target wrappers (or the unfitted one if not fitted)."""
    from sklearn.compose import TransformedTargetRegressor

    inner: Any = model.named_steps["model"]
    while isinstance(inner, TransformedTargetRegressor):
        inner = getattr(inner, "regressor_", inner.regressor)
    return inner


def describe(model: Pipeline) -> dict[str, Any]:
    """The regressor's class and the number of features after preprocessing (for logs and params)."""
    out: dict[str, Any] = {"estimator": type(fitted_regressor(model)).__name__}
    preprocess = model.named_steps["preprocess"]
    if hasattr(preprocess, "transformers_"):
        out["encoded_features"] = len(preprocess.get_feature_names_out())
    return out


def training_metrics(model: Pipeline, frame: pd.DataFrame, spec: FeatureSpec, top_share: float = 0.1) -> dict[str, Any]:
    """Metrics of ``model`` on its own training rows (rounded), for the dvclive log."""
    x, y = inputs_and_target(frame, spec)
    metrics = regression_metrics(y, predict(model, x), top_share)
    return round_floats({"rows": len(y), **{k: metrics[k] for k in ("r2", "rmse", "mae", "total_ratio")}})


def log_with_dvclive(directory: str | Path, params: Mapping[str, Any], metrics: Mapping[str, Any]) -> None:
    """Write ``params`` and ``metrics`` with dvclive to ``directory`` (params.yaml, metrics.json).

    dvclive neither writes a dvc.yaml nor saves an experiment or a report: the stage is part
    of the pipeline, whose dvc.yaml declares the metrics file and `dvc exp run` saves experiments.
    """
    from dvclive import Live

    with Live(dir=str(directory), save_dvc_exp=False, dvcyaml=None, report=None) as live:
        live.log_params(dict(params))
        for name, value in metrics.items():
            live.log_metric(name, value, plot=False)
