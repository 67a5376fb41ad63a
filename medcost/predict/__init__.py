"""The predict stage: the registry champion's predicted cost for every client of the scoring snapshot."""

from medcost.predict.gate import held_back_reason
from medcost.predict.predict import (
    load_champion,
    predict_frame,
    stale_predicate,
    summary,
    upsert_predictions,
    why_no_champion,
)

__all__ = [
    "held_back_reason",
    "load_champion",
    "predict_frame",
    "stale_predicate",
    "summary",
    "upsert_predictions",
    "why_no_champion",
]
