"""The MLflow runs of a promote: one pipeline run, a nested run per trained model, their datasets and the decision.

The pipeline run is the promote itself: it carries the reports (Data Docs, drift report,
evaluation plots, verdict files) and, once the aliases moved, a description of what was
decided. Nested under it, each trained model family has a run with its params, metrics, the
model file, and the train and test sets as MLflow datasets whose digests are their DVC
hashes. The candidate's nested run also holds the served model that becomes the registry
version. A rerun of the same promote (same inputs: ``request``) logs nothing new.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medcost.core.contracts import PromotionDecision
from medcost.core.faults import crash_point
from medcost.core.secrets import redact
from medcost.promote.lineage import flatten, git_tags
from medcost.promote.promotion import DatasetRef, Promotion
from medcost.promote.session import TAG_SHA

if TYPE_CHECKING:  # heavy: imported inside the functions that need it
    from mlflow import MlflowClient

log = logging.getLogger(__name__)

TAG_REQUEST = "promote_request"  # on every run of one promote: its request digest (medcost.promote.plan)
TAG_ROLE = "medcost_run"  # "pipeline" (the promote) or "model" (a trained model, nested)
TAG_FAMILY = "model_family"
TAG_DECISION = "promote_decision"  # on the pipeline run: metrics/promotion.json as it wrote it
TAG_NOTE = "mlflow.note.content"  # MLflow's description field (runs and experiments)
# Without it MLflow 3's UI may open an experiment on the GenAI traces page instead of its runs.
EXPERIMENT_KIND = {"mlflow.experimentKind": "custom_model_development"}
EXPERIMENT_NOTE = (
    "medcost pipeline runs. Each `pipeline-…` run is one promote: its reports (Data Docs, drift report, plots, "
    "verdicts) and a description of the decision; nested under it, one run per trained model with its params, "
    "metrics, model file and the train/test datasets (digest = DVC md5)."
)


@dataclass(frozen=True)
class ModelRun:
    """One nested run to log: the model's identity, what to log, and how to log its served model."""

    family: str
    model_sha256: str
    model_file: Path | None
    params: Mapping[str, Any]
    metrics: Mapping[str, float]
    tags: Mapping[str, str]
    log_model: Callable[[], str] | None = None  # logs the served model in the active run; returns its URI


def experiment_id(client: MlflowClient, name: str, artifact_location: str | None) -> str:
    """The experiment's id, created if needed; tagged so MLflow's UI opens it on its runs."""
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        created = client.create_experiment(
            name, artifact_location=artifact_location, tags={**EXPERIMENT_KIND, TAG_NOTE: EXPERIMENT_NOTE}
        )
        log.info("created MLflow experiment '%s' (artifacts: %s)", name, artifact_location or "server default")
        return str(created)
    for key, value in {**EXPERIMENT_KIND, TAG_NOTE: EXPERIMENT_NOTE}.items():
        if experiment.tags.get(key) != value:  # experiments made by an earlier medcost
            client.set_experiment_tag(experiment.experiment_id, key, value)
    return str(experiment.experiment_id)


def find_pipeline_run(client: MlflowClient, experiment: str, request: str) -> str | None:
    """The finished pipeline run of this request (a rerun of the same promote), or None."""
    found = client.search_runs(
        [experiment],
        filter_string=f"tags.{TAG_REQUEST} = '{request}' and tags.{TAG_ROLE} = 'pipeline' "
        "and attributes.status = 'FINISHED'",
        max_results=1,
    )
    return found[0].info.run_id if found else None


def end_interrupted_runs(client: MlflowClient, experiment_name: str, request: str) -> None:
    """End and delete the runs an interrupted promote of this request left before registering (it logs new ones).

    Deleted as MLflow deletes (recoverable from the UI's deleted runs), so the experiment shows what one
    uninterrupted promote shows.
    """
    experiment = client.get_experiment_by_name(experiment_name)
    if experiment is None:
        return
    for run in client.search_runs([experiment.experiment_id], filter_string=f"tags.{TAG_REQUEST} = '{request}'"):
        if run.info.status == "RUNNING":
            client.set_terminated(run.info.run_id, status="KILLED")
        client.delete_run(run.info.run_id)
        log.warning("run %s of an interrupted promote, before its model was registered: deleted", run.info.run_id)


def log_pipeline(
    experiment: str,
    run_name: str,
    tags: Mapping[str, str],
    artifacts: Sequence[tuple[str, Path]],
    models: Sequence[ModelRun],
    datasets: Sequence[DatasetRef],
    on_started: Callable[[], None] = lambda: None,
) -> tuple[str, str | None]:
    """Log the pipeline run and its nested model runs; return its id and the served model's URI (if logged)."""
    import mlflow

    model_uri: str | None = None
    with mlflow.start_run(experiment_id=experiment, run_name=run_name, tags={**tags, TAG_ROLE: "pipeline"}) as run:
        on_started()
        for folder, path in artifacts:
            if path.is_dir():
                mlflow.log_artifacts(str(path), artifact_path=folder)
            elif path.is_file():
                mlflow.log_artifact(str(path), artifact_path=folder)
        for model in models:
            uri = _log_model_run(experiment, model, datasets, tags[TAG_REQUEST])
            model_uri = uri or model_uri
        log.info("logged pipeline run %s with %d model run(s)", run.info.run_id, len(models))
    return run.info.run_id, model_uri


def _log_model_run(experiment: str, model: ModelRun, datasets: Sequence[DatasetRef], request: str) -> str | None:
    import mlflow

    run_tags = {**model.tags, TAG_SHA: model.model_sha256, TAG_FAMILY: model.family, TAG_REQUEST: request}
    with mlflow.start_run(
        experiment_id=experiment,  # a nested run does not inherit its parent's experiment
        run_name=f"{model.family}-{model.model_sha256[:12]}",
        nested=True,
        tags={**run_tags, TAG_ROLE: "model"},
    ):
        mlflow.log_params({k: str(v) for k, v in flatten(redact(dict(model.params))).items()})
        mlflow.log_metrics(dict(model.metrics))
        for dataset in datasets:
            mlflow.log_input(_meta_dataset(dataset), context=dataset.context)
        if model.model_file is not None and model.model_file.is_file():
            mlflow.log_artifact(str(model.model_file), artifact_path="model_file")
        return model.log_model() if model.log_model is not None else None


def _meta_dataset(dataset: DatasetRef) -> Any:
    """An MLflow dataset that names the file and its DVC hash without reading the data."""
    from mlflow.data.dataset_source_registry import resolve_dataset_source
    from mlflow.data.meta_dataset import MetaDataset

    with warnings.catch_warnings():  # "can be interpreted in multiple ways": both candidates are the local source
        warnings.simplefilter("ignore", UserWarning)
        source = resolve_dataset_source(dataset.path)
    return MetaDataset(source=source, name=dataset.name, digest=dataset.digest)  # type: ignore[abstract]  # profile: None


def describe(client: MlflowClient, run_id: str, decision: PromotionDecision) -> None:
    """Write what was decided into the pipeline run: its description (MLflow's note) and the decision itself."""
    client.set_tag(run_id, TAG_NOTE, decision_note(decision))
    client.set_tag(run_id, TAG_DECISION, decision.model_dump_json())


def recorded_decision(client: MlflowClient, run_id: str) -> PromotionDecision | None:
    """The decision a pipeline run recorded (None: from an earlier medcost, or unreadable)."""
    text = client.get_run(run_id).data.tags.get(TAG_DECISION)
    if text is None:
        return None
    try:
        return PromotionDecision.model_validate_json(text)
    except ValueError:
        return None


def decision_note(decision: PromotionDecision) -> str:
    """The decision in a few Markdown lines: the version, its lifecycle, the champion, the scores, the reasons."""
    champion = (
        f"champion moved from {_version(decision.champion_before)} to {_version(decision.champion_after)}"
        if decision.champion_changed
        else f"champion unchanged ({_version(decision.champion_after)})"
    )
    registered = "registered as new" if decision.registered_new_version else "already registered as"
    lines = [
        f"**{decision.candidate}** model (sha256 {decision.model_sha256[:12]}) {registered} "
        f"`{decision.model_name}` version {decision.version}: lifecycle **{decision.lifecycle}**; {champion}.",
        "",
        f"Test RMSE: candidate {_number(decision.rmse.candidate)}, champion {_number(decision.rmse.champion)}.",
    ]
    if decision.improvement.estimate is not None:
        lines.append(
            f"RMSE improvement over the champion: {_number(decision.improvement.estimate)} "
            f"({_number(decision.improvement.low)} to {_number(decision.improvement.high)} at "
            f"{decision.improvement.confidence})."
        )
    lines += ["", "Reasons:", *(f"- {reason}" for reason in decision.reasons)]
    return "\n".join(lines)


def _version(version: int | None) -> str:
    return "none" if version is None else f"version {version}"


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.6g}"


def log_runs(
    p: Promotion,
    experiment: str,
    request: str,
    candidate_rmse: float,
    *,
    log_model: Callable[[], str] | None = None,
    registered: int | None = None,
) -> tuple[str, str | None]:
    """The pipeline run with a nested run per trained model, the candidate first."""
    lineage = {k: v for k, v in p.tags.items() if not k.startswith("params.")}
    candidate = ModelRun(
        family=p.candidate,
        model_sha256=p.model_sha256,
        model_file=p.model_file,
        params=p.params,
        metrics={**p.metrics, "promote.test_rmse": candidate_rmse},
        tags={**lineage, "promote_candidate": "true"}
        | ({"registered_version": f"{p.model_name}/{registered}"} if registered is not None else {}),
        log_model=log_model,
    )
    others = [
        ModelRun(
            family=m.family,
            model_sha256=m.model_sha256,
            model_file=m.model_file,
            params=m.params,
            metrics=m.metrics,
            tags={**git_tags(p.lineage), "promote_candidate": "false"},
        )
        for m in p.other_models
    ]
    return log_pipeline(
        experiment,
        run_name=f"pipeline-{p.lineage.experiment or (p.lineage.commit or 'uncommitted')[:12]}",
        tags={**lineage, TAG_REQUEST: request},
        artifacts=p.artifacts,
        models=[candidate, *others],
        datasets=p.datasets,
        on_started=lambda: crash_point("promote", "after_run"),
    )
