"""The MLflow registry lifecycle against a real SQLite store in tmp_path: champion, challenger,
archived, one version per model file, rollback, lineage tags, no secrets; plus the pure helpers.

The helpers at the top (synthetic feature frames, medcost's own pipelines, verdict files, a
stage run in a temporary project folder) are shared with tests/unit/test_notify.py and
tests/model/test_serving.py.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import os
import socket
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from medcost import promote as registry
from medcost.core.contracts import QualityVerdict, RmseImprovement
from medcost.core.errors import MedcostError
from medcost.core.inputs import InputRules
from medcost.core.params import PromoteParams, section
from medcost.core.secrets import mask_url, scrub
from medcost.registry import main as registry_main
from tests.registry_support import (
    MODEL,
    ROOT,
    SECRET,
    client,
    drift,
    evaluation,
    feature_spec,
    fit_model,
    git,
    input_rules,
    make_frame,
    promotion,
    quality,
    read_decision,
    repo_params,
    run_promote,
    run_stage,
    scores,
    sha,
    write_project,
)

# --------------------------------------------------------------------------- the lifecycle


def test_first_promote_becomes_champion_with_lineage_tags(data, store):
    decision = run_promote(promotion(data["good"], data["test"]), store)
    assert decision.version == 1 and decision.registered_new_version
    assert decision.champion_changed and decision.champion_before is None
    assert decision.aliases_after == {"challenger": 1, "champion": 1}
    assert decision.reasons == ["no champion yet"]
    mv = client(store).get_model_version(MODEL, "1")
    assert mv.tags["model_sha256"] == sha(data["good"])
    assert mv.tags["git_commit"] == "abc123" * 6 + "ab12" and mv.tags["git_dirty"] == "false"
    assert mv.tags["dvc.train.md5"] == "d41d8" and "dvc_exp_name" not in mv.tags
    assert decision.git_dirty is False and decision.experiment is None  # the commit: in the version's tags
    assert decision.improvement.model_dump() == {"estimate": None, "low": None, "high": None, "confidence": None}
    assert json.loads(mv.tags["params.train_tree"]) == {"max_iter": 30}
    assert mv.tags["verdict.quality"] == "passed" and mv.tags["verdict.drift"] == "passed"
    assert mv.tags["lifecycle"] == "active"
    run = client(store).get_run(mv.run_id)
    assert run.data.params["train_tree.max_iter"] == "30"
    assert run.data.metrics["promote.test_rmse"] == pytest.approx(decision.rmse.candidate, rel=1e-5)
    # the artifacts are inside the store's folder, not wherever the process happened to start
    experiment = client(store).get_experiment(run.info.experiment_id)
    assert experiment.artifact_location == (Path(store[len("sqlite:///") :]).parent / "mlruns").as_uri()


def test_a_worse_model_is_challenger_not_champion(data, store):
    run_promote(promotion(data["good"], data["test"]), store)
    decision = run_promote(promotion(data["bad"], data["test"]), store)
    assert decision.version == 2
    assert not decision.champion_changed
    assert decision.aliases_after == {"challenger": 2, "champion": 1}
    assert decision.rmse.champion is not None and decision.rmse.candidate > decision.rmse.champion
    assert "does not beat the champion" in decision.reasons[-1] and "stays challenger" in decision.reasons[-1]
    assert decision.lifecycle == "active"
    better = decision.improvement
    assert better.estimate is not None and better.low is not None and better.high is not None
    assert better.low <= better.estimate <= better.high < 0 and better.confidence == 0.95


def test_a_better_model_becomes_champion_and_the_old_one_previous(data, store):
    run_promote(promotion(data["bad"], data["test"]), store)
    decision = run_promote(promotion(data["good"], data["test"]), store)
    assert decision.champion_changed
    assert decision.aliases_after == {"challenger": 2, "champion": 2, "previous": 1}
    assert decision.rmse.champion is not None and decision.rmse.candidate < decision.rmse.champion
    better = decision.improvement
    assert better.estimate == pytest.approx(decision.rmse.champion - decision.rmse.candidate, rel=1e-4)
    assert better.low is not None and better.low > 0 and "significantly better" in decision.reasons[-1]


def test_a_model_within_noise_of_the_champion_stays_challenger(data, store):
    """The same ridge trained on another sample: a lower test RMSE by a hair is not an improvement the test set can show."""
    run_promote(promotion(data["good"], data["test"]), store)
    twin = fit_model(make_frame(600, seed=4), "good")
    decision = run_promote(promotion(twin, data["test"]), store)
    assert decision.version == 2 and not decision.champion_changed
    assert decision.aliases_after == {"challenger": 2, "champion": 1}
    better = decision.improvement
    assert better.low is not None and better.high is not None and better.low < 0 < better.high
    assert "not significantly better" in decision.reasons[-1] or "does not beat" in decision.reasons[-1]


@pytest.mark.parametrize(
    ("lineage", "why"),
    [
        (registry.Lineage(commit="f" * 40, dirty=True), "uncommitted: trained from a dirty tree"),
        (registry.Lineage(commit="f" * 40, dirty=False, experiment="lusty-bays"), "inside `dvc exp run` 'lusty-bays'"),
        (registry.Lineage(commit=None, dirty=None), "uncommitted: trained outside a git repository"),
    ],
)
def test_a_better_uncommitted_model_is_challenger_with_its_tags(data, store, lineage, why):
    run_promote(promotion(data["bad"], data["test"]), store)
    decision = run_promote(promotion(data["good"], data["test"], lineage=lineage), store)
    assert decision.version == 2 and not decision.champion_changed and decision.lifecycle == "active"
    assert decision.aliases_after == {"challenger": 2, "champion": 1}
    assert "significantly better" in decision.reasons[-2]  # it would have won: the estimate is there either way
    assert why in decision.reasons[-1] and decision.reasons[-1].endswith(
        "stays challenger (promote.allow_uncommitted: false)"
    )
    assert decision.improvement.low is not None and decision.improvement.low > 0
    assert (decision.git_dirty, decision.experiment) == (lineage.dirty, lineage.experiment)
    tags = client(store).get_model_version(MODEL, "2").tags
    assert tags["git_dirty"] == {True: "true", False: "false", None: "unknown"}[lineage.dirty]
    assert tags.get("dvc_exp_name") == lineage.experiment
    run = client(store).get_run(client(store).get_model_version(MODEL, "2").run_id)
    assert run.data.tags["git_dirty"] == tags["git_dirty"]  # the MLflow run carries the lineage too
    # committed (an experiment applied and committed): promoting the same model file again crowns it
    committed = registry.Lineage(commit="e" * 40, dirty=False)
    again = run_promote(promotion(data["good"], data["test"], lineage=committed), store)
    assert again.version == 2 and again.champion_changed and again.aliases_after["champion"] == 2
    # a version first registered dirty now records the commit; a clean one (the experiment's) keeps its own
    expected = "e" * 40 if lineage.dirty is not False else lineage.commit
    retagged = client(store).get_model_version(MODEL, "2").tags
    assert retagged["git_commit"] == expected and retagged["git_dirty"] == "false"
    assert (again.git_dirty, again.experiment) == (False, lineage.experiment)


def test_allow_uncommitted_lets_a_dirty_model_be_crowned(data, store):
    dirty = registry.Lineage(commit="f" * 40, dirty=True)
    first = run_promote(promotion(data["bad"], data["test"], lineage=dirty, allow_uncommitted=True), store)
    assert first.champion_after == 1 and first.reasons[-1].endswith("may be champion (promote.allow_uncommitted: true)")
    second = run_promote(promotion(data["good"], data["test"], lineage=dirty, allow_uncommitted=True), store)
    assert second.champion_changed and second.aliases_after == {"challenger": 2, "champion": 2, "previous": 1}
    worse = run_promote(
        promotion(fit_model(data["train"], "bad", alpha=1e9), data["test"], lineage=dirty, allow_uncommitted=True),
        store,
    )
    assert not worse.champion_changed  # allowed to be crowned, not crowned for nothing


@pytest.mark.parametrize("quality_ok, drift_ok", [(False, True), (True, False)])
def test_a_failing_verdict_is_archived_and_never_champion(data, store, quality_ok, drift_ok):
    first = run_promote(promotion(data["bad"], data["test"]), store)
    assert first.champion_after == 1
    decision = run_promote(promotion(data["good"], data["test"], passed=quality_ok, drift_passed=drift_ok), store)
    assert decision.version == 2 and not decision.champion_changed
    assert decision.lifecycle == "archived"
    assert decision.aliases_after["champion"] == 1
    assert decision.verdicts.model_dump() == {"passed": False, "quality": quality_ok, "drift": drift_ok}
    mv = client(store).get_model_version(MODEL, "2")
    assert mv.tags["lifecycle"] == "archived" and mv.tags["archived_reason"] == "gates"
    assert any("failed" in r for r in decision.reasons)


def test_a_failing_first_model_leaves_no_champion(data, store):
    decision = run_promote(promotion(data["good"], data["test"], passed=False), store)
    assert decision.champion_after is None and decision.lifecycle == "archived"


def test_the_same_model_twice_is_one_version(data, store):
    first = run_promote(promotion(data["good"], data["test"]), store)
    # the same promote again: the same decision, byte for byte, and no new version or run
    assert run_promote(promotion(data["good"], data["test"]), store) == first
    # the same model file on another test set: decided again, still one version
    other_test = data["test"].iloc[::-1].reset_index(drop=True)
    second = run_promote(promotion(data["good"], other_test), store)
    assert second.version == first.version == 1
    assert not second.registered_new_version and not second.champion_changed
    assert second.reasons == ["version 1 is already the champion"]
    assert len(client(store).search_model_versions(f"name = '{MODEL}'")) == 1
    changed = {"registered_new_version", "champion_changed", "reasons", "champion_before", "aliases_before", "rmse"}
    assert first.model_dump(exclude=changed) == second.model_dump(exclude=changed)


def test_an_archived_model_that_passes_later_is_back_in_the_race(data, store):
    run_promote(promotion(data["good"], data["test"], passed=False), store)
    decision = run_promote(promotion(data["good"], data["test"]), store)
    assert decision.version == 1 and decision.lifecycle == "active" and decision.champion_after == 1
    assert "archived_reason" not in client(store).get_model_version(MODEL, "1").tags


def test_rollback_moves_champion_to_previous_and_archives_the_other(data, store):
    run_promote(promotion(data["bad"], data["test"]), store)
    run_promote(promotion(data["good"], data["test"]), store)
    with registry.mlflow_session(store) as c:
        result = registry.rollback(c, MODEL, store)
        assert result["champion_before"] == 2 and result["champion_after"] == 1 and result["archived"] == 2
        assert registry.current_aliases(c, MODEL) == {"challenger": 2, "champion": 1}
        assert c.get_model_version(MODEL, "2").tags["archived_reason"] == "rollback"
        with pytest.raises(MedcostError, match="no version of 'medcost-test' holds alias 'previous'"):
            registry.rollback(c, MODEL, store)
    # promote never re-promotes a rolled-back version, even though it is better
    again = run_promote(promotion(data["good"], data["test"]), store)
    assert again.version == 2 and again.champion_after == 1 and again.lifecycle == "archived"
    assert "rolled back" in again.reasons[-1]


def test_rollback_command_line(data, store, monkeypatch, capsys):
    run_promote(promotion(data["bad"], data["test"]), store)
    run_promote(promotion(data["good"], data["test"]), store)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store)
    monkeypatch.delenv("MEDCOST_WEBHOOK_URL", raising=False)
    monkeypatch.chdir(ROOT)  # params.yaml
    registry_main(["rollback", "--model-name", MODEL])
    out = capsys.readouterr().out
    assert "champion version 2 -> version 1" in out and "alias 'previous' removed" in out
    with pytest.raises(SystemExit) as exit_info:
        registry_main(["rollback", "--model-name", MODEL])
    assert exit_info.value.code == 1
    assert "error: registry: " in (err := capsys.readouterr().err) and "nothing to roll back to" in err
    registry_main(["status", "--json", "--model-name", MODEL])
    shown = json.loads(capsys.readouterr().out)
    assert shown["aliases"] == {"challenger": 2, "champion": 1}
    assert [v["lifecycle"] for v in shown["versions"]] == ["archived", "active"]
    registry_main(["status", "--model-name", MODEL])  # `make registry`: a table a person reads
    heading, blank, columns, newest, oldest = capsys.readouterr().out.splitlines()
    assert heading == f"registered model '{MODEL}'" and blank == ""
    assert columns.split() == ["version", "aliases", "lifecycle", "model", "test", "RMSE", "commit", "experiment"]
    assert newest.split()[:3] == ["2", "challenger", "archived:"] and "rollback" in newest
    assert oldest.split()[:3] == ["1", "champion", "active"]
    rmse = f"{float(shown['versions'][1]['test_rmse']):,.1f}"
    assert columns.index("test RMSE") == oldest.index(rmse)  # aligned under its heading


def test_a_champion_that_cannot_score_the_test_set_is_replaced(data, store):
    run_promote(promotion(data["good"], data["test"]), store)
    first = feature_spec().numeric[0]
    renamed = data["test"].rename(columns={first: "renamed"})
    train = data["train"].rename(columns={first: "renamed"})
    from sklearn.dummy import DummyRegressor
    from sklearn.pipeline import Pipeline

    numeric = ["renamed", *feature_spec().numeric[1:]]
    model = Pipeline([("model", DummyRegressor())]).fit(train[numeric], train[feature_spec().target])
    rules = input_rules().columns
    renamed_rules = InputRules(columns={("renamed" if c == first else c): r for c, r in rules.items()})
    p = dataclasses.replace(
        promotion(model, renamed), spec=feature_spec().model_copy(update={"numeric": numeric}), rules=renamed_rules
    )
    decision = run_promote(p, store)
    assert decision.champion_changed and decision.rmse.champion is None
    assert "cannot score the current test set" in decision.reasons[-1]


# --------------------------------------------------------------------------- the stage


def test_promote_stage_writes_the_decision_and_keeps_secrets_out(data, tmp_path, monkeypatch, caplog, store):
    params = write_project(tmp_path, data, model=data["good"])
    uri = store
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MEDCOST_WEBHOOK_URL", f"http://127.0.0.1:9/hooks/{SECRET}?token={SECRET}")
    monkeypatch.setenv("DVC_EXP_NAME", "tidy-ruff")
    params["promote"] = {**params["promote"], "model_name": MODEL, "webhook_timeout_seconds": 1}
    caplog.set_level(logging.DEBUG)
    run_stage("promote", params)

    decision = read_decision(tmp_path)
    # an experiment: registered, challenger, never champion by default
    assert decision["version"] == 1 and decision["champion_after"] is None and decision["candidate"] == "tree"
    assert decision["aliases_after"] == {"challenger": 1} and decision["experiment"] == "tidy-ruff"
    assert decision["reasons"][-1].startswith("uncommitted: trained inside `dvc exp run` 'tidy-ruff'")
    assert decision["model_sha256"] == hashlib.sha256((tmp_path / "models/tree.pkl").read_bytes()).hexdigest()
    assert decision["tracking_uri"] == "sqlite:///mlflow.db"  # the store, relative to the repository
    head = git(tmp_path, "rev-parse", "HEAD").strip()
    assert "git_commit" not in decision and decision["git_dirty"] is False
    c = client(uri)
    mv = c.get_model_version(MODEL, "1")
    assert mv.tags["dvc.train.md5"] == "a" * 32 and mv.tags["dvc.model.md5"] == "c" * 32
    assert mv.tags["dvc_exp_name"] == "tidy-ruff"
    assert mv.tags["git_commit"] == head and mv.tags["git_dirty"] == "false"
    run = c.get_run(mv.run_id)  # the candidate's model run, nested under the pipeline run
    assert run.data.metrics["test.rmse"] == 10.0 and run.data.metrics["gate.r2"] == pytest.approx(0.3)
    assert run.data.params["train_tree.max_iter"] == str(params["train_tree"]["max_iter"])
    assert [a.path for a in c.list_artifacts(run.info.run_id, "model_file")] == ["model_file/tree.pkl"]
    pipeline = c.get_run(run.data.tags["mlflow.parentRunId"])
    artifacts = {a.path for a in c.list_artifacts(pipeline.info.run_id)}
    assert {"plots", "verdicts"} <= artifacts
    assert [a.path for a in c.list_artifacts(pipeline.info.run_id, "plots")] == ["plots/predicted_vs_actual.png"]
    note = pipeline.data.tags["mlflow.note.content"]  # the description: what was decided, and why
    assert "version 1: lifecycle **active**; champion unchanged (none)" in note
    assert "- uncommitted: trained inside `dvc exp run` 'tidy-ruff'" in note
    # every trained model is a run, with the train and test sets as datasets (digest: the DVC md5)
    model_runs = c.search_runs(
        [pipeline.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{pipeline.info.run_id}'"
    )
    assert sorted(r.data.tags["model_family"] for r in model_runs) == ["linear", "tree"]
    for model_run in model_runs:
        inputs = {(d.dataset.name, d.dataset.digest) for d in model_run.inputs.dataset_inputs}
        assert inputs == {("train", "a" * 32), ("test", "b" * 32)}
        assert "test.r2" in model_run.data.metrics
    experiment = c.get_experiment(pipeline.info.experiment_id)
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"  # opens on its runs
    assert (tmp_path / "mlruns").is_dir()  # artifacts beside mlflow.db

    everything = json.dumps([decision, mv.tags, run.data.params, run.data.tags]) + caplog.text
    assert SECRET not in everything

    # run again (dvc repro -f promote): one version, same decision
    run_stage("promote", params)
    again = read_decision(tmp_path)
    assert again == decision  # the same promote writes the same file (the pipeline run recorded it)
    assert len(c.search_model_versions(f"name = '{MODEL}'")) == 1
    assert len(c.search_runs([pipeline.info.experiment_id])) == 3  # the same promote logs no new run

    # an uncommitted params edit: still no champion, and the decision says why
    monkeypatch.delenv("DVC_EXP_NAME")
    (tmp_path / "params.yaml").write_text((tmp_path / "params.yaml").read_text() + "# edited\n")
    run_stage("promote", params)
    dirty = read_decision(tmp_path)
    assert dirty["champion_after"] is None and dirty["reasons"][-1].startswith(
        f"uncommitted: promoted from a dirty tree (code, SQL or params differ from {head[:12]}"
    )
    # ... while the decision's lineage is the version's: registered (inside the experiment) from a clean HEAD
    assert (dirty["git_dirty"], dirty["experiment"]) == (False, "tidy-ruff")

    # committed, as a user would: the same model file becomes champion
    git(tmp_path, "commit", "-q", "-am", "params edited")
    run_stage("promote", params)
    crowned = read_decision(tmp_path)
    assert crowned["champion_after"] == 1 and crowned["reasons"] == ["no champion yet"]
    # a later commit (the outputs) and a rerun (dvc repro -f) write the same file: no commit makes it change
    git(tmp_path, "commit", "-q", "--allow-empty", "-m", "outputs")
    run_stage("promote", params)
    assert read_decision(tmp_path) == crowned
    # ... until the registry moved: then the decision is made again
    c.set_registered_model_alias(MODEL, "champion", "1")  # a no-op move: still where the decision left it
    run_stage("promote", params)
    assert read_decision(tmp_path) == crowned
    c.delete_registered_model_alias(MODEL, "champion")
    run_stage("promote", params)
    assert read_decision(tmp_path)["reasons"] == ["no champion yet"]
    assert read_decision(tmp_path)["aliases_before"] == {"challenger": 1}
    assert c.get_model_version(MODEL, "1").tags["git_commit"] == head
    assert "http://127.0.0.1:9" in caplog.text and SECRET not in caplog.text  # the failed notification, masked


def test_promote_stage_with_failing_verdicts_archives_and_succeeds(data, tmp_path, monkeypatch, store):
    params = write_project(tmp_path, data, model=data["good"], passed=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store)
    monkeypatch.delenv("MEDCOST_WEBHOOK_URL", raising=False)
    params["promote"] = {**params["promote"], "model_name": MODEL}
    run_stage("promote", params)  # no exception: a failed verdict is a result
    decision = read_decision(tmp_path)
    assert decision["lifecycle"] == "archived" and decision["champion_after"] is None
    assert decision["candidate"] == "tree"  # no verdict candidate: the lowest evaluated RMSE
    assert decision["reasons"][0].startswith("quality gates failed: no model passes its gates")


def test_promote_stage_without_drift_verdict_archives(data, tmp_path, monkeypatch, store):
    params = write_project(tmp_path, data, model=data["good"])
    (tmp_path / "metrics/drift.json").unlink()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store)
    monkeypatch.delenv("MEDCOST_WEBHOOK_URL", raising=False)
    params["promote"] = {**params["promote"], "model_name": MODEL}
    run_stage("promote", params)
    decision = read_decision(tmp_path)
    assert decision["verdicts"] == {"passed": False, "quality": True, "drift": False}
    assert decision["reasons"][0] == "drift verdict missing" and decision["champion_after"] is None


def test_promote_stage_without_quality_verdict_says_what_to_run(data, tmp_path, monkeypatch):
    params = write_project(tmp_path, data, model=data["good"])
    (tmp_path / "metrics/quality.json").unlink()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(MedcostError, match="quality.json: file not found \\(run the validate_metrics stage first\\)"):
        run_stage("promote", params)


def test_promote_stage_refuses_an_unreadable_drift_verdict(data, tmp_path, monkeypatch):
    params = write_project(tmp_path, data, model=data["good"])
    (tmp_path / "metrics/drift.json").write_text(json.dumps({"passed": True}))  # an older layout: no verdict
    monkeypatch.chdir(tmp_path)
    with pytest.raises(MedcostError, match="drift.json: verdict: Field required .*rerun the drift stage"):
        run_stage("promote", params)


# --------------------------------------------------------------------------- pure helpers


def test_read_verdicts_passes_only_when_both_pass():
    assert registry.read_verdicts(quality(), drift()).passed
    missing = registry.read_verdicts(quality(), None)
    assert not missing.passed and missing.reasons == ("drift verdict missing",)
    no_candidate = quality().model_copy(update={"candidate": None})
    assert not registry.read_verdicts(no_candidate, drift()).passed
    failed = registry.read_verdicts(quality(), drift(False))
    assert failed.reasons == ("drift check failed: psi.bmi",) and failed.drift_failed == ("psi.bmi",)
    assert failed.flags().model_dump() == {"passed": False, "quality": True, "drift": False}
    gates = registry.read_verdicts(quality(passed=False), drift())
    assert gates.reasons == ("quality gates failed: no model passes its gates: tree failed r2",)


def test_choose_candidate():
    assert registry.choose_candidate(quality("linear"), None) == "linear"
    assert registry.choose_candidate(quality(passed=False), evaluation(tree_rmse=12.0, linear_rmse=11.0)) == "linear"
    assert registry.choose_candidate(quality(passed=False), None) == "tree"  # no metrics: the verdict's order
    unscored = evaluation().model_copy(
        update={"models": {"tree": scores(float("nan"), 0.3), "linear": scores(11.0, 0.2)}}
    )
    assert registry.choose_candidate(quality(passed=False), unscored) == "linear"  # NaN never wins
    empty = QualityVerdict(passed=False, candidate=None, models={}, reason="none")
    assert registry.choose_candidate(empty, evaluation()) == "tree"  # no verdict models: the evaluation's
    with pytest.raises(MedcostError, match="names no candidate and no models"):
        registry.choose_candidate(empty, None)


def test_run_metrics_are_the_candidates_finite_scores_and_gates():
    metrics = registry.run_metrics(evaluation(), quality(), "tree")
    assert metrics["test.rmse"] == 10.0 and metrics["test.mse"] == 100.0 and metrics["gate.r2"] == 0.3
    assert "train.r2" not in metrics  # the evaluation has no training scores here
    assert registry.run_metrics(None, quality(), "tree") == {"gate.r2": 0.3}


def improvement(estimate: float, low: float, high: float) -> RmseImprovement:
    return RmseImprovement(estimate=estimate, low=low, high=high, confidence=0.95)


def test_decide():
    common: dict[str, Any] = dict(version=3, archived_reason=None, champion_error=None, min_improvement=0.0)
    none = RmseImprovement()
    clear, noise, worse = improvement(1.0, 0.4, 1.6), improvement(0.3, -0.2, 0.8), improvement(-1.0, -1.5, -0.5)
    decide = registry.decide
    assert decide(verdict_passed=True, champion=None, candidate_rmse=5, champion_rmse=None, improvement=none, **common)[
        0
    ]
    crowned, why = decide(
        verdict_passed=True, champion=2, candidate_rmse=5, champion_rmse=6, improvement=clear, **common
    )
    assert crowned and "significantly better: improvement 1, 95% lower bound 0.4" in why[0]
    kept, why = decide(
        verdict_passed=True, champion=2, candidate_rmse=5.7, champion_rmse=6, improvement=noise, **common
    )
    assert not kept and "not significantly better" in why[0] and why[0].endswith("stays challenger")
    kept, why = decide(verdict_passed=True, champion=2, candidate_rmse=7, champion_rmse=6, improvement=worse, **common)
    assert not kept and "does not beat the champion" in why[0]
    assert not decide(verdict_passed=True, champion=2, candidate_rmse=5, champion_rmse=6, improvement=none, **common)[0]
    assert not decide(
        verdict_passed=False, champion=None, candidate_rmse=1, champion_rmse=None, improvement=none, **common
    )[0]
    assert not decide(
        verdict_passed=True, champion=3, candidate_rmse=1, champion_rmse=None, improvement=none, **common
    )[0]
    # min_rmse_improvement: the lower bound must clear that share of the champion's RMSE
    needs_1pct = {**common, "min_improvement": 0.01}
    assert not decide(
        verdict_passed=True,
        champion=2,
        candidate_rmse=98,
        champion_rmse=100,
        improvement=improvement(2, 0.9, 3),
        **needs_1pct,
    )[0]
    assert decide(
        verdict_passed=True,
        champion=2,
        candidate_rmse=98,
        champion_rmse=100,
        improvement=improvement(2, 1.1, 3),
        **needs_1pct,
    )[0]
    # uncommitted: never crowned unless allowed; the comparison is reported either way
    dirty = {**common, "uncommitted": "uncommitted: trained from a dirty tree"}
    kept, why = decide(verdict_passed=True, champion=2, candidate_rmse=5, champion_rmse=6, improvement=clear, **dirty)
    assert not kept and "significantly better" in why[0] and why[1].startswith("uncommitted: trained from a dirty tree")
    assert not decide(
        verdict_passed=True, champion=None, candidate_rmse=5, champion_rmse=None, improvement=none, **dirty
    )[0]
    allowed = {**dirty, "allow_uncommitted": True}
    assert decide(verdict_passed=True, champion=2, candidate_rmse=5, champion_rmse=6, improvement=clear, **allowed)[0]
    assert not decide(
        verdict_passed=True, champion=2, candidate_rmse=5.7, champion_rmse=6, improvement=noise, **allowed
    )[0]


def test_paired_improvement_tells_better_from_noise_and_worse():
    rng = np.random.default_rng(0)
    y = rng.gamma(0.5, 10_000.0, 3000)  # heavy-tailed, like claims
    signal = y + rng.normal(0.0, 4000.0, len(y))
    champion = 0.5 * signal + 0.5 * y.mean()

    def paired(candidate: np.ndarray, seed: int = 1) -> RmseImprovement:
        return registry.paired_improvement(y, candidate, champion, samples=500, confidence=0.95, seed=seed)

    clearly = paired(0.8 * signal + 0.2 * y.mean())
    assert clearly.low is not None and clearly.low > 0 and registry.is_significant(clearly, 1.0, 0.0)
    twin = 0.5 * (y + rng.normal(0.0, 4000.0, len(y))) + 0.5 * y.mean()  # as good, its own errors: noise apart
    same = paired(twin)
    assert same.low is not None and same.high is not None and same.low < 0 < same.high
    assert not registry.is_significant(same, 1.0, 0.0)
    worse = paired(0.2 * signal + 0.8 * y.mean())
    assert worse.high is not None and worse.high < 0 and not registry.is_significant(worse, 1.0, 0.0)
    for result in (clearly, same, worse):
        assert result.low is not None and result.estimate is not None and result.high is not None
        assert result.low <= result.estimate <= result.high and result.confidence == 0.95
    assert paired(twin) == same  # seeded: the same numbers
    assert paired(twin, seed=2) != same


def test_git_dirty_counts_code_sql_and_params_only(tmp_path):
    for name in ("params.yaml", "dvc.yaml", "dvc.lock", "sql/clients.sql", "medcost/x.py", "stages/x.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("1\n")
    assert registry.read_lineage(tmp_path, env={}) == registry.Lineage(commit=None, dirty=None)  # not a repository
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "base")
    head = git(tmp_path, "rev-parse", "HEAD").strip()
    assert registry.read_lineage(tmp_path, env={}) == registry.Lineage(commit=head, dirty=False)
    # dvc.lock, DVC outputs, metrics and the registry store do not count
    (tmp_path / "dvc.lock").write_text("2\n")
    for name in ("data/raw/clients.parquet", "metrics/evaluate.json", "mlflow.db", "notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    assert registry.git_dirty(tmp_path) is False
    for name in ("params.yaml", "dvc.yaml", "sql/clients.sql", "medcost/x.py", "stages/x.py", "sql/new.sql"):
        path = tmp_path / name
        before = path.read_text() if path.exists() else None
        path.write_text("changed\n")
        assert registry.git_dirty(tmp_path) is True, name  # also an untracked file in sql/
        if before is None:
            path.unlink()
        else:
            path.write_text(before)
    assert registry.git_dirty(tmp_path) is False
    inside = registry.read_lineage(tmp_path, env={"DVC_EXP_NAME": "lusty-bays", "DVC_EXP_BASELINE_REV": head})
    assert inside.experiment == "lusty-bays" and inside.in_experiment and not inside.dirty
    assert (
        inside.uncommitted()
        == "uncommitted: trained inside `dvc exp run` 'lusty-bays' (apply it, commit, rerun promote)"
    )
    assert registry.Lineage(commit=head, dirty=False).uncommitted() is None


def test_dvc_hashes_from_lock():
    lock = {
        "stages": {
            "split": {
                "deps": [{"path": "data/x", "md5": "d"}],
                "outs": [{"path": "data/processed/train.parquet", "hash": "md5", "md5": "t"}],
            },
            "train": {"deps": [{"path": "./data/processed/train.parquet", "md5": "t"}]},
        }
    }
    assert registry.dvc_hashes(lock, {"train": "data/processed/train.parquet", "test": "data/test"}) == {"train": "t"}
    assert registry.dvc_hashes(None, {"train": "x"}) == {}


def test_masking_and_redaction():
    # the decision's tracking_uri: password masked, query dropped, a plain SQLite path unchanged
    assert (
        mask_url("https://user:pw@mlflow.example.com:8443/path?token=x")
        == "https://user:***@mlflow.example.com:8443/path"
    )
    assert mask_url("sqlite:///mlflow.db") == "sqlite:///mlflow.db"
    assert mask_url("sqlite:////abs/mlflow.db?timeout=5") == "sqlite:////abs/mlflow.db"
    assert mask_url("http://u:pa/ss@w0rd@host/x") == "http://u:***@host/x"
    tags = registry.lineage_tags(
        candidate="tree",
        sha256="s",
        lineage=registry.Lineage(commit=None, dirty=None, experiment="e", baseline_rev="b" * 40),
        hashes={},
        params={"x": {"api_key": "k", "db_password": "pw", "url": "http://a:b@c/", "n": 1}},
    )
    assert tags["git_commit"] == "unknown" and tags["git_dirty"] == "unknown" and tags["dvc_exp_name"] == "e"
    assert tags["dvc_exp_baseline_rev"] == "b" * 40
    assert json.loads(tags["params.x"]) == {"api_key": "***", "db_password": "***", "url": "http://***@c/", "n": 1}


def test_default_store_is_in_the_working_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DVC_ROOT", str(tmp_path))  # dvc repro in the repository itself
    assert registry.tracking_uri() == "sqlite:///mlflow.db"
    monkeypatch.setenv("DVC_ROOT", "/somewhere/else")  # dvc exp run --temp: the real repository's store
    assert registry.tracking_uri() == "sqlite:////somewhere/else/mlflow.db"
    # ... shown without this machine's path in metrics/promotion.json
    assert registry.shown_uri(registry.tracking_uri()) == "sqlite:///mlflow.db"
    assert registry.shown_uri("sqlite:////somewhere/else/stores/mlflow.db?timeout=5") == "sqlite:///stores/mlflow.db"
    assert registry.shown_uri("sqlite:////elsewhere/mlflow.db") == "sqlite:///<outside the repository>/mlflow.db"
    assert registry.shown_uri("sqlite:///mlflow.db") == "sqlite:///mlflow.db"
    assert registry.shown_uri(f"https://bob:{SECRET}@mlflow.example.com/x") == "https://bob:***@mlflow.example.com/x"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert registry.tracking_uri() == "http://127.0.0.1:5000"
    assert registry.default_artifact_location("sqlite:///mlflow.db") == (tmp_path / "mlruns").as_uri()
    assert registry.default_artifact_location("https://mlflow.example.com") is None


def test_signature_requires_every_column_and_accepts_missing_values(data):
    spec = feature_spec()
    types = registry.input_types(data["good"], spec)
    signature = registry.model_signature(types)
    assert all(col.required for col in signature.inputs.inputs)
    frame = registry.coerce_inputs(data["test"], types)
    assert frame.isna().any().any()  # NaN in numerics and None in categoricals are kept
    assert frame[spec.categorical[0]].map(lambda v: v is None or isinstance(v, str)).all()
    with pytest.raises(MedcostError, match="column\\(s\\) bmi missing"):
        registry.coerce_inputs(data["test"].drop(columns=["bmi"]), types)
    with pytest.raises(MedcostError, match="column\\(s\\) bmi are neither numeric nor categorical"):
        registry.input_types(data["good"], spec.model_copy(update={"numeric": [c for c in spec.numeric if c != "bmi"]}))


def test_foreign_types_are_refused_by_the_skops_check(data):
    from sklearn.preprocessing import FunctionTransformer

    clip = FunctionTransformer(functools.partial(np.clip, a_min=0.0, a_max=None))
    assert registry.skops_trusted_types(clip) == ["functools.partial", "numpy.clip"]
    assert all(t.split(".")[0] in registry.TRUSTED_MODULES for t in registry.skops_trusted_types(data["tree"]))
    with pytest.raises(MedcostError, match="will not load safely: posix.getcwd"):
        registry.skops_trusted_types(FunctionTransformer(os.getcwd))


def test_repository_params_have_a_valid_promote_section():
    assert section(repo_params(), "promote", PromoteParams).model_name


def test_tracking_uri_credentials_never_reach_the_error(monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    with socket.socket() as s:  # a closed loopback port: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    uri = f"http://bob:{SECRET}@127.0.0.1:{port}"
    with pytest.raises(MedcostError) as error, registry.mlflow_session(uri) as c:
        registry.current_aliases(c, MODEL)
    assert SECRET not in str(error.value) and f"MLflow at http://bob:***@127.0.0.1:{port}" in str(error.value)
    assert scrub(f"see {uri}/api") == f"see http://***@127.0.0.1:{port}/api"
