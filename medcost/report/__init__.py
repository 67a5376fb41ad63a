"""The report tool: what a change does to params, metrics and plots against a git revision (``python -m medcost.report``)."""

from medcost.report.report import build_report, dvc, main, render_plots

__all__ = ["build_report", "dvc", "main", "render_plots"]
