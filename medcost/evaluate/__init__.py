"""The evaluate stage: test-set metrics with bootstrap intervals against a baseline, plot data and importances."""

from medcost.evaluate.bootstrap import bootstrap_intervals
from medcost.evaluate.importance import importance_tables, permutation_importances
from medcost.evaluate.plots import scatter_figure, write_plots
from medcost.evaluate.scoring import decile_table, evaluate_models, log_scores, oracle_frame

__all__ = [
    "bootstrap_intervals",
    "decile_table",
    "evaluate_models",
    "importance_tables",
    "log_scores",
    "oracle_frame",
    "permutation_importances",
    "scatter_figure",
    "write_plots",
]
