"""The report tool: a change's scores, params, metrics and plots against a git revision (``python -m medcost.report``)."""

from medcost.report.diffs import is_volatile, metrics_table, params_table
from medcost.report.plots import render_plots
from medcost.report.report import build_report, dvc, main
from medcost.report.scores import Scores, from_evaluation, parse_scores, score_table

__all__ = [
    "Scores",
    "build_report",
    "dvc",
    "from_evaluation",
    "is_volatile",
    "main",
    "metrics_table",
    "params_table",
    "parse_scores",
    "render_plots",
    "score_table",
]
