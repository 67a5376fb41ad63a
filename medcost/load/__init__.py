"""The load stage: upsert the feature table into the lakehouse (Delta Lake or Hopsworks) and receipt the version.

Also the one way other stages read the published version (:func:`read_published`) and the
one Delta upsert (:func:`upsert_delta`, used by predict too).
"""

from medcost.load.content import HASH_METADATA_KEY, content_hash
from medcost.load.delta import DeltaLakehouse, upsert_delta
from medcost.load.hopsworks import HopsworksLakehouse
from medcost.load.lakehouse import Lakehouse, open_lakehouse, read_loaded, read_published

__all__ = [
    "HASH_METADATA_KEY",
    "DeltaLakehouse",
    "HopsworksLakehouse",
    "Lakehouse",
    "content_hash",
    "open_lakehouse",
    "read_loaded",
    "read_published",
    "upsert_delta",
]
