"""The transform stage: point-in-time client features (the training year with its target, and the scoring snapshot)."""

from medcost.transform.features import build_feature_table, client_features

__all__ = ["build_feature_table", "client_features"]
