"""The drift stage: the scoring snapshot against the training features, by own statistics and deepchecks."""

from medcost.core.shift import MISSING, psi_categorical, psi_numeric, quantile_edges, std_shift
from medcost.drift.checks import quiet_deepchecks, run_deepchecks
from medcost.drift.report import write_report
from medcost.drift.statistics import advance_calendar, feature_statistics, snapshot_gaps
from medcost.drift.summary import drift_model, drift_report, drift_summary

__all__ = [
    "MISSING",
    "advance_calendar",
    "drift_model",
    "drift_report",
    "drift_summary",
    "feature_statistics",
    "psi_categorical",
    "psi_numeric",
    "quantile_edges",
    "quiet_deepchecks",
    "run_deepchecks",
    "snapshot_gaps",
    "std_shift",
    "write_report",
]
