"""`dvc repro` in a temporary git repository: extract -> transform -> load (staging), reruns, bad input."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.e2e

STAGES = ("extract", "transform", "load")


def ran(result) -> set[str]:
    return {stage for stage in STAGES if f"Running stage '{stage}'" in result.stdout}


@pytest.fixture(scope="module")
def built(repo):
    result = repo.dvc("repro", "load")
    assert ran(result) == set(STAGES)
    repo.run("git", "add", "-A")
    repo.run("git", "commit", "-q", "-m", "first run")  # dvc.lock and metrics, as a user commits them
    return repo


def test_first_repro_builds_a_versioned_feature_table(built):
    receipt = json.loads((built.path / "data/staging/client_features.receipt.json").read_text())
    assert receipt["backend"] == "deltalake" and receipt["version"] == 0 and receipt["rows"] > 1000
    assert (built.path / "data/staging/client_features/_delta_log").is_dir()
    assert not (built.path / "data/lakehouse/client_features").exists()  # published only by validate
    metrics = json.loads((built.path / "metrics/extract.json").read_text())
    assert metrics["tables"]["claims"]["rows"] > 0 and metrics["source"] == "sqlite"
    lock = (built.path / "dvc.lock").read_text()
    assert "sqlite:" not in lock  # the source URL is not a param and never reaches dvc.lock


def test_second_repro_has_nothing_to_do(built):
    result = built.dvc("repro", "load")
    assert ran(result) == set()
    assert "up to date" in built.dvc("status", "extract", "transform", "load").stdout


def test_a_transform_param_reruns_transform_and_load_not_extract(built):
    built.set_param("transform.lookback_years", "2")
    try:
        result = built.dvc("repro", "load")
        assert ran(result) == {"transform", "load"}
        receipt = json.loads((built.path / "data/staging/client_features.receipt.json").read_text())
        assert receipt["version"] == 1 and "cost_prev3" not in receipt["columns"]
    finally:
        built.set_param("transform.lookback_years", "3")
    built.dvc("repro", "load")


def test_a_bad_param_stops_before_any_work(built):
    receipt_before = (built.path / "data/staging/client_features.receipt.json").read_text()
    built.set_param("transform.lookback_years", "-1")
    try:
        result = built.dvc("repro", "load", check=False)
    finally:
        built.set_param("transform.lookback_years", "3")
    assert result.returncode != 0
    assert (
        "error: fingerprint: params.yaml: transform.lookback_years = -1: Input should be greater than or equal to 1"
        in result.stderr
    )
    assert "Traceback" not in result.stderr
    assert (built.path / "data/staging/client_features.receipt.json").read_text() == receipt_before
    built.dvc("checkout", "--with-deps", "load")  # this module built only up to load
    assert "up to date" in built.dvc("status", "load").stdout


def test_an_unreachable_database_fails_with_the_password_masked(built):
    url = "postgresql+psycopg2://medcost:TopSecret@127.0.0.1:1/claims"
    lock_before = (built.path / "dvc.lock").read_text()
    result = built.dvc("repro", "-f", "-s", "extract", check=False, env={"MEDCOST_SOURCE_URL": url})
    assert result.returncode != 0
    # extract alone refuses a source other than the one the fingerprint describes, naming it masked
    assert "but the source is postgresql+psycopg2://medcost:***@127.0.0.1:1/claims" in result.stderr
    assert "TopSecret" not in result.stdout + result.stderr
    assert (built.path / "dvc.lock").read_text() == lock_before
    assert not list((built.path / "data").glob(".raw.*")), "no half-written extract left behind"
    # DVC removed the outputs before running; the cache and git give them back unchanged
    built.dvc("checkout", "extract")
    built.run("git", "checkout", "--", "metrics")
    assert "up to date" in built.dvc("status", "extract").stdout
