"""Reruns tell the truth: `dvc repro -f` on the same machine changes no versioned byte and no metric."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.e2e


def test_a_forced_rerun_leaves_git_clean_and_metrics_unchanged(repo):
    repo.dvc("repro")
    # promotion.json records what promote did to the registry: the first run registered and crowned
    # version 1, a rerun finds it already champion. From then on every rerun decides the same.
    repo.dvc("repro", "-f", "-s", "promote")
    repo.dvc("repro")  # predict depends on promotion.json: it records the new decision's hash
    repo.run("git", "add", "-A")
    repo.run("git", "commit", "-q", "-m", "first run")
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
