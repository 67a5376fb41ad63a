"""`dvc repro` / `dvc exp` of the modelling stages in a temporary git repository.

split -> train_tree / train_linear -> evaluate on the small demo source: reruns give
byte-identical metrics and predictions, a param reruns only the stages that read it, and
an experiment (`dvc exp run -S`) shows both models' metrics in `dvc exp show` and, better or
not, stays a challenger; committed and promoted again, it is judged by the significance rule.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from contextlib import contextmanager

import pytest
import yaml

pytestmark = pytest.mark.e2e

STAGES = ("extract", "transform", "load", "validate", "split", "train_tree", "train_linear", "evaluate")
MODELLING = {"split", "train_tree", "train_linear", "evaluate"}
PLOTS = ("predicted_vs_actual", "residuals", "cost_by_predicted_decile", "importance_tree", "importance_linear")


def ran(result) -> set[str]:
    """Stages that ran, or whose outputs DVC restored from its run cache (same command, deps and params as before)."""
    return {
        stage
        for stage in STAGES
        if f"Running stage '{stage}'" in result.stdout or f"Stage '{stage}' is cached" in result.stdout
    }


def outputs(repo) -> dict[str, bytes]:
    """The files a rerun must reproduce byte for byte."""
    files = [
        "metrics/evaluate.json",
        "dvclive/train_tree/metrics.json",
        "dvclive/train_linear/metrics.json",
        "data/processed/train.parquet",
        "data/processed/test.parquet",
        "data/processed/scoring.parquet",
        *sorted(str(p.relative_to(repo.path)) for p in (repo.path / "plots/evaluate").glob("*.csv")),
    ]
    return {name: (repo.path / name).read_bytes() for name in files}


@pytest.fixture(scope="module")
def built(repo, small_source):
    # the generator's truth for the small source, where params.yaml expects it: evaluate adds the oracle
    (repo.path / "data/source").mkdir(parents=True, exist_ok=True)
    shutil.copy2(small_source["truth"], repo.path / "data/source/truth.parquet")
    result = repo.dvc("repro", "evaluate")
    assert ran(result) >= MODELLING
    return repo


def test_repro_trains_both_models_and_evaluates_them(built):
    path = built.path
    assert (path / "models/tree.pkl").is_file() and (path / "models/linear.pkl").is_file()
    assert (path / "data/processed/scoring.parquet").is_file()
    metrics = json.loads((path / "metrics/evaluate.json").read_text())
    for model in ("tree", "linear", "baseline"):
        assert {"r2", "rmse", "mse", "mae", "total_ratio", "top_decile_share"} <= set(metrics[model]["test"])
        assert {"r2", "rmse"} <= set(metrics[model]["train"])
    for model in ("tree", "linear"):
        assert metrics[model]["test"]["rmse"] < metrics["baseline"]["test"]["rmse"]
    assert "r2" in metrics["oracle"]["test"]
    live = json.loads((path / "dvclive/train_tree/metrics.json").read_text())
    assert {"r2", "rmse", "rows"} <= set(live)
    # dvclive wrote neither a dvc.yaml nor a report, and left the pipeline's dvc.yaml alone
    assert not list((path / "dvclive").rglob("dvc.yaml")) and not list((path / "dvclive").rglob("report.*"))
    assert built.run("git", "diff", "--quiet", "--", "dvc.yaml", check=False).returncode == 0
    shown = json.loads(built.dvc("plots", "show", "--json").stdout)
    names = set(shown.get("data", {}))
    assert all(any(plot in name for name in names) for plot in PLOTS), sorted(names)
    assert any(name.endswith("predicted_vs_actual.png") for name in names)


def test_forced_reruns_are_byte_identical(built):
    first = outputs(built)
    result = built.dvc("repro", "--force", "evaluate")
    assert ran(result) >= MODELLING
    second = outputs(built)
    changed = [name for name in first if first[name] != second[name]]
    assert not changed, f"not reproduced byte for byte: {changed}"


@contextmanager
def changed_param(repo, dotted: str, value: str):
    """params.yaml with one value changed, restored as it was afterwards."""
    params = repo.path / "params.yaml"
    original = params.read_text()
    repo.set_param(dotted, value)
    try:
        yield
    finally:
        params.write_text(original)


def test_a_model_param_reruns_only_its_own_training_and_evaluate(built):
    with changed_param(built, "train_linear.alpha", "2.5"):
        assert ran(built.dvc("repro", "evaluate")) == {"train_linear", "evaluate"}
    assert ran(built.dvc("repro", "evaluate")) == {"train_linear", "evaluate"}  # back (from DVC's run cache)
    with changed_param(built, "train_tree.max_iter", "50"):
        assert ran(built.dvc("repro", "evaluate")) == {"train_tree", "evaluate"}
    assert ran(built.dvc("repro", "evaluate")) == {"train_tree", "evaluate"}
    with changed_param(built, "evaluate.importance_repeats", "2"):
        assert ran(built.dvc("repro", "evaluate")) == {"evaluate"}
    built.dvc("repro", "evaluate")
    assert "up to date" in built.dvc("status", "evaluate").stdout


def test_a_bad_model_param_stops_before_any_work(built):
    model_before = (built.path / "models/tree.pkl").read_bytes()
    with changed_param(built, "train_tree.model", "xgboost"):
        result = built.dvc("repro", "evaluate", check=False)
    assert result.returncode != 0
    assert (
        "error: fingerprint: params.yaml: train_tree.model = 'xgboost': Input should be "
        "'hist_gradient_boosting', 'random_forest' or 'extra_trees'"
    ) in result.stderr
    assert "Traceback" not in result.stderr
    assert "Running stage 'evaluate'" not in result.stdout
    built.dvc("checkout", "train_tree")  # DVC removed the failed stage's outputs before running it; the cache has them
    assert (built.path / "models/tree.pkl").read_bytes() == model_before
    assert "up to date" in built.dvc("status", "evaluate").stdout


def test_tune_enabled_trains_both_models_with_the_tuned_settings_and_disabled_restores_them(built):
    before = {name: (built.path / f"models/{name}.pkl").read_bytes() for name in ("tree", "linear")}
    with (
        changed_param(built, "tune.enabled", "true"),
        changed_param(built, "tune.trials", "3"),
        changed_param(built, "tune.folds", "3"),
    ):
        result = built.dvc("repro", "evaluate")
        assert "Running stage 'tune'" in result.stdout
        # evaluate reruns only if a best setting differs from the params (trial 0 may win on this small source)
        assert ran(result) - {"evaluate"} == {"train_tree", "train_linear"}
        tuned = json.loads((built.path / "models/tuned.json").read_text())
        assert tuned["enabled"] and set(tuned["families"]) == {"tree", "linear"}
        assert all(len(found["trials"]) == 3 for found in tuned["families"].values())
        assert json.loads((built.path / "metrics/tune.json").read_text())["enabled"] is True
        for name, found in tuned["families"].items():
            logged = yaml.safe_load((built.path / f"dvclive/train_{name}/params.yaml").read_text())
            assert logged["tuned"] is True
            assert {key: logged[key] for key in found["best_settings"]} == found["best_settings"]
    result = built.dvc("repro", "evaluate")  # tuning off again: the models as before (DVC's run cache)
    assert ran(result) - {"evaluate"} == {"train_tree", "train_linear"}
    assert {name: (built.path / f"models/{name}.pkl").read_bytes() for name in ("tree", "linear")} == before
    assert "up to date" in built.dvc("status", "evaluate").stdout


def experiments(shown) -> list[dict]:
    """Every row of `dvc exp show --json` (workspace, baseline, experiments) that has data."""
    rows: list[dict] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("data"), dict) and "params" in node["data"]:
                rows.append({"name": node.get("name") or node.get("rev"), **node["data"]})
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(shown)
    return rows


def champion(repo) -> list:
    with sqlite3.connect(repo.path / "mlflow.db") as con:
        return con.execute("SELECT version FROM registered_model_aliases WHERE alias = 'champion'").fetchall()


def test_an_experiment_shows_both_models_metrics_and_never_moves_the_champion(built):
    built.dvc("repro")  # the whole pipeline, from a committed tree: the first champion
    first = json.loads((built.path / "metrics/promotion.json").read_text())
    assert first["champion_after"] == 1 and first["git_dirty"] is False and first["experiment"] is None
    built.run("git", "add", "-A")
    built.run("git", "commit", "-q", "-m", "pipeline run")
    result = built.dvc("exp", "run", "-S", "train_tree.max_iter=70")  # a better tree on this source
    assert ran(result) == {"train_tree", "evaluate"}
    decision = json.loads((built.path / "metrics/promotion.json").read_text())
    assert decision["version"] == 2 and decision["registered_new_version"] and decision["candidate"] == "tree"
    assert decision["rmse"]["candidate"] < decision["rmse"]["champion"]  # better, and still not champion
    assert (
        decision["champion_after"] == 1 and decision["aliases_after"]["challenger"] == 2 and champion(built) == [(1,)]
    )
    assert decision["experiment"] and decision["git_dirty"] is True
    assert f"uncommitted: trained inside `dvc exp run` '{decision['experiment']}'" in decision["reasons"][-1]
    improvement = decision["improvement"]
    assert improvement["low"] <= improvement["estimate"] <= improvement["high"] and improvement["confidence"] == 0.95
    with sqlite3.connect(built.path / "mlflow.db") as con:
        tags = dict(con.execute("SELECT key, value FROM model_version_tags WHERE version = 2").fetchall())
    assert tags["git_dirty"] == "true" and tags["dvc_exp_name"] == decision["experiment"]
    rows = experiments(json.loads(built.dvc("exp", "show", "--json").stdout))
    found = [
        row
        for row in rows
        if row["params"]["params.yaml"]["data"]["train_tree"]["max_iter"] == 70 and row["name"] != "workspace"
    ]
    assert found, "the experiment is not listed"
    metrics = found[0]["metrics"]
    evaluation = metrics["metrics/evaluate.json"]["data"]
    for model in ("tree", "linear", "baseline"):
        assert isinstance(evaluation[model]["test"]["r2"], float)
        assert isinstance(evaluation[model]["test"]["rmse"], float)
    for stage in ("train_tree", "train_linear"):
        live = metrics.get(f"dvclive/{stage}/metrics.json", {})
        # cache: false metrics reach an experiment's commit only if git does not ignore them
        assert "r2" in live.get("data", {}), f"{stage}'s training metrics are not in the experiment: {live}"
    table = built.dvc("exp", "show", "--md").stdout
    for column in ("tree.test.r2", "linear.test.r2", "tree.test.rmse", "linear.test.rmse", "train_tree.max_iter"):
        assert column in table
    assert built.run("git", "diff", "--quiet", "--", "dvc.yaml", check=False).returncode == 0

    # committed, as a user would, and promoted again: the same version, now judged by the significance rule
    built.run("git", "add", "-A")
    built.run("git", "commit", "-q", "-m", "tree: 70 rounds")
    built.dvc("repro", "-f", "-s", "promote")
    again = json.loads((built.path / "metrics/promotion.json").read_text())
    assert again["version"] == 2 and not again["registered_new_version"] and again["git_dirty"] is False
    # better by a little on 217 test rows: within noise (the seeded source gives an estimate near +87, bound near -120)
    estimate, low = again["improvement"]["estimate"], again["improvement"]["low"]
    assert estimate > 0 > low and not again["champion_changed"] and champion(built) == [(1,)]
    assert "not significantly better" in again["reasons"][-1] and again["reasons"][-1].endswith("stays challenger")


def test_predictions_are_held_back_on_a_failed_drift_verdict_unless_allowed(built):
    built.dvc("repro")
    published = {name: (built.path / name).read_bytes() for name in PUBLISHED}
    built.set_param("drift.max_psi", "0.0001")  # every feature "drifts": the verdict fails
    try:
        result = built.dvc("repro", check=False)
        assert result.returncode != 0
        held = [line for line in result.stderr.splitlines() if line.startswith("error: predict: ")]
        assert held == [
            "error: predict: predictions held back, data/predictions left as it was: the scoring snapshot failed "
            f"the drift verdict ({held[0].split('drift verdict (')[1].split(')')[0]}); set predict.allow_drift: "
            "true to publish anyway (recorded in metrics/predict.json)"
        ]
        assert re.search(r"drift verdict \(psi:\w+, \w+:\w+, \w+:\w+ and \d+ more\)", held[0])
        assert "Traceback" not in result.stderr
        assert {name: (built.path / name).read_bytes() for name in PUBLISHED} == published  # nothing written over

        built.set_param("predict.allow_drift", "true")
        built.dvc("repro")
        summary = json.loads((built.path / "metrics/predict.json").read_text())
        assert summary["drift_passed"] is False and summary["allow_drift"] is True
        assert summary["model_version"] == champion(built)[0][0]
    finally:
        built.set_param("drift.max_psi", "0.25")
        built.set_param("predict.allow_drift", "false")
    built.dvc("repro")
    summary = json.loads((built.path / "metrics/predict.json").read_text())
    assert summary["drift_passed"] is True and summary["allow_drift"] is False


PUBLISHED = ("data/predictions/predictions.parquet", "metrics/predict.json")
