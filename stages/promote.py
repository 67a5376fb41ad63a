"""Log the candidate model to MLflow, register a version and move the registry aliases (see medcost/registry.py)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from medcost import registry
from medcost.cli import run
from medcost.config import PathsParams, PromoteParams, TransformParams, section
from medcost.errors import MedcostError
from medcost.features import feature_columns
from medcost.io import read_json, write_json
from medcost.models import load_model
from medcost.notify import notify, promotion_event


def _json(path: Path, needed_by: str | None = None) -> Any:
    if not path.exists():
        if needed_by:
            raise MedcostError(f"{path}: not found (run {needed_by} first)")
        return None
    return read_json(path)


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Log the candidate to MLflow, register a version and move the aliases; write the decision."""
    paths = section(params, "paths", PathsParams)
    cfg = section(params, "promote", PromoteParams)
    columns = feature_columns(section(params, "transform", TransformParams))
    metrics_dir = Path(paths.metrics)
    quality = _json(metrics_dir / "quality.json", needed_by="validate_metrics")
    drift = _json(metrics_dir / "drift.json")
    evaluation = _json(metrics_dir / "evaluate.json") or {}

    candidate = registry.choose_candidate(quality, evaluation)
    model_path = Path(paths.models) / f"{candidate}.pkl"
    sha256 = registry.file_sha256(model_path)
    lock = yaml.safe_load(Path("dvc.lock").read_text()) if Path("dvc.lock").exists() else None
    hashes = registry.dvc_hashes(lock, {"train": paths.train, "test": paths.test, "model": str(model_path)})
    sections = {name: params[name] for name in (f"train_{candidate}", "transform", "split") if name in params}
    artifacts = [("plots", Path(paths.plots) / "evaluate"),
                 *(("verdicts", metrics_dir / f"{name}.json") for name in ("evaluate", "quality", "drift"))]

    promotion = registry.Promotion(
        model_name=cfg.model_name, experiment=cfg.experiment, candidate=candidate,
        model=load_model(model_path), model_sha256=sha256, test=pd.read_parquet(paths.test),
        numeric=list(columns["numeric"]), categorical=list(columns["categorical"]), target=str(columns["target"]),
        verdicts=registry.read_verdicts(quality, drift),
        metrics=registry.run_metrics(evaluation, quality, candidate),
        params=sections,
        tags=registry.lineage_tags(candidate=candidate, sha256=sha256, commit=registry.git_commit(),
                                   hashes=hashes, params=sections),
        artifacts=[(folder, path) for folder, path in artifacts if path.exists()],
        min_rmse_improvement=cfg.min_rmse_improvement, input_example_rows=cfg.input_example_rows,
    )
    uri = registry.tracking_uri()
    decision = registry.promote(promotion, uri, registry.default_artifact_location(uri))
    write_json(metrics_dir / "promotion.json", decision)
    event = promotion_event(decision)
    if event:
        notify(event, timeout=cfg.webhook_timeout_seconds)


if __name__ == "__main__":
    run(main)
