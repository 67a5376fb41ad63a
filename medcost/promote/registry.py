"""The MLflow Model Registry: log and register a candidate and move its aliases by the verdicts.

Each distinct model file (its sha256, the version tag ``model_sha256``) is one version;
promoting the same file again registers nothing, it re-applies the verdicts to the existing
version. The runs (a pipeline run, a nested run per trained model) are :mod:`~medcost.promote.runs`.
See :mod:`medcost.promote` for the lifecycle.

Crash-safe: the decision is recorded first (:mod:`~medcost.promote.plan`), the moves are
idempotent and a rerun completes an interrupted promote (:mod:`~medcost.promote.moves`).
Crash points for tests (``MEDCOST_FAULT=promote:<point>``, :mod:`medcost.core.faults`), in
order: ``after_plan``, ``after_run`` (run started), ``after_log`` (model logged, run ended),
``after_register``, ``after_version_tags`` (an existing version retagged), ``after_challenger``,
``after_previous``, ``after_champion``, ``after_tags`` (lifecycle), ``after_publish``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict, fields, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from medcost.core.contracts import PromotionDecision, RmseImprovement, RmsePair
from medcost.core.errors import MedcostError, summarise
from medcost.core.faults import crash_point
from medcost.core.metrics import rmse
from medcost.core.numbers import round_floats
from medcost.core.secrets import redact
from medcost.promote.lineage import git_tags, lineage_from_tags, verdict_tags
from medcost.promote.moves import apply_plan, settle_pending
from medcost.promote.plan import PromotePlan, clear_plan, request_digest, write_plan
from medcost.promote.promotion import Promotion
from medcost.promote.runs import (
    describe,
    end_interrupted_runs,
    experiment_id,
    find_pipeline_run,
    log_runs,
    recorded_decision,
)
from medcost.promote.served import log_served_model
from medcost.promote.session import (
    ACTIVE,
    ARCHIVED,
    CHAMPION,
    REASON_GATES,
    TAG_ARCHIVED_REASON,
    TAG_LIFECYCLE,
    mlflow_session,
    registry_lock,
    shown_uri,
)
from medcost.promote.signature import coerce_inputs, input_types, pyfunc_predict
from medcost.promote.significance import paired_improvement
from medcost.promote.versions import current_aliases, find_version, model_exists

if TYPE_CHECKING:  # heavy: imported inside the functions that need it
    from mlflow import MlflowClient

log = logging.getLogger(__name__)

MODEL_DESCRIPTION = (
    "Next year's medical cost per insured client (medcost). Aliases: champion = served and used for "
    "batch predictions; challenger = newest version; previous = the champion before (rollback target). "
    "Versions tagged lifecycle=archived failed their gates or were rolled back."
)


def promote(
    p: Promotion,
    uri: str,
    artifact_location: str | None = None,
    publish: Callable[[PromotionDecision], None] | None = None,
) -> PromotionDecision:
    """Log, register and maybe crown ``p``'s model; return the decision (deterministic fields only).

    ``publish(decision)`` (write metrics/promotion.json, notify) runs before the plan is cleared,
    so a rerun after a crash at any point publishes what one uninterrupted run publishes.
    """
    types = input_types(p.model, p.spec)
    if p.spec.target not in p.test.columns:
        raise MedcostError(f"test set: target column {p.spec.target} missing")
    x_test = coerce_inputs(p.test, types, "test set")
    y_test = p.test[p.spec.target].to_numpy(dtype="float64")
    candidate_predictions = np.asarray(p.model.predict(x_test), dtype="float64").ravel()
    candidate_rmse = rmse(y_test, candidate_predictions)
    log.info("candidate %s (sha256 %s): test RMSE %.6g", p.candidate, p.model_sha256[:12], candidate_rmse)
    request = request_digest(_inputs(p, candidate_rmse), p.test)

    with registry_lock(uri), mlflow_session(uri) as client:
        if not model_exists(client, p.model_name):  # it holds the plan
            client.create_registered_model(p.model_name, description=MODEL_DESCRIPTION)
        plan = settle_pending(client, p.model_name, request)
        resumed = plan is not None
        experiment = experiment_id(client, p.experiment, artifact_location)
        pipeline_run = find_pipeline_run(client, experiment, request)
        repeated = None if resumed or pipeline_run is None else recorded_decision(client, pipeline_run)
        if repeated is not None and repeated.aliases_after == current_aliases(client, p.model_name):
            # the same promote again (dvc repro -f) with the registry where it left it: the same decision
            log.info("same inputs as pipeline run %s, aliases unchanged since: its decision again", pipeline_run)
            if publish is not None:
                publish(repeated)
            return repeated
        if plan is None:
            plan = _plan(client, p, request, y_test, candidate_predictions, candidate_rmse)
            write_plan(client, p.model_name, plan)
            crash_point("promote", "after_plan")
        existing = find_version(client, p.model_name, p.model_sha256)
        if existing is None:
            if resumed:
                end_interrupted_runs(client, p.experiment, request)
            pipeline_run, version = _log_and_register(client, p, experiment, request, types, x_test, candidate_rmse)
            crash_point("promote", "after_register")
        else:
            version = int(existing.version)
            if pipeline_run is None:  # the same model file from other inputs: new runs, no new version
                pipeline_run, _ = log_runs(p, experiment, request, candidate_rmse, registered=version)
        lifecycle = apply_plan(client, p.model_name, version, plan)
        decision = _decision(p, uri, plan, version, lifecycle, current_aliases(client, p.model_name))
        describe(client, pipeline_run, decision)
        if publish is not None:
            publish(decision)
            crash_point("promote", "after_publish")
        clear_plan(client, p.model_name, plan.request)
    return decision


def _inputs(p: Promotion, candidate_rmse: float) -> dict[str, Any]:
    """What a promote decides from, besides the registry and the test rows: equal inputs, equal request."""
    inputs = {f.name: getattr(p, f.name) for f in fields(p) if f.name not in ("model", "test", "spec")}
    listed = {name: [asdict(item) for item in getattr(p, name)] for name in ("other_models", "datasets")}  # key-sorted
    if p.lineage.dirty is False:  # a clean tree: which commit does not change the decision (a later commit of outputs)
        inputs["lineage"] = replace(p.lineage, commit=None)
        inputs["tags"] = {k: v for k, v in p.tags.items() if k != "git_commit"}
    return {**inputs, **listed, "spec": p.spec.model_dump(), "candidate_rmse": candidate_rmse}


def _plan(
    client: MlflowClient,
    p: Promotion,
    request: str,
    y_test: np.ndarray,
    candidate_predictions: np.ndarray,
    candidate_rmse: float,
) -> PromotePlan:
    """Decide from the registry as it is now: which version, its tags, the champion's scores."""
    before = current_aliases(client, p.model_name)
    existing = find_version(client, p.model_name, p.model_sha256)
    champion = before.get(CHAMPION)
    archived_reason: str | None = None
    recorded = p.lineage  # the version's lineage, as its tags record it
    uncommitted = p.lineage.uncommitted()
    retag: dict[str, str] = {}
    if existing is not None:
        version = int(existing.version)
        if existing.tags.get(TAG_LIFECYCLE) == ARCHIVED:
            archived_reason = existing.tags.get(TAG_ARCHIVED_REASON)
        log.info("model file already registered as %s version %d: no new version", p.model_name, version)
        retag = verdict_tags(p.verdicts, candidate_rmse)
        recorded = lineage_from_tags(existing.tags)
        if uncommitted is None and recorded.dirty is not False:
            # first promoted from a commit (an experiment applied and committed): now traceable to it.
            # A clean version keeps its commit, so reruns after later commits write the same decision.
            retag.update(git_tags(p.lineage))
            recorded = replace(recorded, commit=p.lineage.commit, dirty=False)
        uncommitted = p.lineage.uncommitted(trained=recorded.dirty is not False)

    champion_rmse, champion_error = None, None
    improvement = RmseImprovement()
    if champion is not None and (existing is None or champion != int(existing.version)) and p.verdicts.passed:
        champion_predictions, champion_error = _score_version(p.model_name, champion, p.test, len(y_test))
        if champion_predictions is not None:
            champion_rmse = rmse(y_test, champion_predictions)
            log.info("champion %s version %d: test RMSE %.6g", p.model_name, champion, champion_rmse)
            improvement = paired_improvement(
                y_test,
                candidate_predictions,
                champion_predictions,
                samples=p.bootstrap_samples,
                confidence=p.confidence,
                seed=p.seed,
            )
    return PromotePlan(
        request=request,
        model_sha256=p.model_sha256,
        new_version=existing is None,
        aliases_before=before,
        archived_reason=archived_reason,
        version_tags=retag,
        verdict_passed=p.verdicts.passed,
        candidate_rmse=candidate_rmse,
        champion_rmse=champion_rmse,
        champion_error=champion_error,
        improvement=improvement,
        min_improvement=p.min_rmse_improvement,
        uncommitted=uncommitted,
        allow_uncommitted=p.allow_uncommitted,
        git_commit=recorded.commit,
        git_dirty=recorded.dirty,
        experiment=recorded.experiment,
    )


def _decision(
    p: Promotion, uri: str, plan: PromotePlan, version: int, lifecycle: str, after: dict[str, int]
) -> PromotionDecision:
    reasons = [*p.verdicts.reasons, *plan.outcome(version)[1]]
    for reason in reasons:
        log.info("%s version %d: %s", p.model_name, version, reason)
    return PromotionDecision(
        model_name=p.model_name,
        tracking_uri=shown_uri(uri),
        candidate=p.candidate,
        model_sha256=p.model_sha256,
        version=version,
        registered_new_version=plan.new_version,
        lifecycle=lifecycle,
        verdicts=p.verdicts.flags(),
        rmse=RmsePair(candidate=round_floats(plan.candidate_rmse), champion=round_floats(plan.champion_rmse)),
        champion_before=plan.champion,
        champion_after=after.get(CHAMPION),
        champion_changed=after.get(CHAMPION) != plan.champion,
        aliases_before=plan.aliases_before,
        aliases_after=after,
        reasons=redact(reasons),
        git_dirty=plan.git_dirty,
        experiment=plan.experiment,
        improvement=RmseImprovement.model_validate(round_floats(plan.improvement.model_dump())),
    )


def _log_and_register(
    client: MlflowClient,
    p: Promotion,
    experiment: str,
    request: str,
    types: Mapping[str, str],
    x_test: pd.DataFrame,
    candidate_rmse: float,
) -> tuple[str, int]:
    """Log the pipeline and model runs, then register the candidate's served model; return the run and version."""
    import mlflow

    def log_model() -> str:
        # the pipeline behind the input checks (medcost.core.served_model), skops-serialised
        return log_served_model(p.model, p.rules, types, x_test.head(p.input_example_rows)).model_uri

    pipeline_run, model_uri = log_runs(p, experiment, request, candidate_rmse, log_model=log_model)
    crash_point("promote", "after_log")
    if model_uri is None:
        raise MedcostError(f"promote: the {p.candidate} model's run logged no model")
    if not model_exists(client, p.model_name):
        client.create_registered_model(p.model_name, description=MODEL_DESCRIPTION)
    tags = {
        **p.tags,
        **verdict_tags(p.verdicts, candidate_rmse),
        TAG_LIFECYCLE: ACTIVE if p.verdicts.passed else ARCHIVED,
    }
    if not p.verdicts.passed:
        tags[TAG_ARCHIVED_REASON] = REASON_GATES
    # One call creates the version with all its tags, model_sha256 included: no untagged version on a crash.
    created = mlflow.register_model(model_uri, p.model_name, tags=tags)
    log.info("registered %s version %s", p.model_name, created.version)
    return pipeline_run, int(created.version)


def _score_version(name: str, version: int, test: pd.DataFrame, rows: int) -> tuple[np.ndarray | None, str | None]:
    """A registered version's predictions of the test rows (in their order), or None and why it cannot score them."""
    import mlflow.pyfunc

    try:
        model = mlflow.pyfunc.load_model(f"models:/{name}/{version}")
        predictions = pyfunc_predict(model, test)
        if len(predictions) != rows:
            raise MedcostError(f"{len(predictions)} predictions for {rows} test rows")
    except MedcostError as exc:
        return None, str(exc)
    except Exception as exc:  # a model that cannot load or predict the current features
        log.warning("champion %s version %d cannot score the test set: %s", name, version, summarise(exc))
        return None, summarise(exc)
    return predictions, None
