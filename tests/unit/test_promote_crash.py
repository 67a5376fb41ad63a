"""Crash-safe promote: killed (SIGKILL, ``MEDCOST_FAULT``) at each crash point and rerun, the registry and
metrics/promotion.json end exactly as after one uninterrupted promote.

Each scenario is a project folder (tests/registry_support.write_project) with a real MLflow SQLite
store in it, after a first promote: "better" (version 1 a poor champion, the candidate a better
new model file: registered, challenger, champion, version 1 previous) and "back" (version 1
archived by failing gates, the same file now passing: retagged, active, champion). A test copies
the folder (same git commit, same store), runs ``python -m stages.promote`` there with the fault,
checks it died, reruns promote and compares with an uninterrupted promote of another copy.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from medcost import promote as registry
from medcost.core.contracts import RmseImprovement, write_contract
from medcost.core.errors import MedcostError
from medcost.core.faults import FAULT_ENV
from medcost.promote.plan import PromotePlan
from tests.registry_support import ROOT, client, quality, read_decision, repo_params, run_stage, write_project

MODEL_NAME = repo_params()["promote"]["model_name"]
GIT_DATES = {"GIT_AUTHOR_DATE": "2025-01-01T00:00:00+00:00", "GIT_COMMITTER_DATE": "2025-01-01T00:00:00+00:00"}
e2e = pytest.mark.e2e  # a killed and a resumed promote per point: ~10 s each


def store_uri(folder: Path) -> str:
    return f"sqlite:///{folder / 'mlflow.db'}"


@pytest.fixture(scope="module")
def scenarios(data: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict]]:
    """Each scenario's project folder after its first promote, ready for the promote under test; and its params."""
    built = {}
    with pytest.MonkeyPatch.context() as mp:
        for name, value in GIT_DATES.items():
            mp.setenv(name, value)
        mp.delenv("MEDCOST_WEBHOOK_URL", raising=False)
        mp.delenv("DVC_EXP_NAME", raising=False)
        for scenario in ("better", "back"):
            folder = tmp_path_factory.mktemp(f"crash-{scenario}")
            first, passed = ("bad", True) if scenario == "better" else ("good", False)
            params = write_project(folder, data, model=data[first], passed=passed)
            mp.chdir(folder)
            mp.setenv("MLFLOW_TRACKING_URI", store_uri(folder))
            run_stage("promote", params)
            if scenario == "better":  # retrained: a better model file (DVC outputs, not committed)
                for model in ("tree", "linear"):
                    (folder / "models" / f"{model}.pkl").write_bytes(pickle.dumps(data["good"]))
            else:  # the same file, now passing its gates
                write_contract(folder / "metrics/quality.json", quality("tree", True))
            built[scenario] = (folder, params)
    return built


def copy_of(scenarios: dict[str, tuple[Path, dict]], scenario: str, target: Path) -> tuple[Path, dict]:
    folder, params = scenarios[scenario]
    shutil.copytree(folder, target)
    return target, params


def promote_killed_at(folder: Path, point: str) -> None:
    """``python -m stages.promote`` in ``folder``, killed at ``point``."""
    env = {k: v for k, v in os.environ.items() if k not in ("MEDCOST_WEBHOOK_URL", "DVC_EXP_NAME")}
    env.update(
        PYTHONPATH=str(ROOT), MLFLOW_TRACKING_URI=store_uri(folder), **{FAULT_ENV: f"promote:{point}"}, **GIT_DATES
    )
    result = subprocess.run(
        [sys.executable, "-m", "stages.promote"], cwd=folder, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == -signal.SIGKILL, f"not killed at {point} ({result.returncode}):\n{result.stderr}"


def promote_in(folder: Path, params: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(folder)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store_uri(folder))
    monkeypatch.delenv("MEDCOST_WEBHOOK_URL", raising=False)
    monkeypatch.delenv("DVC_EXP_NAME", raising=False)
    monkeypatch.delenv(FAULT_ENV, raising=False)
    run_stage("promote", params)


def outcome(folder: Path) -> dict[str, Any]:
    """The aliases, the registered model's and every version's tags, and metrics/promotion.json."""
    c = client(store_uri(folder))
    model = c.get_registered_model(MODEL_NAME)
    versions = c.search_model_versions(f"name = '{MODEL_NAME}'")
    return {
        "aliases": {alias: int(version) for alias, version in model.aliases.items()},
        "model_tags": model.tags,
        "version_tags": {int(mv.version): mv.tags for mv in versions},
        "decision": read_decision(folder),
    }


def running_runs(folder: Path) -> list[str]:
    c = client(store_uri(folder))
    experiments = [e.experiment_id for e in c.search_experiments()]
    return [r.info.run_id for r in c.search_runs(experiments, filter_string="attributes.status = 'RUNNING'")]


@pytest.fixture(scope="module")
def uninterrupted(scenarios: dict[str, tuple[Path, dict]], tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Each scenario's outcome after one uninterrupted promote."""
    outcomes = {}
    with pytest.MonkeyPatch.context() as mp:
        for scenario in scenarios:
            folder, params = copy_of(scenarios, scenario, tmp_path_factory.mktemp("reference") / scenario)
            promote_in(folder, params, mp)
            outcomes[scenario] = outcome(folder)
    return outcomes


def test_the_uninterrupted_promotes_move_what_the_scenarios_say(uninterrupted):
    better, back = uninterrupted["better"], uninterrupted["back"]
    assert better["aliases"] == {"challenger": 2, "champion": 2, "previous": 1}
    assert better["decision"]["registered_new_version"] and "significantly better" in better["decision"]["reasons"][-1]
    assert back["aliases"] == {"challenger": 1, "champion": 1}
    assert back["version_tags"][1]["lifecycle"] == "active" and "archived_reason" not in back["version_tags"][1]
    assert back["decision"]["reasons"] == ["no champion yet"] and not back["decision"]["registered_new_version"]
    assert "promote.pending" not in better["model_tags"] and "promote.pending" not in back["model_tags"]


@pytest.mark.parametrize(
    ("scenario", "point"),
    [
        pytest.param("better", "after_register", id="better-after_register"),  # the kill the issue reported
        *(
            pytest.param("better", point, id=f"better-{point}", marks=e2e)
            for point in ("after_plan", "after_run", "after_log", "after_challenger", "after_previous")
        ),
        *(
            pytest.param("better", point, id=f"better-{point}", marks=e2e)
            for point in ("after_champion", "after_publish")
        ),
        *(
            pytest.param("back", point, id=f"back-{point}", marks=e2e)
            for point in ("after_plan", "after_version_tags", "after_champion", "after_tags", "after_publish")
        ),
    ],
)
def test_a_promote_killed_and_rerun_ends_as_one_uninterrupted_run(
    scenarios, uninterrupted, tmp_path, monkeypatch, scenario, point
):
    folder, params = copy_of(scenarios, scenario, tmp_path / "project")
    promote_killed_at(folder, point)
    assert "promote.pending" in client(store_uri(folder)).get_registered_model(MODEL_NAME).tags
    with registry.mlflow_session(store_uri(folder)) as c, pytest.raises(MedcostError, match="rerun promote first"):
        registry.rollback(c, MODEL_NAME, store_uri(folder))  # no rollback on top of half-moved aliases

    promote_in(folder, params, monkeypatch)
    assert outcome(folder) == uninterrupted[scenario]
    assert not running_runs(folder)  # a run left running by the kill is marked KILLED


@e2e
def test_a_different_model_after_a_crash_first_completes_the_interrupted_promote(
    scenarios, data, tmp_path, monkeypatch
):
    """Killed after registering version 2, then a new model file: as if the first promote had finished."""
    expected, params = copy_of(scenarios, "better", tmp_path / "expected")
    promote_in(expected, params, monkeypatch)
    crashed, _ = copy_of(scenarios, "better", tmp_path / "crashed")
    promote_killed_at(crashed, "after_register")
    for folder in (expected, crashed):  # another model file: version 3
        for model in ("tree", "linear"):
            (folder / "models" / f"{model}.pkl").write_bytes(pickle.dumps(data["tree"]))
        promote_in(folder, params, monkeypatch)
    assert outcome(crashed) == outcome(expected)
    decision = outcome(crashed)["decision"]
    assert decision["version"] == 3 and decision["aliases_after"]["challenger"] == 3
    assert decision["aliases_before"] == {"challenger": 2, "champion": 2, "previous": 1}  # version 2's moves done


def test_a_plan_is_on_the_way_only_between_where_it_started_and_where_it_leads():
    plan = PromotePlan(
        request="r",
        model_sha256="s",
        new_version=True,
        aliases_before={"challenger": 1, "champion": 1},
        verdict_passed=True,
        candidate_rmse=1.0,
        champion_rmse=2.0,
        improvement=RmseImprovement(estimate=1.0, low=0.5, high=1.5, confidence=0.95),
        min_improvement=0.0,
        allow_uncommitted=False,
    )
    assert plan.target_aliases(2) == {"challenger": 2, "champion": 2, "previous": 1}
    assert plan.target_aliases(None) == {"challenger": 1, "champion": 1}
    assert plan.is_on_the_way({"challenger": 1, "champion": 1}, 2)
    assert plan.is_on_the_way({"challenger": 2, "champion": 1, "previous": 1}, 2)  # killed before champion
    assert plan.is_on_the_way({"challenger": 2, "champion": 2, "previous": 1}, 2)
    assert not plan.is_on_the_way({"challenger": 2, "champion": 1}, None)  # nothing registered, yet moved
    assert not plan.is_on_the_way({"challenger": 2, "champion": 3, "previous": 1}, 2)  # moved by hand since
    assert json.loads(plan.model_dump_json())["aliases_before"] == {"challenger": 1, "champion": 1}
