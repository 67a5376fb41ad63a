"""Pull requests and experiments in a temporary git repository: the CML workflow, `make report`,
a DVC remote round trip, and a queued sweep run by two workers at once."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from deltalake import DeltaTable

from medcost.core.contracts import PublishedSnapshot, read_contract
from medcost.load import DeltaLakehouse, read_loaded

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(sys.executable).parent.parent
PUBLISHED = "data/lakehouse/client_features.published.json"


@pytest.fixture(scope="module")
def pipeline(repo, tmp_path_factory):
    """The whole pipeline run once and committed on main, with a private HOME (the default DVC remote lives there)."""
    home = tmp_path_factory.mktemp("home")
    repo.env["HOME"] = str(home)
    repo.dvc("repro")
    repo.run("git", "add", "-A")
    repo.run("git", "commit", "-q", "-m", "baseline run")
    return repo


def test_make_report_shows_what_a_params_change_does(pipeline):
    repo = pipeline
    before = json.loads((repo.path / "metrics/evaluate.json").read_text())
    repo.run("git", "checkout", "-q", "-b", "stronger-ridge")
    repo.set_param("train_linear.alpha", "25.0")
    try:
        repo.dvc("repro")
        repo.run("git", "add", "-A")
        repo.run("git", "commit", "-q", "-m", "linear: alpha 25")
        repo.run("make", "--no-print-directory", "report", f"VENV={VENV}")
        report = (repo.path / "report.md").read_text()
    finally:
        repo.run("git", "checkout", "-q", "main")
        repo.dvc("checkout")
    after = json.loads(repo.run("git", "show", "stronger-ridge:metrics/evaluate.json").stdout)
    assert after["linear"]["test"]["rmse"] != before["linear"]["test"]["rmse"]
    assert "train_linear.alpha" in report and "25.0" in report
    rmse_row = next(line for line in report.splitlines() if "linear.test.rmse" in line)
    assert str(after["linear"]["test"]["rmse"]).rstrip("0")[:5] in rmse_row
    images = [line.split("](", 1)[1].rstrip(")") for line in report.splitlines() if line.startswith("![")]
    assert len(images) >= 5
    for image in images:
        assert (repo.path / image).read_bytes()[:4] == b"\x89PNG"


def test_push_then_a_fresh_clone_pulls_and_has_nothing_to_do(pipeline, tmp_path):
    repo = pipeline
    repo.dvc("push")
    remote = Path(repo.env["HOME"]) / ".cache/medcost/dvc-remote"
    assert any(remote.rglob("*")), "the default remote lives outside the work tree, under ~/.cache"
    clone = tmp_path / "clone"
    repo.run("git", "clone", "-q", str(repo.path), str(clone))
    offline = {**repo.env, "MEDCOST_SOURCE_URL": "sqlite:////nonexistent/source.db"}  # pulling needs no source
    pulled = subprocess.run([str(VENV / "bin/dvc"), "pull"], cwd=clone, env=offline, capture_output=True, text=True)
    assert pulled.returncode == 0, pulled.stderr
    # the source is a dependency: with the same source, only its fingerprint runs, and it matches
    status = subprocess.run([str(VENV / "bin/dvc"), "repro"], cwd=clone, env=repo.env, capture_output=True, text=True)
    assert status.returncode == 0, status.stdout + status.stderr
    running = re.findall(r"Running stage '(\w+)'", status.stdout)
    assert running == ["fingerprint"], status.stdout


def test_a_queued_sweep_runs_on_two_workers_without_harm(pipeline):
    repo = pipeline
    repo.dvc("exp", "run", "--queue", "-S", "train_tree.learning_rate=0.03,0.1")
    repo.dvc("queue", "start", "-j", "2")
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        status = repo.dvc("queue", "status").stdout
        if "Queued" not in status and "Running" not in status:
            break
        time.sleep(5)
    assert status.count("Success") == 2, status
    shown = json.loads(repo.dvc("exp", "show", "--json").stdout)
    experiments = [exp for baseline in shown for exp in (baseline.get("experiments") or [])]
    rates = set()
    for exp in experiments:
        data = exp["revs"][0]["data"]
        rates.add(data["params"]["params.yaml"]["data"]["train_tree"]["learning_rate"])
        metrics = data["metrics"]["metrics/evaluate.json"]["data"]
        assert metrics["tree"]["test"]["rmse"] > 0 and metrics["linear"]["test"]["rmse"] > 0
    assert {0.03, 0.1} <= rates
    table = repo.dvc("exp", "show", "--md").stdout
    assert (
        len(re.findall(r"tree\.test\.r2(?!\w)", table)) == 1  # the metric's column once (r2_low/r2_high beside it)
        and len([line for line in table.splitlines() if "0.03" in line or "0.1 " in line]) >= 2
    )
    # the shared MLflow store is intact and each registered version has its aliases consistent
    with sqlite3.connect(repo.path / "mlflow.db") as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        versions = con.execute("SELECT count(*) FROM model_versions").fetchone()[0]
        champions = con.execute("SELECT count(*) FROM registered_model_aliases WHERE alias = 'champion'").fetchone()[0]
    assert versions >= 1 and champions <= 1
    # the workspace's published table is untouched and readable at its receipt's version
    receipt = read_contract(repo.path / PUBLISHED, PublishedSnapshot).receipt
    assert len(read_loaded(DeltaLakehouse(repo.path / receipt.table), receipt)) == receipt.rows
    assert os.environ.get("HOME") != repo.env["HOME"]


def test_bad_source_data_stops_at_validate_and_keeps_models_champion_and_lakehouse(pipeline, small_source, tmp_path):
    """Runs last in this module: it leaves the workspace on a failed run."""
    repo = pipeline
    bad = tmp_path / "bad.db"
    with sqlite3.connect(small_source["path"]) as src, sqlite3.connect(bad) as dst:
        src.backup(dst)
        dst.execute(
            "UPDATE claims SET amount = -5 WHERE claim_id = (SELECT min(claim_id) FROM claims "
            "WHERE paid_date >= '2021-01-01' AND paid_date < '2026-01-01')"
        )
    models = {name: (repo.path / f"models/{name}.pkl").read_bytes() for name in ("tree", "linear")}
    published = (repo.path / PUBLISHED).read_bytes()
    receipt = read_contract(repo.path / PUBLISHED, PublishedSnapshot).receipt
    version = DeltaTable(str(repo.path / receipt.table)).version()

    def champion() -> list:
        with sqlite3.connect(repo.path / "mlflow.db") as con:
            return con.execute("SELECT version FROM registered_model_aliases WHERE alias = 'champion'").fetchall()

    before = champion()
    result = repo.dvc("repro", "-f", check=False, env={"MEDCOST_SOURCE_URL": f"sqlite:///{bad}"})
    assert result.returncode != 0
    assert (
        f"error: validate: snapshot rejected (published version {receipt.version} kept): "
        "1 expectation(s) failed: claims.amount expect_column_values_to_be_between" in result.stderr
    )
    assert "Running stage 'split'" not in result.stdout
    assert {name: (repo.path / f"models/{name}.pkl").read_bytes() for name in models} == models
    assert champion() == before
    # the bad data went no further than staging: the published table, its version and receipt are as they were
    assert DeltaTable(str(repo.path / receipt.table)).version() == version
    assert len(read_loaded(DeltaLakehouse(repo.path / receipt.table), receipt)) == receipt.rows
    assert (repo.path / PUBLISHED).read_bytes() == published
