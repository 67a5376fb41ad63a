"""The MLflow registry lifecycle against a real SQLite store in tmp_path: champion, challenger,
archived, one version per model file, rollback, lineage tags, no secrets; plus the pure helpers.

The helpers at the top (synthetic feature frames, small pipelines, verdict files, a stage
run in a temporary project folder) are shared with tests/unit/test_notify.py and
tests/model/test_serving.py.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import logging
import os
import pickle
import socket
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from medcost import registry
from medcost.config import TransformParams
from medcost.errors import MedcostError
from medcost.features import feature_columns

ROOT = Path(__file__).resolve().parents[2]
MODEL = "medcost-test"
SECRET = "s3cr3t-t0ken"


@pytest.fixture(autouse=True)
def _no_mlflow_telemetry(monkeypatch: pytest.MonkeyPatch) -> None:
    # MLflow 3 sends usage telemetry unless told not to; tests never leave loopback.
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.setenv("DO_NOT_TRACK", "true")


# --------------------------------------------------------------------------- shared helpers


def repo_params() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "params.yaml").read_text())


def columns() -> dict[str, Any]:
    return feature_columns(TransformParams.model_validate(repo_params()["transform"]))


def make_frame(n: int, seed: int, year: int = 2025, target: bool = True) -> pd.DataFrame:
    """A feature frame with the project's real columns: NaN in numerics, None in categoricals."""
    cols = columns()
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"client_id": np.arange(1, n + 1, dtype="int64"), "year": np.full(n, year, dtype="int64")})
    for i, name in enumerate(cols["numeric"]):
        values = rng.gamma(1.0 + i % 3, 100.0 * (1 + i % 4), n)
        values[rng.random(n) < 0.05] = np.nan
        frame[name] = values
    choices = {"sex": ["female", "male"], "region": ["northeast", "northwest", "southeast", "southwest"],
               "plan": ["bronze", "silver", "gold", "platinum"]}
    for name in cols["categorical"]:
        values = rng.choice(choices.get(name, ["a", "b", "c"]), n).astype(object)
        values[rng.random(n) < 0.05] = None
        frame[name] = values
    signal = np.nan_to_num(frame[cols["numeric"][:6]].to_numpy()).sum(axis=1)
    frame[cols["target"]] = signal + rng.gamma(0.5, 300.0, n) if target else np.nan
    return frame


def fit_model(train: pd.DataFrame, kind: str = "good") -> Any:
    """A small pipeline shaped like medcost's: impute + one-hot + regressor, clipped at 0."""
    import functools

    from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
    from sklearn.dummy import DummyRegressor
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

    cols = columns()
    regressor = {"good": Ridge(alpha=1.0), "tree": HistGradientBoostingRegressor(max_iter=30, random_state=0),
                 "bad": DummyRegressor(strategy="median")}[kind]
    clip = FunctionTransformer(func=None, inverse_func=functools.partial(np.clip, a_min=0.0, a_max=None),
                               check_inverse=False)
    pipeline = Pipeline([
        ("preprocess", ColumnTransformer([
            ("numeric", SimpleImputer(strategy="median", add_indicator=True), cols["numeric"]),
            ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), cols["categorical"]),
        ], verbose_feature_names_out=False)),
        ("model", TransformedTargetRegressor(regressor=regressor, transformer=clip, check_inverse=False)),
    ])
    return pipeline.fit(train[[*cols["numeric"], *cols["categorical"]]], train[cols["target"]])


def sha(model: Any) -> str:
    return hashlib.sha256(pickle.dumps(model)).hexdigest()


def quality(candidate: str | None = "tree", passed: bool = True) -> dict[str, Any]:
    gates = {"r2": {"value": 0.3 if passed else 0.01, "threshold": 0.05, "passed": passed}}
    return {"passed": passed, "candidate": candidate if passed else None,
            "models": {"tree": {"passed": passed, "gates": gates}, "linear": {"passed": passed, "gates": gates}},
            "reason": "tree passes all gates" if passed else "no model passes its gates: tree failed r2"}


def drift(passed: bool = True) -> dict[str, Any]:
    return {"verdict": {"passed": passed, "failed": [] if passed else ["psi.bmi"]}}


def promotion(model: Any, test: pd.DataFrame, *, passed: bool = True, drift_passed: bool = True,
              candidate: str = "tree", **extra: Any) -> registry.Promotion:
    cols = columns()
    digest = sha(model)
    return registry.Promotion(
        model_name=MODEL, experiment="medcost-tests", candidate=candidate, model=model, model_sha256=digest,
        test=test, numeric=list(cols["numeric"]), categorical=list(cols["categorical"]), target=cols["target"],
        verdicts=registry.read_verdicts(quality(candidate, passed), drift(drift_passed)),
        metrics={"test.rmse": 1.0}, params={"train_tree": {"max_iter": 30}},
        tags=registry.lineage_tags(candidate=candidate, sha256=digest, commit="abc123", hashes={"train": "d41d8"},
                                   params={"train_tree": {"max_iter": 30}}, env={}),
        **extra)


def build_data() -> dict[str, Any]:
    """Train, test and scoring frames and three fitted pipelines (good, tree, bad)."""
    train = make_frame(600, seed=1)
    test = make_frame(200, seed=2)
    return {"train": train, "test": test, "good": fit_model(train, "good"), "tree": fit_model(train, "tree"),
            "bad": fit_model(train, "bad"), "scoring": make_frame(150, seed=3, year=2026, target=False)}


def create_empty_store(folder: Path) -> Path:
    """An MLflow SQLite store with its tables created (the migrations take seconds): tests copy it."""
    path = folder / "mlflow.db"
    with registry.mlflow_session(f"sqlite:///{path}") as c:
        c.search_experiments()
    return path


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return build_data()


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return create_empty_store(tmp_path_factory.mktemp("template"))


def new_store(folder: Path, template: Path) -> str:
    """A fresh, empty tracking store ``folder/mlflow.db`` (artifacts go to ``folder/mlruns``)."""
    import shutil

    shutil.copyfile(template, folder / "mlflow.db")
    return f"sqlite:///{folder / 'mlflow.db'}"


@pytest.fixture()
def store(tmp_path: Path, empty_store: Path) -> str:
    return new_store(tmp_path, empty_store)


def run_promote(p: registry.Promotion, uri: str) -> dict[str, Any]:
    return registry.promote(p, uri, registry.default_artifact_location(uri))


def client(uri: str) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def write_project(folder: Path, data: dict[str, Any], *, model: Any, passed: bool = True,
                  drift_passed: bool = True) -> dict[str, Any]:
    """A project folder with the inputs of the promote/predict stages; returns its params."""
    params = repo_params()
    params["paths"] = {**params["paths"], **{
        "train": "data/processed/train.parquet", "test": "data/processed/test.parquet",
        "scoring": "data/processed/scoring.parquet", "models": "models", "metrics": "metrics",
        "plots": "plots", "predictions": "data/predictions", "lakehouse": "data/lakehouse/client_features"}}
    (folder / "data/processed").mkdir(parents=True, exist_ok=True)
    data["test"].to_parquet(folder / "data/processed/test.parquet", index=False)
    data["scoring"].to_parquet(folder / "data/processed/scoring.parquet", index=False)
    (folder / "models").mkdir(exist_ok=True)
    for name in ("tree", "linear"):
        (folder / "models" / f"{name}.pkl").write_bytes(pickle.dumps(model))
    (folder / "metrics").mkdir(exist_ok=True)
    (folder / "metrics/quality.json").write_text(json.dumps(quality("tree", passed)))
    (folder / "metrics/drift.json").write_text(json.dumps(drift(drift_passed)))
    (folder / "metrics/evaluate.json").write_text(json.dumps({"tree": {"test": {"rmse": 10.0, "r2": 0.3}},
                                                              "linear": {"test": {"rmse": 11.0}}}))
    (folder / "plots/evaluate").mkdir(parents=True, exist_ok=True)
    (folder / "plots/evaluate/predicted_vs_actual.png").write_bytes(b"\x89PNG fake plot")
    (folder / "dvc.lock").write_text(yaml.safe_dump({"schema": "2.0", "stages": {
        "split": {"outs": [{"path": "data/processed/train.parquet", "hash": "md5", "md5": "a" * 32},
                           {"path": "data/processed/test.parquet", "hash": "md5", "md5": "b" * 32}]},
        "train_tree": {"outs": [{"path": "models/tree.pkl", "hash": "md5", "md5": "c" * 32}]}}}))
    return params


def run_stage(module: str, params: dict[str, Any]) -> None:
    import importlib

    importlib.import_module(f"stages.{module}").main(params, argparse.Namespace(params="params.yaml"))


# --------------------------------------------------------------------------- the lifecycle


def test_first_promote_becomes_champion_with_lineage_tags(data, store):
    decision = run_promote(promotion(data["good"], data["test"]), store)
    assert decision["version"] == 1 and decision["registered_new_version"]
    assert decision["champion_changed"] and decision["champion_before"] is None
    assert decision["aliases_after"] == {"challenger": 1, "champion": 1}
    assert decision["reasons"] == ["no champion yet"]
    mv = client(store).get_model_version(MODEL, "1")
    assert mv.tags["model_sha256"] == sha(data["good"])
    assert mv.tags["git_commit"] == "abc123" and mv.tags["dvc.train.md5"] == "d41d8"
    assert json.loads(mv.tags["params.train_tree"]) == {"max_iter": 30}
    assert mv.tags["verdict.quality"] == "passed" and mv.tags["verdict.drift"] == "passed"
    assert mv.tags["lifecycle"] == "active"
    run = client(store).get_run(mv.run_id)
    assert run.data.params["train_tree.max_iter"] == "30"
    assert run.data.metrics["promote.test_rmse"] == pytest.approx(decision["rmse"]["candidate"], rel=1e-5)
    # the artifacts are inside the store's folder, not wherever the process happened to start
    experiment = client(store).get_experiment(run.info.experiment_id)
    assert experiment.artifact_location == (Path(store[len("sqlite:///"):]).parent / "mlruns").as_uri()


def test_a_worse_model_is_challenger_not_champion(data, store):
    run_promote(promotion(data["good"], data["test"]), store)
    decision = run_promote(promotion(data["bad"], data["test"]), store)
    assert decision["version"] == 2
    assert not decision["champion_changed"]
    assert decision["aliases_after"] == {"challenger": 2, "champion": 1}
    assert decision["rmse"]["candidate"] > decision["rmse"]["champion"]
    assert "does not beat the champion" in decision["reasons"][-1]
    assert decision["lifecycle"] == "active"


def test_a_better_model_becomes_champion_and_the_old_one_previous(data, store):
    run_promote(promotion(data["bad"], data["test"]), store)
    decision = run_promote(promotion(data["good"], data["test"]), store)
    assert decision["champion_changed"]
    assert decision["aliases_after"] == {"challenger": 2, "champion": 2, "previous": 1}
    assert decision["rmse"]["candidate"] < decision["rmse"]["champion"]


@pytest.mark.parametrize("quality_ok, drift_ok", [(False, True), (True, False)])
def test_a_failing_verdict_is_archived_and_never_champion(data, store, quality_ok, drift_ok):
    first = run_promote(promotion(data["bad"], data["test"]), store)
    assert first["champion_after"] == 1
    decision = run_promote(promotion(data["good"], data["test"], passed=quality_ok, drift_passed=drift_ok), store)
    assert decision["version"] == 2 and not decision["champion_changed"]
    assert decision["lifecycle"] == "archived"
    assert decision["aliases_after"]["champion"] == 1
    assert decision["verdicts"] == {"passed": False, "quality": quality_ok, "drift": drift_ok}
    mv = client(store).get_model_version(MODEL, "2")
    assert mv.tags["lifecycle"] == "archived" and mv.tags["archived_reason"] == "gates"
    assert any("failed" in r for r in decision["reasons"])


def test_a_failing_first_model_leaves_no_champion(data, store):
    decision = run_promote(promotion(data["good"], data["test"], passed=False), store)
    assert decision["champion_after"] is None and decision["lifecycle"] == "archived"


def test_the_same_model_twice_is_one_version(data, store):
    first = run_promote(promotion(data["good"], data["test"]), store)
    second = run_promote(promotion(data["good"], data["test"]), store)
    assert second["version"] == first["version"] == 1
    assert not second["registered_new_version"] and not second["champion_changed"]
    assert second["reasons"] == ["version 1 is already the champion"]
    assert len(client(store).search_model_versions(f"name = '{MODEL}'")) == 1
    # no second run either: the decision is the same bytes apart from what changed
    assert {k: v for k, v in first.items() if k not in ("registered_new_version", "champion_changed", "reasons",
                                                         "champion_before", "aliases_before", "rmse")} == \
           {k: v for k, v in second.items() if k not in ("registered_new_version", "champion_changed", "reasons",
                                                          "champion_before", "aliases_before", "rmse")}


def test_an_archived_model_that_passes_later_is_back_in_the_race(data, store):
    run_promote(promotion(data["good"], data["test"], passed=False), store)
    decision = run_promote(promotion(data["good"], data["test"]), store)
    assert decision["version"] == 1 and decision["lifecycle"] == "active" and decision["champion_after"] == 1
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
    assert again["version"] == 2 and again["champion_after"] == 1 and again["lifecycle"] == "archived"
    assert "rolled back" in again["reasons"][-1]


def test_rollback_command_line(data, store, monkeypatch, capsys):
    run_promote(promotion(data["bad"], data["test"]), store)
    run_promote(promotion(data["good"], data["test"]), store)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store)
    monkeypatch.delenv("MEDCOST_WEBHOOK_URL", raising=False)
    monkeypatch.chdir(ROOT)  # params.yaml
    registry.main(["rollback", "--model-name", MODEL])
    out = capsys.readouterr().out
    assert "champion version 2 -> version 1" in out and "alias 'previous' removed" in out
    with pytest.raises(SystemExit) as exit_info:
        registry.main(["rollback", "--model-name", MODEL])
    assert exit_info.value.code == 1
    assert "nothing to roll back to" in capsys.readouterr().err
    registry.main(["status", "--model-name", MODEL])
    shown = json.loads(capsys.readouterr().out)
    assert shown["aliases"] == {"challenger": 2, "champion": 1}
    assert [v["lifecycle"] for v in shown["versions"]] == ["archived", "active"]


def test_a_champion_that_cannot_score_the_test_set_is_replaced(data, store):
    run_promote(promotion(data["good"], data["test"]), store)
    renamed = data["test"].rename(columns={columns()["numeric"][0]: "renamed"})
    train = data["train"].rename(columns={columns()["numeric"][0]: "renamed"})
    from sklearn.dummy import DummyRegressor
    from sklearn.pipeline import Pipeline

    numeric = ["renamed", *columns()["numeric"][1:]]
    model = Pipeline([("model", DummyRegressor())]).fit(train[numeric], train[columns()["target"]])
    p = registry.Promotion(**{**promotion(model, renamed).__dict__, "numeric": numeric})
    decision = run_promote(p, store)
    assert decision["champion_changed"] and decision["rmse"]["champion"] is None
    assert "cannot score the current test set" in decision["reasons"][-1]


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

    decision = json.loads((tmp_path / "metrics/promotion.json").read_text())
    assert decision["version"] == 1 and decision["champion_after"] == 1 and decision["candidate"] == "tree"
    assert decision["model_sha256"] == hashlib.sha256((tmp_path / "models/tree.pkl").read_bytes()).hexdigest()
    c = client(uri)
    mv = c.get_model_version(MODEL, "1")
    assert mv.tags["dvc.train.md5"] == "a" * 32 and mv.tags["dvc.model.md5"] == "c" * 32
    assert mv.tags["dvc_exp_name"] == "tidy-ruff"
    assert mv.tags["git_commit"]  # a commit, or "unknown" outside git
    run = c.get_run(mv.run_id)
    artifacts = {a.path for a in c.list_artifacts(run.info.run_id)}
    assert {"plots", "verdicts"} <= artifacts
    assert [a.path for a in c.list_artifacts(run.info.run_id, "plots")] == ["plots/predicted_vs_actual.png"]
    assert (tmp_path / "mlruns").is_dir()  # artifacts beside mlflow.db

    everything = json.dumps([decision, mv.tags, run.data.params, run.data.tags]) + caplog.text
    assert SECRET not in everything
    assert "http://127.0.0.1:9" in caplog.text  # the failed notification was logged, masked

    # run again (dvc repro -f promote): one version, same decision
    run_stage("promote", params)
    again = json.loads((tmp_path / "metrics/promotion.json").read_text())
    assert again["version"] == 1 and not again["registered_new_version"]
    assert len(c.search_model_versions(f"name = '{MODEL}'")) == 1


def test_promote_stage_with_failing_verdicts_archives_and_succeeds(data, tmp_path, monkeypatch, store):
    params = write_project(tmp_path, data, model=data["good"], passed=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store)
    monkeypatch.delenv("MEDCOST_WEBHOOK_URL", raising=False)
    params["promote"] = {**params["promote"], "model_name": MODEL}
    run_stage("promote", params)  # no exception: a failed verdict is a result
    decision = json.loads((tmp_path / "metrics/promotion.json").read_text())
    assert decision["lifecycle"] == "archived" and decision["champion_after"] is None
    assert decision["candidate"] == "tree"  # no verdict candidate: the lowest evaluated RMSE
    assert decision["reasons"][0].startswith("quality gates failed: no model passes its gates")


def test_promote_stage_without_quality_verdict_says_what_to_run(data, tmp_path, monkeypatch):
    params = write_project(tmp_path, data, model=data["good"])
    (tmp_path / "metrics/quality.json").unlink()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(MedcostError, match="quality.json: not found \\(run validate_metrics first\\)"):
        run_stage("promote", params)


# --------------------------------------------------------------------------- pure helpers


def test_read_verdicts_is_defensive():
    assert registry.read_verdicts(quality(), drift())["passed"]
    assert not registry.read_verdicts(quality(), {"passed": True})["passed"]  # no verdict.passed
    assert not registry.read_verdicts(quality(), None)["passed"]
    assert not registry.read_verdicts(quality(), {"verdict": {"passed": "yes"}})["passed"]
    assert not registry.read_verdicts({"passed": True, "candidate": None}, drift())["passed"]
    failed = registry.read_verdicts(quality(), drift(False))
    assert failed["reasons"] == ["drift check failed: psi.bmi"] and failed["drift"]["failed"] == ["psi.bmi"]


def test_choose_candidate():
    assert registry.choose_candidate(quality("linear"), {}) == "linear"
    evaluation = {"tree": {"test": {"rmse": 12.0}}, "linear": {"test": {"rmse": 11.0}}}
    assert registry.choose_candidate(quality(passed=False), evaluation) == "linear"
    assert registry.choose_candidate(quality(passed=False), {}) == "tree"  # no metrics: the verdict's order


def test_decide():
    common = dict(version=3, archived_reason=None, champion_error=None, min_improvement=0.0)
    assert registry.decide(verdict_passed=True, champion=None, candidate_rmse=5, champion_rmse=None, **common)[0]
    assert registry.decide(verdict_passed=True, champion=2, candidate_rmse=5, champion_rmse=6, **common)[0]
    assert not registry.decide(verdict_passed=True, champion=2, candidate_rmse=6, champion_rmse=6, **common)[0]
    assert not registry.decide(verdict_passed=False, champion=None, candidate_rmse=1, champion_rmse=None, **common)[0]
    assert not registry.decide(verdict_passed=True, champion=3, candidate_rmse=1, champion_rmse=None, **common)[0]
    needs_1pct = {**common, "min_improvement": 0.01}
    assert not registry.decide(verdict_passed=True, champion=2, candidate_rmse=99.5, champion_rmse=100, **needs_1pct)[0]
    assert registry.decide(verdict_passed=True, champion=2, candidate_rmse=98.9, champion_rmse=100, **needs_1pct)[0]


def test_dvc_hashes_from_lock():
    lock = {"stages": {"split": {"deps": [{"path": "data/x", "md5": "d"}],
                                 "outs": [{"path": "data/processed/train.parquet", "hash": "md5", "md5": "t"}]},
                       "train": {"deps": [{"path": "./data/processed/train.parquet", "md5": "t"}]}}}
    assert registry.dvc_hashes(lock, {"train": "data/processed/train.parquet", "test": "data/test"}) == {"train": "t"}
    assert registry.dvc_hashes(None, {"train": "x"}) == {}


def test_masking_and_redaction():
    assert registry.mask_uri("https://user:pw@mlflow.example.com:8443/path?token=x") == "https://mlflow.example.com:8443/path"
    assert registry.mask_uri("sqlite:///mlflow.db") == "sqlite:///mlflow.db"
    assert registry.mask_uri("sqlite:////abs/mlflow.db?timeout=5") == "sqlite:////abs/mlflow.db"
    assert registry.mask_uri("http://u:pa/ss@w0rd@host/x") == "http://host/x"
    assert registry.redact({"db_password": "x", "url": "postgresql://u:pw@h/db", "n": 1}) == \
           {"db_password": "***", "url": "postgresql://h/db", "n": 1}
    tags = registry.lineage_tags(candidate="tree", sha256="s", commit=None, hashes={}, env={"DVC_EXP_NAME": "e"},
                                 params={"x": {"api_key": "k", "url": "http://a:b@c/"}})
    assert tags["git_commit"] == "unknown" and tags["dvc_exp_name"] == "e"
    assert "k" not in json.loads(tags["params.x"]).values() and "b@" not in tags["params.x"]


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
    types = registry.input_types(data["good"], columns()["numeric"], columns()["categorical"])
    signature = registry.model_signature(types)
    assert all(spec.required for spec in signature.inputs.inputs)
    frame = registry.coerce_inputs(data["test"], types)
    assert frame.isna().any().any()  # NaN in numerics and None in categoricals are kept
    assert frame[columns()["categorical"][0]].map(lambda v: v is None or isinstance(v, str)).all()
    with pytest.raises(MedcostError, match="column\\(s\\) bmi missing"):
        registry.coerce_inputs(data["test"].drop(columns=["bmi"]), types)


def test_foreign_types_are_refused_by_the_skops_check():
    from sklearn.preprocessing import FunctionTransformer

    clip = FunctionTransformer(functools.partial(np.clip, a_min=0.0, a_max=None))
    assert registry.skops_trusted_types(clip) == ["functools.partial", "numpy.clip"]
    with pytest.raises(MedcostError, match="will not load safely: posix.getcwd"):
        registry.skops_trusted_types(FunctionTransformer(os.getcwd))


def test_repository_params_have_a_valid_promote_section():
    from medcost.config import PromoteParams, section

    assert section(repo_params(), "promote", PromoteParams).model_name


def test_tracking_uri_credentials_never_reach_the_error(monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    with socket.socket() as s:  # a closed loopback port: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    uri = f"http://bob:{SECRET}@127.0.0.1:{port}"
    with pytest.raises(MedcostError) as error:
        with registry.mlflow_session(uri) as c:
            registry.current_aliases(c, MODEL)
    assert SECRET not in str(error.value) and f"MLflow at http://127.0.0.1:{port}" in str(error.value)
    assert registry.scrub(f"see {uri}/api") == f"see http://127.0.0.1:{port}/api"
