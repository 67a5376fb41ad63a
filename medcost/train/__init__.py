"""The train stages: build the tree or linear pipeline from its params, fit it reproducibly and log it with dvclive."""

from medcost.train.fit import describe, fit, fitted_regressor, log_with_dvclive, training_metrics
from medcost.train.pipelines import (
    build_linear_pipeline,
    build_preprocessor,
    build_tree_pipeline,
    linear_regressor,
    non_negative,
    tree_regressor,
    without_dropped_inputs,
)
from medcost.train.tuned import kept_inputs, linear_settings, tree_settings, tuned_params

__all__ = [
    "build_linear_pipeline",
    "build_preprocessor",
    "build_tree_pipeline",
    "describe",
    "fit",
    "fitted_regressor",
    "kept_inputs",
    "linear_settings",
    "linear_regressor",
    "log_with_dvclive",
    "non_negative",
    "training_metrics",
    "tree_regressor",
    "tree_settings",
    "tuned_params",
    "without_dropped_inputs",
]
