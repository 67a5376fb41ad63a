"""The load stage: upsert the feature table into the staging table (Delta Lake or Hopsworks) and receipt the version.

Also the one way validate publishes an accepted snapshot (:func:`publish`), the one way other
stages read the published version (:func:`read_published`) and the one Delta upsert
(:func:`upsert_delta`, used by predict too).
"""

from medcost.load.content import HASH_METADATA_KEY, content_hash
from medcost.load.delta import DeltaLakehouse, upsert_delta
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
    read_staged,
)

__all__ = [
    "HASH_METADATA_KEY",
    "DeltaLakehouse",
    "HopsworksLakehouse",
    "Lakehouse",
    "content_hash",
    "STAGING_SUFFIX",
    "open_lakehouse",
    "open_published",
    "open_staging",
    "publish",
    "read_loaded",
    "read_published",
    "read_staged",
    "upsert_delta",
]
