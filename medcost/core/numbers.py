"""Rounding that keeps the bytes of metric files stable across platforms and reruns."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

SIGNIFICANT = 6
"""Significant digits kept in metric files."""


def round_floats(value: Any, digits: int = SIGNIFICANT) -> Any:
    """``value`` with every float (also in nested dicts/lists) rounded to ``digits`` significant digits."""
    if isinstance(value, Mapping):
        return {k: round_floats(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [round_floats(v, digits) for v in value]
    if isinstance(value, (float, np.floating)):
        x = float(value)
        if not math.isfinite(x) or x == 0.0:
            return x
        return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))
    if isinstance(value, np.integer):
        return int(value)
    return value


def finite_or_none(value: Any) -> Any:
    """``value`` with every non-finite float (also nested) replaced by None: JSON has no NaN or Infinity."""
    if isinstance(value, Mapping):
        return {k: finite_or_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_none(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
