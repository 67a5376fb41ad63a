"""The two model pipelines, preprocessing and regressor in one scikit-learn object, built from the train params.

Both pipelines read the feature table's own columns (:class:`~medcost.core.features.FeatureSpec`)
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
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from medcost.core.errors import MedcostError
from medcost.core.features import FeatureSpec
from medcost.core.params import TrainLinearParams, TrainTreeParams

if TYPE_CHECKING:  # scikit-learn takes a second to import: only the functions that build a pipeline import it
    from sklearn.base import RegressorMixin
    from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
    from sklearn.pipeline import Pipeline

log = logging.getLogger(__name__)


def build_preprocessor(spec: FeatureSpec, *, scale: bool, log_columns: Sequence[str] = ()) -> ColumnTransformer:
    """Impute (and optionally arcsinh and scale) numerics; one-hot encode categoricals."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    logged = [c for c in spec.numeric if c in set(log_columns)]
    plain = [c for c in spec.numeric if c not in set(log_columns)]

    def numeric_steps(log_first: bool) -> Pipeline:
        # copy=False: the imputer fills the float copy it makes of the columns the ColumnTransformer hands
        # it (never the caller's frame), instead of a second copy (0.5 GB at 3 million training rows)
        steps: list[tuple[str, Any]] = [
            ("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True, copy=False))
        ]
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
    if spec.categorical:
        transformers.append(
            ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), list(spec.categorical))
        )
    if not transformers:
        raise MedcostError("model: no input columns (transform.numeric, flags and categorical are all empty?)")
    return ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=False)


def non_negative(regressor: RegressorMixin, log_target: bool) -> TransformedTargetRegressor:
    """``regressor`` whose predictions are clipped at 0, optionally fitted on log1p(target)."""
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.preprocessing import FunctionTransformer

    inner: RegressorMixin = regressor
    if log_target:
        inner = TransformedTargetRegressor(regressor=regressor, func=np.log1p, inverse_func=np.expm1)
    clip = FunctionTransformer(
        func=None, inverse_func=functools.partial(np.clip, a_min=0.0, a_max=None), check_inverse=False
    )
    return TransformedTargetRegressor(regressor=inner, transformer=clip, check_inverse=False)


def tree_regressor(cfg: TrainTreeParams) -> RegressorMixin:
    """The configured tree ensemble (unfitted)."""
    from sklearn.ensemble import ExtraTreesRegressor, HistGradientBoostingRegressor, RandomForestRegressor

    if cfg.model == "hist_gradient_boosting":
        return HistGradientBoostingRegressor(
            loss=cfg.loss,
            max_iter=cfg.max_iter,
            learning_rate=cfg.learning_rate,
            max_leaf_nodes=cfg.max_leaf_nodes,
            max_depth=cfg.max_depth,
            min_samples_leaf=cfg.min_samples_leaf,
            l2_regularization=cfg.l2_regularization,
            monotonic_cst={name: 1 for name in cfg.increasing} or None,
            early_stopping=False,
            random_state=cfg.seed,
        )
    forest = {"random_forest": RandomForestRegressor, "extra_trees": ExtraTreesRegressor}[cfg.model]
    return forest(
        n_estimators=cfg.n_estimators,
        max_depth=cfg.max_depth,
        min_samples_leaf=cfg.min_samples_leaf,
        max_features=cfg.max_features,
        n_jobs=cfg.n_jobs,
        random_state=cfg.seed,
    )


def linear_regressor(cfg: TrainLinearParams) -> RegressorMixin:
    """The configured (generalised) linear model (unfitted)."""
    from sklearn.linear_model import ElasticNet, Lasso, PoissonRegressor, Ridge

    if cfg.model == "ridge":
        return Ridge(alpha=cfg.alpha, random_state=cfg.seed)
    if cfg.model == "lasso":
        return Lasso(alpha=cfg.alpha, max_iter=cfg.max_iter, random_state=cfg.seed)
    if cfg.model == "elastic_net":
        return ElasticNet(alpha=cfg.alpha, l1_ratio=cfg.l1_ratio, max_iter=cfg.max_iter, random_state=cfg.seed)
    return PoissonRegressor(alpha=cfg.alpha, max_iter=cfg.max_iter, solver="newton-cholesky")


def without_dropped_inputs(cfg: TrainTreeParams, spec: FeatureSpec) -> TrainTreeParams:
    """``cfg`` whose ``increasing`` lists only inputs of ``spec`` (a feature select dropped has no constraint)."""
    gone = [c for c in cfg.increasing if c not in spec.numeric]
    if not gone:
        return cfg
    log.info("train_tree.increasing: %s not trained on (dropped by select), no constraint", ", ".join(gone))
    return cfg.model_copy(update={"increasing": [c for c in cfg.increasing if c in spec.numeric]})


def build_tree_pipeline(cfg: TrainTreeParams, spec: FeatureSpec) -> Pipeline:
    """Imputation + one-hot encoding + the tree ensemble (trees need no scaling).

    The preprocessor passes a data frame on, so the regressor knows the column names
    (``increasing``: prediction never falls when one of these columns rises, all else equal).
    """
    from sklearn.pipeline import Pipeline

    unknown = [c for c in cfg.increasing if c not in spec.numeric]
    if unknown:
        raise MedcostError(f"train_tree.increasing: {', '.join(unknown)} not among the numeric model inputs")
    preprocess = build_preprocessor(spec, scale=False).set_output(transform="pandas")
    return Pipeline([("preprocess", preprocess), ("model", non_negative(tree_regressor(cfg), cfg.log_target))])


def build_linear_pipeline(cfg: TrainLinearParams, spec: FeatureSpec) -> Pipeline:
    """Imputation + (arcsinh of the claim-history columns, ``spec.history``) + scaling + one-hot + the linear model."""
    from sklearn.pipeline import Pipeline

    log_columns = spec.history if cfg.log_features else ()
    return Pipeline(
        [
            ("preprocess", build_preprocessor(spec, scale=True, log_columns=log_columns)),
            ("model", non_negative(linear_regressor(cfg), cfg.log_target)),
        ]
    )
