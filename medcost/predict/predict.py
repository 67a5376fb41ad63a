"""Batch predictions: the champion's predicted cost for every client of the scoring snapshot.

The champion is resolved once (alias -> version number) and that exact version is loaded
(``models:/<name>/<version>``, the same model as ``models:/<name>@champion``), so the version
written beside each prediction is the one that made it, even if the alias moves meanwhile.
Inputs go through the model's own signature (the columns and types it was logged with) and
its input rules (:mod:`medcost.core.inputs`, stored with the model), exactly as the REST
server does, so the batch and the endpoint agree: a row the champion rejects fails the run
with one line naming the count, the first client and its reasons, and nothing is published.

The predictions are upserted into a Delta table on (client key, model_version) through
load's one Delta upsert: rerunning with the same champion gives the same table, and each
champion's predictions are kept side by side.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from medcost.core.contracts import MODEL_VERSION, PREDICTED_COST, PredictedCost, PredictSummary, PromotionDecision
from medcost.core.errors import MedcostError
from medcost.core.inputs import first_rejection
from medcost.core.progress import waiting
from medcost.core.secrets import mask_url
from medcost.core.served_model import served_rules
from medcost.load import upsert_delta
from medcost.promote import CHAMPION, champion_version, current_aliases, mlflow_session, pyfunc_answers

if TYPE_CHECKING:
    from mlflow.pyfunc import PyFuncModel

log = logging.getLogger(__name__)


def why_no_champion(decision: PromotionDecision, name: str, uri: str) -> str | None:
    """Why ``name`` has no champion, in one line, from promote's last decision (None: it does not say)."""
    if decision.model_name != name:
        return None  # a decision about another registered model
    where = f"no champion for registered model '{name}' in {mask_url(uri)}"
    if decision.champion_after is not None:
        return (
            f"{where}, but promote's last decision made version {decision.champion_after} champion "
            "(another tracking store, or a new or reset registry?): rerun promote (dvc repro -s -f promote)"
        )
    reasons = "; ".join(decision.reasons) or "no reason recorded"
    return (
        f"{where}: promote registered version {decision.version} ({decision.candidate}, "
        f"{decision.lifecycle}) and crowned nobody: {reasons}"
    )


def load_champion(name: str, uri: str, decision: PromotionDecision | None = None) -> tuple[PyFuncModel, int]:
    """The champion of registered model ``name`` (pyfunc) and its version number.

    Without a champion the error says why, from promote's last ``decision`` (metrics/promotion.json)
    when there is one, else that promote has to run first. A champion logged without input
    rules (a plain pipeline, registered before medcost checked inputs) is refused.
    """
    with waiting(f"loading {name}@{CHAMPION}"), mlflow_session(uri) as client:
        if decision is not None and CHAMPION not in current_aliases(client, name):
            reason = why_no_champion(decision, name, uri)
            if reason is not None:
                raise MedcostError(reason)
        version = champion_version(client, name, uri)
        import mlflow.pyfunc

        model = mlflow.pyfunc.load_model(f"models:/{name}/{version}")
    if served_rules(model) is None:
        raise MedcostError(
            f"champion {name} version {version} was registered without input checks (a plain pipeline, "
            "before medcost checked each row): promote into a new tracking store (MLFLOW_TRACKING_URI, or "
            "move mlflow.db and mlruns/ away) with dvc repro -s -f promote"
        )
    log.info("loaded %s version %d (alias champion)", name, version)
    return model, version


def predict_frame(
    model: PyFuncModel, frame: pd.DataFrame, key: Sequence[str], model_name: str, version: int
) -> pd.DataFrame:
    """One row per row of ``frame``: its key, ``predicted_cost``, ``model_name``, ``model_version``."""
    missing = [c for c in key if c not in frame.columns]
    if missing:
        raise MedcostError(f"scoring snapshot: key column(s) {', '.join(missing)} missing")
    if frame.empty:
        raise MedcostError("scoring snapshot: no rows to predict")
    if frame.duplicated(list(key)).any():
        raise MedcostError(f"scoring snapshot: duplicate keys ({', '.join(key)})")
    answers = pyfunc_answers(model, frame, "scoring snapshot")
    if len(answers) != len(frame):
        raise MedcostError(f"model returned {len(answers)} predictions for {len(frame)} rows")
    rejected = first_rejection(list(answers["error"]))
    if rejected is not None:
        count, first, why = rejected
        client = ", ".join(f"{c}={frame[c].iloc[first]}" for c in key)
        raise MedcostError(
            f"scoring snapshot: the champion's input checks reject {count} of {len(frame)} rows; "
            f"the first ({client}): {why}"
        )
    predicted = answers[PREDICTED_COST].to_numpy()
    if not np.isfinite(predicted).all():
        raise MedcostError(f"model returned {int((~np.isfinite(predicted)).sum())} non-finite prediction(s)")
    out = frame[list(key)].reset_index(drop=True).copy()
    out[PREDICTED_COST] = predicted
    out["model_name"] = model_name
    out[MODEL_VERSION] = np.int64(version)
    return out


def summary(predictions: pd.DataFrame, drift_passed: bool, allow_drift: bool) -> PredictSummary:
    """Deterministic facts about a prediction run (metrics/predict.json), with the drift verdict it was published under."""
    cost = predictions["predicted_cost"]
    return PredictSummary(
        model_name=str(predictions["model_name"].iloc[0]),
        model_version=int(predictions[MODEL_VERSION].iloc[0]),
        rows=len(predictions),
        years=sorted(int(y) for y in predictions["year"].unique()) if "year" in predictions else [],
        predicted_cost=PredictedCost(
            total=float(cost.sum()),
            mean=float(cost.mean()),
            p50=float(cost.quantile(0.5)),
            p99=float(cost.quantile(0.99)),
        ),
        drift_passed=drift_passed,
        allow_drift=allow_drift,
    )


def stale_predicate(predictions: pd.DataFrame) -> str:
    """The table rows a prediction run replaces: those of its model version(s) and year(s)."""
    versions = ", ".join(str(int(v)) for v in sorted(predictions[MODEL_VERSION].unique()))
    years = ", ".join(str(int(y)) for y in sorted(predictions["year"].unique()))
    return f"t.{MODEL_VERSION} IN ({versions}) AND t.year IN ({years})"


def upsert_predictions(predictions: pd.DataFrame, path: str | Path, key: Sequence[str]) -> int:
    """Upsert ``predictions`` into the Delta table at ``path`` on (``key``, model_version); return its version.

    Rows of the same model version and year that are no longer predicted are deleted, so a
    (year, model_version) slice always equals the last prediction run of that version.
    """
    return upsert_delta(predictions, path, [*key, MODEL_VERSION], stale_predicate(predictions))
