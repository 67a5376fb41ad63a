"""The transform stage: point-in-time client features (training years with their targets, and the scoring snapshot)."""

from medcost.transform.duck import duckdb_feature_table, duckdb_features
from medcost.transform.engine import feature_table, transform_summary, write_feature_table
from medcost.transform.features import build_feature_table, client_features, snapshot_cutoffs
from medcost.transform.spark import spark_feature_table, spark_features
from medcost.transform.sql import Cutoff, feature_sql

__all__ = [
    "Cutoff",
    "build_feature_table",
    "client_features",
    "duckdb_feature_table",
    "duckdb_features",
    "feature_sql",
    "feature_table",
    "snapshot_cutoffs",
    "spark_feature_table",
    "spark_features",
    "transform_summary",
    "write_feature_table",
]
