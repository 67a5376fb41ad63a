"""Params of the monitor stage: when a champion's predictions, scored against the actual costs, count as degraded."""

from __future__ import annotations

from pydantic import Field

from medcost.core.params_base import Section


class MonitorParams(Section):
    """monitor: score every champion's predictions of a year once its actual costs are published."""

    max_r2_drop: float = Field(gt=0.0, le=1.0)  # degraded: R² on the actuals this far below the version's expected R²
    max_total_ratio_error: float = Field(gt=0.0, lt=1.0)  # degraded: |sum predicted / sum actual - 1| above this
    min_rows: int = Field(ge=1)  # a year with fewer matched rows is reported, not judged (too few to say)
