"""Predict next year's cost for every client of the scoring snapshot with the champion model."""

from __future__ import annotations

import argparse
from typing import Any

from medcost.core.catalog import Catalog
from medcost.core.contracts import PromotionDecision, read_contract, write_contract
from medcost.core.entry import run_stage
from medcost.core.features import FeatureSpec
from medcost.core.io import atomic_path, read_parquet
from medcost.core.params import PromoteParams, TransformParams, section
from medcost.predict import load_champion, predict_frame, summary, upsert_predictions
from medcost.promote import tracking_uri


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Predict every client of the scoring snapshot with models:/<name>@champion."""
    catalog = Catalog.from_params(params)
    key = FeatureSpec.from_params(section(params, "transform", TransformParams)).key
    name = section(params, "promote", PromoteParams).model_name
    decision_file = catalog.promotion_decision  # why there is no champion, if there is none
    decision = read_contract(decision_file, PromotionDecision, made_by="promote") if decision_file.exists() else None
    model, version = load_champion(name, tracking_uri(), decision)
    predictions = predict_frame(model, read_parquet(catalog.scoring, made_by="split"), key, name, version)
    with atomic_path(catalog.predictions) as folder:  # the folder is the DVC out: replaced as a whole
        folder.mkdir()
        predictions.to_parquet(folder / catalog.predictions_file.name, index=False)
    upsert_predictions(predictions, catalog.predictions_table, key)
    write_contract(catalog.predict_summary, summary(predictions))


if __name__ == "__main__":
    run_stage(main)
