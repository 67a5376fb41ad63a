"""The two model pipelines: preprocessing and regressor in one scikit-learn object.

Both pipelines take the feature table's own columns (``medcost.features.feature_columns``)
and return a cost per row:

- ``preprocess``: numeric columns are imputed with the training median (plus a 0/1
  "was missing" indicator for the columns that had gaps); for the linear model the
  claim-history columns can go through ``arcsinh`` (log-like, defined for the negative
  ``cost_trend``) and everything is standardised. Categoricals are one-hot encoded with
  ``handle_unknown="ignore"`` (a missing category is a category of its own), so a region
  never seen in training predicts like the reference, instead of failing.
- ``model``: the regressor, always wrapped so that a prediction is never below 0 (a cost
  cannot be negative; clipping only ever reduces the error). With ``log_target`` the
  regressor is fitted on ``log1p(cost)`` and predicts ``expm1``: it ranks well but
  under-predicts the total (it models the geometric, not the arithmetic mean).

Only scikit-learn and numpy objects go into a pipeline, so a saved model loads anywhere
scikit-learn does, without this package (MLflow, a notebook, another service).
"""

from __future__ import annotations

import functools
import logging
import pickle
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
from sklearn.base import RegressorMixin, clone
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.ensemble import ExtraTreesRegressor, HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import ElasticNet, Lasso, PoissonRegressor, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from medcost.config import TrainLinearParams, TrainTreeParams
from medcost.errors import MedcostError
from medcost.io import atomic_path

log = logging.getLogger(__name__)

Columns = Mapping[str, Any]
"""``{"numeric": [...], "categorical": [...], "target": name}`` as from ``feature_columns``."""


def input_columns(columns: Columns) -> list[str]:
    """The columns a pipeline reads, in order."""
    return [*columns["numeric"], *columns["categorical"]]


def build_preprocessor(columns: Columns, *, scale: bool, log_columns: list[str] | tuple[str, ...] = ()) -> ColumnTransformer:
    """Impute (and optionally arcsinh and scale) numerics; one-hot encode categoricals."""
    logged = [c for c in columns["numeric"] if c in set(log_columns)]
    plain = [c for c in columns["numeric"] if c not in set(log_columns)]

    def numeric_steps(log_first: bool) -> Pipeline:
        steps: list[tuple[str, Any]] = [("impute", SimpleImputer(strategy="median", add_indicator=True,
                                                                  keep_empty_features=True))]
        if log_first:
            steps.append(("arcsinh", FunctionTransformer(np.arcsinh, feature_names_out="one-to-one")))
        if scale:
            steps.append(("scale", StandardScaler()))
        return Pipeline(steps)

    transformers: list[tuple[str, Any, list[str]]] = []
    if plain:
        transformers.append(("numeric", numeric_steps(False), plain))
    if logged:
        transformers.append(("history", numeric_steps(True), logged))
    if columns["categorical"]:
        transformers.append(("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                             list(columns["categorical"])))
    if not transformers:
        raise MedcostError("model: no input columns (transform.numeric, flags and categorical are all empty?)")
    return ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=False)


def _non_negative(regressor: RegressorMixin, log_target: bool) -> TransformedTargetRegressor:
    """``regressor`` whose predictions are clipped at 0, optionally fitted on log1p(target)."""
    inner: RegressorMixin = regressor
    if log_target:
        inner = TransformedTargetRegressor(regressor=regressor, func=np.log1p, inverse_func=np.expm1)
    clip = FunctionTransformer(func=None, inverse_func=functools.partial(np.clip, a_min=0.0, a_max=None),
                               check_inverse=False)
    return TransformedTargetRegressor(regressor=inner, transformer=clip, check_inverse=False)


def tree_regressor(cfg: TrainTreeParams) -> RegressorMixin:
    """The configured tree ensemble (unfitted)."""
    if cfg.model == "hist_gradient_boosting":
        return HistGradientBoostingRegressor(
            loss=cfg.loss, max_iter=cfg.max_iter, learning_rate=cfg.learning_rate, max_leaf_nodes=cfg.max_leaf_nodes,
            max_depth=cfg.max_depth, min_samples_leaf=cfg.min_samples_leaf, l2_regularization=cfg.l2_regularization,
            monotonic_cst={name: 1 for name in cfg.increasing} or None, early_stopping=False, random_state=cfg.seed)
    forest = {"random_forest": RandomForestRegressor, "extra_trees": ExtraTreesRegressor}[cfg.model]
    return forest(n_estimators=cfg.n_estimators, max_depth=cfg.max_depth, min_samples_leaf=cfg.min_samples_leaf,
                  max_features=cfg.max_features, n_jobs=cfg.n_jobs, random_state=cfg.seed)


def linear_regressor(cfg: TrainLinearParams) -> RegressorMixin:
    """The configured (generalised) linear model (unfitted)."""
    if cfg.model == "ridge":
        return Ridge(alpha=cfg.alpha, random_state=cfg.seed)
    if cfg.model == "lasso":
        return Lasso(alpha=cfg.alpha, max_iter=cfg.max_iter, random_state=cfg.seed)
    if cfg.model == "elastic_net":
        return ElasticNet(alpha=cfg.alpha, l1_ratio=cfg.l1_ratio, max_iter=cfg.max_iter, random_state=cfg.seed)
    return PoissonRegressor(alpha=cfg.alpha, max_iter=cfg.max_iter, solver="newton-cholesky")


def build_tree_pipeline(cfg: TrainTreeParams, columns: Columns) -> Pipeline:
    """Imputation + one-hot encoding + the tree ensemble (trees need no scaling).

    The preprocessor passes a data frame on, so the regressor knows the column names
    (``increasing``: prediction never falls when one of these columns rises, all else equal).
    """
    unknown = [c for c in cfg.increasing if c not in columns["numeric"]]
    if unknown:
        raise MedcostError(f"train_tree.increasing: {', '.join(unknown)} not among the numeric model inputs")
    preprocess = build_preprocessor(columns, scale=False).set_output(transform="pandas")
    return Pipeline([("preprocess", preprocess), ("model", _non_negative(tree_regressor(cfg), cfg.log_target))])


def build_linear_pipeline(cfg: TrainLinearParams, columns: Columns, history: list[str] | tuple[str, ...] = ()) -> Pipeline:
    """Imputation + (arcsinh of ``history`` columns) + scaling + one-hot encoding + the linear model."""
    log_columns = history if cfg.log_features else ()
    return Pipeline([("preprocess", build_preprocessor(columns, scale=True, log_columns=log_columns)),
                     ("model", _non_negative(linear_regressor(cfg), cfg.log_target))])


def training_data(frame: pd.DataFrame, columns: Columns) -> tuple[pd.DataFrame, np.ndarray]:
    """The input columns and the target of ``frame`` (a copy: the frame is not modified)."""
    needed = [*input_columns(columns), columns["target"]]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise MedcostError(f"training data: column(s) {', '.join(missing)} missing (transform params changed?)")
    target = frame[columns["target"]].to_numpy(dtype="float64")
    if np.isnan(target).any():
        raise MedcostError(f"training data: {int(np.isnan(target).sum())} row(s) have no {columns['target']}")
    return frame[input_columns(columns)].copy(), target


def fit(pipeline: Pipeline, frame: pd.DataFrame, columns: Columns, n_threads: int | None = None) -> Pipeline:
    """A fitted copy of ``pipeline`` (the argument stays unfitted).

    ``n_threads`` caps the OpenMP/BLAS threads, so a result does not depend on the machine's core count;
    a forest trains on its ``n_jobs`` threads but predicts on one (the same bits on every run).
    """
    from threadpoolctl import threadpool_limits

    x, y = training_data(frame, columns)
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
    inner: Any = model.named_steps["model"]
    while isinstance(inner, TransformedTargetRegressor):
        inner = getattr(inner, "regressor_", inner.regressor)
    return inner


def predict(model: Pipeline, frame: pd.DataFrame, n_threads: int | None = 1) -> np.ndarray:
    """Predicted cost per row of ``frame`` (never below 0)."""
    from threadpoolctl import threadpool_limits

    names = list(getattr(model, "feature_names_in_", []))
    missing = [c for c in names if c not in frame.columns]
    if missing:
        raise MedcostError(f"model input: column(s) {', '.join(missing)} missing")
    with threadpool_limits(limits=n_threads):
        return np.asarray(model.predict(frame[names] if names else frame), dtype="float64")


def save_model(model: Pipeline, path: str | Path) -> None:
    """Pickle ``model`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            pickle.dump(model, fh, protocol=pickle.HIGHEST_PROTOCOL)


def load_model(path: str | Path) -> Pipeline:
    """A model saved by ``save_model`` (only load files you trust: this is pickle)."""
    try:
        with open(path, "rb") as fh:
            model = pickle.load(fh)
    except FileNotFoundError:
        raise MedcostError(f"{path}: model file not found (run its train stage first)") from None
    if not isinstance(model, Pipeline):
        raise MedcostError(f"{path}: not a scikit-learn Pipeline")
    return model


def describe(model: Pipeline) -> dict[str, Any]:
    """The regressor's class and the number of features after preprocessing (for logs and params)."""
    out: dict[str, Any] = {"estimator": type(fitted_regressor(model)).__name__}
    preprocess = model.named_steps["preprocess"]
    if hasattr(preprocess, "transformers_"):
        out["encoded_features"] = len(preprocess.get_feature_names_out())
    return out


def training_metrics(model: Pipeline, frame: pd.DataFrame, columns: Columns, top_share: float = 0.1) -> dict[str, Any]:
    """Metrics of ``model`` on its own training rows (rounded), for the dvclive log."""
    from medcost.evaluation import regression_metrics, round_floats

    x, y = training_data(frame, columns)
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
