"""Log the candidate model to MLflow, register a version and move the registry aliases (see medcost/promote)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TypeVar

import yaml

from medcost.core.catalog import MODEL_NAMES, Catalog
from medcost.core.contracts import (
    Backtest,
    Contract,
    DriftSummary,
    Evaluation,
    PromotionDecision,
    QualityVerdict,
    read_contract,
    write_contract,
)
from medcost.core.entry import run_stage
from medcost.core.features import FeatureSpec
from medcost.core.inputs import InputRules
from medcost.core.io import read_parquet
from medcost.core.model_file import load_model
from medcost.core.notify import notify, promotion_event
from medcost.core.params import PromoteParams, TransformParams, ValidateParams, section
from medcost.core.progress import waiting
from medcost.promote import (
    DatasetRef,
    Promotion,
    TrainedModel,
    choose_candidate,
    default_artifact_location,
    dvc_hashes,
    file_sha256,
    lineage_tags,
    promote,
    read_lineage,
    read_verdicts,
    run_metrics,
    tracking_uri,
)

DVC_LOCK = Path("dvc.lock")
C = TypeVar("C", bound=Contract)


def _optional(path: Path, model: type[C], made_by: str) -> C | None:
    """A contract that may be absent (a pipeline run without that stage): None then."""
    return read_contract(path, model, made_by=made_by) if path.exists() else None


def _sections(params: dict[str, Any], family: str) -> dict[str, Any]:
    """The params a model of ``family`` was made with: logged to its run and as lineage."""
    return {name: params[name] for name in (f"train_{family}", "transform", "split") if name in params}


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Log the candidate to MLflow, register a version and move the aliases; write the decision."""
    catalog = Catalog.from_params(params)
    cfg = section(params, "promote", PromoteParams)
    transform = section(params, "transform", TransformParams)
    spec = FeatureSpec.from_params(transform)
    rules = InputRules.from_params(transform, section(params, "validate", ValidateParams))
    quality = read_contract(catalog.quality_verdict, QualityVerdict, made_by="validate_metrics")
    drift = _optional(catalog.drift_summary, DriftSummary, made_by="drift")
    evaluation = _optional(catalog.evaluation, Evaluation, made_by="evaluate")
    backtest = _optional(catalog.backtest, Backtest, made_by="backtest")  # the versions' expectation (monitor)

    lineage = read_lineage()  # the working directory: DVC's temporary copy under `dvc exp run --temp/--queue`
    candidate = choose_candidate(quality, evaluation)
    model_path = catalog.model(candidate)
    sha256 = file_sha256(model_path)
    lock = yaml.safe_load(DVC_LOCK.read_text()) if DVC_LOCK.exists() else None
    hashes = dvc_hashes(lock, {"train": str(catalog.train), "test": str(catalog.test), "model": str(model_path)})
    artifacts = [
        ("plots", catalog.evaluate_plots),
        *(("verdicts", path) for path in (catalog.evaluation, catalog.quality_verdict, catalog.drift_summary)),
        ("data_docs", catalog.data_docs),
        ("drift", catalog.drift_report),
    ]
    datasets = [
        DatasetRef(name="train", path=str(catalog.train), digest=hashes.get("train"), context="training"),
        DatasetRef(name="test", path=str(catalog.test), digest=hashes.get("test"), context="testing"),
    ]
    others = [
        TrainedModel(
            family=family,
            model_sha256=file_sha256(catalog.model(family)),
            model_file=catalog.model(family),
            params=_sections(params, family),
            metrics=run_metrics(evaluation, quality, family, backtest),
        )
        for family in MODEL_NAMES
        if family != candidate and catalog.model(family).is_file()
    ]
    sections = _sections(params, candidate)

    promotion = Promotion(
        model_name=cfg.model_name,
        experiment=cfg.experiment,
        candidate=candidate,
        model=load_model(model_path),
        model_sha256=sha256,
        test=read_parquet(catalog.test, made_by="split"),
        spec=spec,
        verdicts=read_verdicts(quality, drift),
        metrics=run_metrics(evaluation, quality, candidate, backtest),
        params=sections,
        tags=lineage_tags(candidate=candidate, sha256=sha256, lineage=lineage, hashes=hashes, params=sections),
        lineage=lineage,
        rules=rules,
        artifacts=[(folder, path) for folder, path in artifacts if path.exists()],
        model_file=model_path,
        other_models=others,
        datasets=datasets,
        min_rmse_improvement=cfg.min_rmse_improvement,
        input_example_rows=cfg.input_example_rows,
        confidence=cfg.confidence,
        bootstrap_samples=cfg.bootstrap_samples,
        seed=cfg.seed,
        allow_uncommitted=cfg.allow_uncommitted,
    )

    def publish(decision: PromotionDecision) -> None:
        write_contract(catalog.promotion_decision, decision)
        event = promotion_event(decision.model_dump())
        if event:
            notify(event, timeout=cfg.webhook_timeout_seconds)

    uri = tracking_uri()
    # published before promote clears its plan: a rerun after a crash publishes the same decision
    with waiting("logging and registering in MLflow"):
        promote(promotion, uri, default_artifact_location(uri), publish=publish)


if __name__ == "__main__":
    run_stage(main)
