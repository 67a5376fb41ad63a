"""The content hash of a feature or prediction table: what every lakehouse write records and every read checks."""

from __future__ import annotations

import hashlib

import pandas as pd

HASH_METADATA_KEY = "medcost.content_hash"
"""The Delta commit metadata key holding the content hash of the rows the commit wrote."""


def content_hash(frame: pd.DataFrame, key: list[str]) -> str:
    """A hash of the rows and columns, independent of row order (sorted by ``key``)."""
    ordered = frame.sort_values(key, kind="stable").reset_index(drop=True)
    digest = hashlib.sha256()
    digest.update(",".join(f"{c}:{ordered[c].dtype}" for c in ordered.columns).encode())
    digest.update(pd.util.hash_pandas_object(ordered, index=False).to_numpy().tobytes())
    return digest.hexdigest()
