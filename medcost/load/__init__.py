"""The load stage: upsert the feature table into the staging table (Delta Lake or Hopsworks) and receipt the version.

Also the one way validate reads the staged version (:func:`staged_dataset`, Arrow data scanned
lazily) and publishes an accepted snapshot (:func:`publish`, streamed), the one way other stages
read the published version (:func:`scan_published`, Arrow data; :func:`read_published`, pandas), the one content hash
(:func:`content_hash`, in DuckDB) and the idempotent Delta writes (:func:`replace_delta` for the feature
table, :func:`upsert_delta` for predict's predictions).
"""

from medcost.load.content import HASH_METADATA_KEY, Content, content_hash, scan_content
from medcost.load.delta import DeltaLakehouse, replace_delta, upsert_delta
from medcost.load.hopsworks import HopsworksLakehouse
from medcost.load.lakehouse import (
    STAGING_SUFFIX,
    Lakehouse,
    open_lakehouse,
    open_published,
    open_staging,
    publish,
    read_loaded,
    read_published,
    scan_loaded,
    scan_published,
    staged_dataset,
)
from medcost.load.rows import ArrowRows, Rows, open_parquet, read_columns, stream, to_frame

__all__ = [
    "HASH_METADATA_KEY",
    "STAGING_SUFFIX",
    "ArrowRows",
    "Content",
    "DeltaLakehouse",
    "HopsworksLakehouse",
    "Lakehouse",
    "Rows",
    "content_hash",
    "open_lakehouse",
    "open_parquet",
    "open_published",
    "open_staging",
    "publish",
    "read_loaded",
    "read_columns",
    "read_published",
    "scan_published",
    "replace_delta",
    "scan_content",
    "scan_loaded",
    "staged_dataset",
    "stream",
    "to_frame",
    "upsert_delta",
]
