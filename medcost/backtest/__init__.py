"""The backtest stage: each model family trained on the cutoffs before each recent year only and scored on that year."""

from medcost.backtest.backtest import (
    Fit,
    Predictor,
    Rows,
    YearRows,
    baseline_fit,
    mean_scores,
    oracle_predictions,
    r2_table,
    run_backtest,
    year_rows,
)
from medcost.backtest.rows import cutoff_rows, needed_years, truth_rows, write_plot

__all__ = [
    "Fit",
    "Predictor",
    "Rows",
    "YearRows",
    "baseline_fit",
    "cutoff_rows",
    "mean_scores",
    "needed_years",
    "oracle_predictions",
    "r2_table",
    "run_backtest",
    "truth_rows",
    "write_plot",
    "year_rows",
]
