"""Reruns tell the truth: `dvc repro -f` on the same machine changes no versioned byte and no metric."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import Repo

pytestmark = pytest.mark.e2e


def test_a_forced_rerun_leaves_git_clean_and_metrics_unchanged(repo):
    repo.dvc("repro")
    repo.run("git", "add", "-A")
    repo.run("git", "commit", "-q", "-m", "first run")
    # the same promote again writes the decision it recorded in its pipeline run, byte for byte
    repo.dvc("repro", "-f")
    status = repo.run("git", "status", "--porcelain").stdout
    assert not status.strip(), (
        f"a forced rerun changed versioned files:\n{status}\n{repo.run('git', 'diff', 'HEAD').stdout}"
    )
    assert json.loads(repo.dvc("metrics", "diff", "--json").stdout or "{}") in ({}, {"metrics": {}})
    extract = json.loads((repo.path / "metrics/extract.json").read_text())
    assert all(set(table) == {"rows", "columns"} for table in extract["tables"].values())  # no timings
    runs = [json.loads(line) for line in (repo.path / "logs/runs.jsonl").read_text().splitlines()]
    assert {r["stage"] for r in runs if r["event"] == "stage"} >= {"fingerprint", "extract", "predict"}
    assert all(r["seconds"] >= 0 for r in runs if r["event"] == "stage")
    assert repo.run("git", "check-ignore", "logs/runs.jsonl").returncode == 0  # the run log is never versioned


def test_a_fresh_clone_reproduces_the_committed_lock(repo, tmp_path):
    """A fresh clone (no data, no DVC cache, an empty MLflow store) after `dvc repro` shows git status clean."""
    if not (repo.path / "dvc.lock").exists() or repo.run("git", "status", "--porcelain").stdout.strip():
        repo.dvc("repro")
        repo.run("git", "add", "-A")
        repo.run("git", "commit", "-q", "-m", "outputs of a first run")
    clone = tmp_path / "fresh"
    repo.run("git", "clone", "-q", str(repo.path), str(clone))
    fresh = Repo(clone, repo.env)
    assert not (clone / "mlflow.db").exists() and not (clone / "data").exists()
    fresh.dvc("repro")
    status = fresh.run("git", "status", "--porcelain").stdout
    assert not status.strip(), (
        f"a fresh clone's run changed versioned files:\n{status}\n{fresh.run('git', 'diff').stdout}"
    )
