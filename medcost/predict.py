"""Batch predictions: the champion's predicted cost for every client of the scoring snapshot.

The champion is resolved once (alias -> version number) and that exact version is loaded
(``models:/<name>/<version>``, the same model as ``models:/<name>@champion``), so the version
written beside each prediction is the one that made it, even if the alias moves meanwhile.
Inputs go through the model's own signature (the columns and types it was logged with),
exactly as ``mlflow models serve`` does, so the batch and the REST endpoint agree.

The predictions are written to Parquet and upserted into a Delta table beside the feature
table on (client_id, year, model_version): rerunning with the same champion gives the same
table, and each champion's predictions are kept side by side.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from medcost.errors import MedcostError
from medcost.registry import champion_version, mlflow_session, pyfunc_predict

if TYPE_CHECKING:
    from mlflow.pyfunc import PyFuncModel

log = logging.getLogger(__name__)

PREDICTION_COLUMNS = ["predicted_cost", "model_name", "model_version"]


def load_champion(name: str, uri: str) -> tuple["PyFuncModel", int]:
    """The champion of registered model ``name`` (pyfunc) and its version number."""
    with mlflow_session(uri) as client:
        version = champion_version(client, name, uri)
        import mlflow.pyfunc

        model = mlflow.pyfunc.load_model(f"models:/{name}/{version}")
    log.info("loaded %s version %d (alias champion)", name, version)
    return model, version


def predict_frame(model: "PyFuncModel", frame: pd.DataFrame, key: Sequence[str], model_name: str,
                  version: int) -> pd.DataFrame:
    """One row per row of ``frame``: its key, ``predicted_cost``, ``model_name``, ``model_version``."""
    missing = [c for c in key if c not in frame.columns]
    if missing:
        raise MedcostError(f"scoring snapshot: key column(s) {', '.join(missing)} missing")
    if frame.empty:
        raise MedcostError("scoring snapshot: no rows to predict")
    if frame.duplicated(list(key)).any():
        raise MedcostError(f"scoring snapshot: duplicate keys ({', '.join(key)})")
    predicted = pyfunc_predict(model, frame)
    if len(predicted) != len(frame):
        raise MedcostError(f"model returned {len(predicted)} predictions for {len(frame)} rows")
    if not np.isfinite(predicted).all():
        raise MedcostError(f"model returned {int((~np.isfinite(predicted)).sum())} non-finite prediction(s)")
    out = frame[list(key)].reset_index(drop=True).copy()
    out["predicted_cost"] = predicted
    out["model_name"] = model_name
    out["model_version"] = np.int64(version)
    return out


def summary(predictions: pd.DataFrame) -> dict[str, Any]:
    """Deterministic facts about a prediction run (for metrics/predict.json)."""
    cost = predictions["predicted_cost"]
    return {
        "model_name": str(predictions["model_name"].iloc[0]),
        "model_version": int(predictions["model_version"].iloc[0]),
        "rows": len(predictions),
        "years": sorted(int(y) for y in predictions["year"].unique()) if "year" in predictions else [],
        "predicted_cost": {"total": float(cost.sum()), "mean": float(cost.mean()),
                           "p50": float(cost.quantile(0.5)), "p99": float(cost.quantile(0.99))},
    }


def upsert_delta(frame: pd.DataFrame, path: str | Path, key: Sequence[str]) -> dict[str, Any]:
    """Upsert ``frame`` into the Delta table at ``path`` on ``key``; identical content writes nothing.

    Rows of the same model version and year that are no longer in ``frame`` are deleted, so a
    (year, model_version) slice always equals the last prediction run of that version.
    """
    from deltalake import CommitProperties, DeltaTable, write_deltalake

    from medcost.lakehouse import HASH_METADATA_KEY, content_hash

    target = Path(path)
    digest = content_hash(frame, list(key))
    data = pa.Table.from_pandas(frame, preserve_index=False)
    commit = CommitProperties(custom_metadata={HASH_METADATA_KEY: digest})
    if not DeltaTable.is_deltatable(str(target)):
        target.parent.mkdir(parents=True, exist_ok=True)
        write_deltalake(str(target), data, mode="error", commit_properties=commit)
        log.info("created Delta table %s", target)
    else:
        table = DeltaTable(str(target))
        if table.history(1)[0].get(HASH_METADATA_KEY) == digest:
            log.info("Delta table %s version %d already holds these predictions", target, table.version())
        else:
            on_key = " AND ".join(f"t.{c} = s.{c}" for c in key)
            versions = ", ".join(str(int(v)) for v in sorted(frame["model_version"].unique()))
            years = ", ".join(str(int(y)) for y in sorted(frame["year"].unique()))
            stale = f"t.model_version IN ({versions}) AND t.year IN ({years})"
            stats = (table.merge(data, predicate=on_key, source_alias="s", target_alias="t", commit_properties=commit)
                     .when_matched_update_all()
                     .when_not_matched_insert_all()
                     .when_not_matched_by_source_delete(stale)
                     .execute())
            log.info("merged into %s: %s", target, {k: v for k, v in stats.items() if k.startswith("num_")})
    version = DeltaTable(str(target)).version()
    return {"table": str(target), "version": version, "rows": len(frame), "key": list(key), "content_hash": digest}
