"""The select stage: drop the model inputs that drifted between train and scoring, or carry no information."""

from medcost.select.selection import YEAR, advanced, describe, select_features, selection_summary, top_share

__all__ = ["YEAR", "advanced", "describe", "select_features", "selection_summary", "top_share"]
