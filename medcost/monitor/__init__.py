"""The monitor stage: every champion's predictions of a year, once its actual costs are known, scored and judged."""

from medcost.monitor.reads import read_actuals, read_predictions, version_expectation
from medcost.monitor.verdict import degradation, degraded_event, monitor, score_year, versions_to_check

__all__ = [
    "degradation",
    "degraded_event",
    "monitor",
    "read_actuals",
    "read_predictions",
    "score_year",
    "version_expectation",
    "versions_to_check",
]
