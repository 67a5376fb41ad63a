"""The tune stage: a seeded Optuna search of each model family's settings, scored by grouped k-fold cross-validation."""

from medcost.tune.family import Family, linear_family, tree_family
from medcost.tune.folds import group_folds, sample_clients
from medcost.tune.run import client_columns, disabled, read_cv_rows, tune, tune_metrics
from medcost.tune.search import cross_validate, search

__all__ = [
    "Family",
    "client_columns",
    "cross_validate",
    "disabled",
    "group_folds",
    "linear_family",
    "read_cv_rows",
    "sample_clients",
    "search",
    "tree_family",
    "tune",
    "tune_metrics",
]
