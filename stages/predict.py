"""Predict next year's cost for every client of the scoring snapshot with the champion; publish only from a good snapshot.

A good snapshot: validate accepted and published it, split scored exactly that version, and its
drift verdict passed (or ``predict.allow_drift`` is true). Otherwise nothing is written over the
published predictions and the stage fails with one line saying why.
"""

from __future__ import annotations

import argparse
from typing import Any

from medcost.core.catalog import Catalog
from medcost.core.contracts import (
    DriftSummary,
    PromotionDecision,
    PublishedSnapshot,
    SplitSummary,
    ValidationReport,
    read_contract,
    write_contract,
)
from medcost.core.entry import run_stage
from medcost.core.errors import MedcostError
from medcost.core.features import FeatureSpec
from medcost.core.io import atomic_path, read_parquet
from medcost.core.params import PredictParams, PromoteParams, TransformParams, section
from medcost.predict import held_back_reason, load_champion, predict_frame, summary, upsert_predictions
from medcost.promote import tracking_uri


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Predict every client of the scoring snapshot with models:/<name>@champion, if the snapshot may be published."""
    catalog = Catalog.from_params(params)
    key = FeatureSpec.from_params(section(params, "transform", TransformParams)).key
    name = section(params, "promote", PromoteParams).model_name
    cfg = section(params, "predict", PredictParams)
    validation = (
        read_contract(catalog.validation_report, ValidationReport) if catalog.validation_report.exists() else None
    )
    published = read_contract(catalog.published, PublishedSnapshot) if catalog.published.exists() else None
    drift = read_contract(catalog.drift_summary, DriftSummary, made_by="drift")
    split = read_contract(catalog.split_summary, SplitSummary, made_by="split")
    reason = held_back_reason(validation, published, split, drift, cfg.allow_drift)
    if reason is not None:
        raise MedcostError(f"predictions held back, {catalog.predictions} left as it was: {reason}")
    decision_file = catalog.promotion_decision  # why there is no champion, if there is none
    decision = read_contract(decision_file, PromotionDecision, made_by="promote") if decision_file.exists() else None
    model, version = load_champion(name, tracking_uri(), decision)
    predictions = predict_frame(model, read_parquet(catalog.scoring, made_by="split"), key, name, version)
    with atomic_path(catalog.predictions) as folder:  # the folder is the DVC out: replaced as a whole
        folder.mkdir()
        predictions.to_parquet(folder / catalog.predictions_file.name, index=False)
    upsert_predictions(predictions, catalog.predictions_table, key)
    write_contract(catalog.predict_summary, summary(predictions, drift.verdict.passed, cfg.allow_drift))


if __name__ == "__main__":
    run_stage(main)
