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
from medcost.core.contracts import (
    QualityVerdict,
)
from medcost.core.errors import MedcostError
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
    assert mv.tags["git_commit"] == "abc123" and mv.tags["dvc.train.md5"] == "d41d8"
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
    assert "does not beat the champion" in decision.reasons[-1]
    assert decision.lifecycle == "active"


def test_a_better_model_becomes_champion_and_the_old_one_previous(data, store):
    run_promote(promotion(data["bad"], data["test"]), store)
    decision = run_promote(promotion(data["good"], data["test"]), store)
    assert decision.champion_changed
    assert decision.aliases_after == {"challenger": 2, "champion": 2, "previous": 1}
    assert decision.rmse.champion is not None and decision.rmse.candidate < decision.rmse.champion


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
    second = run_promote(promotion(data["good"], data["test"]), store)
    assert second.version == first.version == 1
    assert not second.registered_new_version and not second.champion_changed
    assert second.reasons == ["version 1 is already the champion"]
    assert len(client(store).search_model_versions(f"name = '{MODEL}'")) == 1
    # no second run either: the decision is the same bytes apart from what changed
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
    registry_main(["status", "--model-name", MODEL])
    shown = json.loads(capsys.readouterr().out)
    assert shown["aliases"] == {"challenger": 2, "champion": 1}
    assert [v["lifecycle"] for v in shown["versions"]] == ["archived", "active"]


def test_a_champion_that_cannot_score_the_test_set_is_replaced(data, store):
    run_promote(promotion(data["good"], data["test"]), store)
    first = feature_spec().numeric[0]
    renamed = data["test"].rename(columns={first: "renamed"})
    train = data["train"].rename(columns={first: "renamed"})
    from sklearn.dummy import DummyRegressor
    from sklearn.pipeline import Pipeline

    numeric = ["renamed", *feature_spec().numeric[1:]]
    model = Pipeline([("model", DummyRegressor())]).fit(train[numeric], train[feature_spec().target])
    p = dataclasses.replace(promotion(model, renamed), spec=feature_spec().model_copy(update={"numeric": numeric}))
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
    assert decision["version"] == 1 and decision["champion_after"] == 1 and decision["candidate"] == "tree"
    assert decision["model_sha256"] == hashlib.sha256((tmp_path / "models/tree.pkl").read_bytes()).hexdigest()
    assert decision["tracking_uri"] == f"sqlite:///{tmp_path / 'mlflow.db'}"
    c = client(uri)
    mv = c.get_model_version(MODEL, "1")
    assert mv.tags["dvc.train.md5"] == "a" * 32 and mv.tags["dvc.model.md5"] == "c" * 32
    assert mv.tags["dvc_exp_name"] == "tidy-ruff"
    assert mv.tags["git_commit"]  # a commit, or "unknown" outside git
    run = c.get_run(mv.run_id)
    assert run.data.metrics["test.rmse"] == 10.0 and run.data.metrics["gate.r2"] == pytest.approx(0.3)
    artifacts = {a.path for a in c.list_artifacts(run.info.run_id)}
    assert {"plots", "verdicts"} <= artifacts
    assert [a.path for a in c.list_artifacts(run.info.run_id, "plots")] == ["plots/predicted_vs_actual.png"]
    assert (tmp_path / "mlruns").is_dir()  # artifacts beside mlflow.db

    everything = json.dumps([decision, mv.tags, run.data.params, run.data.tags]) + caplog.text
    assert SECRET not in everything
    assert "http://127.0.0.1:9" in caplog.text  # the failed notification was logged, masked

    # run again (dvc repro -f promote): one version, same decision
    run_stage("promote", params)
    again = read_decision(tmp_path)
    assert again["version"] == 1 and not again["registered_new_version"]
    assert len(c.search_model_versions(f"name = '{MODEL}'")) == 1


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


def test_decide():
    common: dict[str, Any] = dict(version=3, archived_reason=None, champion_error=None, min_improvement=0.0)
    assert registry.decide(verdict_passed=True, champion=None, candidate_rmse=5, champion_rmse=None, **common)[0]
    assert registry.decide(verdict_passed=True, champion=2, candidate_rmse=5, champion_rmse=6, **common)[0]
    assert not registry.decide(verdict_passed=True, champion=2, candidate_rmse=6, champion_rmse=6, **common)[0]
    assert not registry.decide(verdict_passed=False, champion=None, candidate_rmse=1, champion_rmse=None, **common)[0]
    assert not registry.decide(verdict_passed=True, champion=3, candidate_rmse=1, champion_rmse=None, **common)[0]
    needs_1pct = {**common, "min_improvement": 0.01}
    assert not registry.decide(verdict_passed=True, champion=2, candidate_rmse=99.5, champion_rmse=100, **needs_1pct)[0]
    assert registry.decide(verdict_passed=True, champion=2, candidate_rmse=98.9, champion_rmse=100, **needs_1pct)[0]


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
        commit=None,
        hashes={},
        env={"DVC_EXP_NAME": "e"},
        params={"x": {"api_key": "k", "db_password": "pw", "url": "http://a:b@c/", "n": 1}},
    )
    assert tags["git_commit"] == "unknown" and tags["dvc_exp_name"] == "e"
    assert json.loads(tags["params.x"]) == {"api_key": "***", "db_password": "***", "url": "http://***@c/", "n": 1}


def test_default_store_is_in_the_working_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DVC_ROOT", str(tmp_path))  # dvc repro in the repository itself
    assert registry.tracking_uri() == "sqlite:///mlflow.db"
    monkeypatch.setenv("DVC_ROOT", "/somewhere/else")  # dvc exp run --temp: the real repository's store
    assert registry.tracking_uri() == "sqlite:////somewhere/else/mlflow.db"
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
