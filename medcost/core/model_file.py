"""The trained-model file the model stages pass on: save it, load it, and predict with it.

A model is a fitted scikit-learn ``Pipeline`` that reads the feature table's own columns
(:class:`~medcost.core.features.FeatureSpec`) and returns a cost per row. train writes it;
evaluate, drift and promote read it.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from medcost.core.errors import MedcostError
from medcost.core.features import FeatureSpec
from medcost.core.io import atomic_path, read_parquet

if TYPE_CHECKING:  # scikit-learn: imported where a model is loaded (a second at start-up otherwise)
    from sklearn.pipeline import Pipeline


def inputs_and_target(frame: pd.DataFrame, spec: FeatureSpec) -> tuple[pd.DataFrame, np.ndarray]:
    """The input columns (sharing the frame's memory: treat them as read-only) and the target of ``frame``."""
    needed = [*spec.inputs, spec.target]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise MedcostError(f"training data: column(s) {', '.join(missing)} missing (transform params changed?)")
    target = frame[spec.target].to_numpy(dtype="float64")
    if np.isnan(target).any():
        raise MedcostError(f"training data: {int(np.isnan(target).sum())} row(s) have no {spec.target}")
    # a frame of the input columns themselves, not a copy (millions of rows): the pipelines only read it
    inputs = pd.DataFrame({c: frame[c] for c in spec.inputs}, copy=False)
    return inputs, target


def read_model_rows(
    path: str | Path, spec: FeatureSpec, made_by: str | None = None, with_key: bool = False
) -> pd.DataFrame:
    """The inputs and the target of a Parquet part (and its key ``with_key``), text columns as pandas categories.

    A category column holds each distinct string once (the encoders see the same values, so a model
    fitted on it is the same model): at 3 million training rows the frame is half the size.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not Path(path).exists():
        read_parquet(path, made_by=made_by)  # the one-line error naming the stage that writes it
    present = set(pq.read_schema(path).names)
    key = list(spec.key) if with_key else []
    columns = [c for c in dict.fromkeys([*key, *spec.inputs, spec.target]) if c in present]
    table = pq.read_table(path, columns=columns)
    frame = table.to_pandas(strings_to_categorical=True, self_destruct=True, split_blocks=True)
    del table
    # Arrow's allocator keeps what it freed: hand it back before the fit allocates its own copies
    # (0.8 GB at 3 million rows, otherwise held through the whole stage)
    pa.default_memory_pool().release_unused()
    return frame


PREDICT_BATCH_ROWS = 250_000


def predict(
    model: Pipeline, frame: pd.DataFrame, n_threads: int | None = 1, batch_rows: int = PREDICT_BATCH_ROWS
) -> np.ndarray:
    """Predicted cost per row of ``frame`` (never below 0), on ``n_threads`` threads (the same bits every run).

    Rows go through the pipeline ``batch_rows`` at a time: a row's prediction does not depend on
    the others, and the preprocessed copy of millions of rows (float64, one column per encoded
    feature) would otherwise be held at once.
    """
    names = list(getattr(model, "feature_names_in_", []))
    missing = [c for c in names if c not in frame.columns]
    if missing:
        raise MedcostError(f"model input: column(s) {', '.join(missing)} missing")
    out = np.empty(len(frame), dtype="float64")
    with threadpool_limits(limits=n_threads):
        for start in range(0, len(frame), batch_rows):
            rows = frame.iloc[start : start + batch_rows]
            out[start : start + len(rows)] = np.asarray(model.predict(rows[names] if names else rows)).ravel()
    return out


def save_model(model: Pipeline, path: str | Path) -> None:
    """Pickle ``model`` to ``path`` atomically."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        pickle.dump(model, fh, protocol=pickle.HIGHEST_PROTOCOL)


def load_model(path: str | Path) -> Pipeline:
    """A model saved by :func:`save_model` (only load files you trust: this is pickle)."""
    from sklearn.pipeline import Pipeline

    try:
        with open(path, "rb") as fh:
            model = pickle.load(fh)
    except FileNotFoundError:
        raise MedcostError(f"{path}: model file not found (run its train stage first)") from None
    if not isinstance(model, Pipeline):
        raise MedcostError(f"{path}: not a scikit-learn Pipeline")
    return model
