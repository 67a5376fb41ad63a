"""The source is a dependency: an unchanged source reruns nothing, a switched or changed one reruns extract and on."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from medcost.demo_data import generate

pytestmark = pytest.mark.e2e

STAGES = ("fingerprint", "extract", "transform", "load", "validate")
FINGERPRINT = "data/source.fingerprint.json"
BUILT = (  # outputs of extract and the stages after it, up to validate
    "data/raw/clients.parquet",
    "data/raw/claims.parquet",
    "metrics/extract.json",
    "data/interim/client_features.parquet",
    "metrics/transform.json",
    "data/staging/client_features/_delta_log",
    "data/staging/client_features.receipt.json",
    "data/lakehouse/client_features/_delta_log",
    "data/lakehouse/client_features.published.json",
    "reports/data_docs/index.html",
    "metrics/validate.json",
)


def ran(result) -> set[str]:
    return {stage for stage in STAGES if f"Running stage '{stage}'" in result.stdout}


def fingerprint(repo) -> dict:
    return json.loads((repo.path / FINGERPRINT).read_text())


@pytest.fixture(scope="module")
def built(repo):
    assert ran(repo.dvc("repro", "validate")) == set(STAGES)
    repo.run("git", "add", "-A")
    repo.run("git", "commit", "-q", "-m", "first run")
    return repo


@pytest.fixture(scope="module")
def other_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another demo source: same size and years, another seed."""
    folder = tmp_path_factory.mktemp("other")
    db = folder / "demo.db"
    generate(
        f"sqlite:///{db}",
        clients=1500,
        first_year=2021,
        years=5,
        seed=8,
        truth_path=folder / "t.parquet",
        progress=False,
    )
    return db


def test_an_unchanged_source_reruns_only_the_fingerprint(built):
    before = (built.path / FINGERPRINT).read_bytes()
    assert ran(built.dvc("repro", "validate")) == {"fingerprint"}
    assert (built.path / FINGERPRINT).read_bytes() == before
    assert "up to date" in built.dvc("status", *STAGES[1:]).stdout
    assert not built.run("git", "status", "--porcelain").stdout.strip()


def test_an_unreachable_source_stops_at_the_fingerprint_and_deletes_nothing(built):
    lock, before = (built.path / "dvc.lock").read_text(), (built.path / FINGERPRINT).read_bytes()
    url = "postgresql+psycopg2://medcost:TopSecret@127.0.0.1:1/claims"
    result = built.dvc("repro", "validate", check=False, env={"MEDCOST_SOURCE_URL": url})
    assert result.returncode != 0 and ran(result) == {"fingerprint"}
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: fingerprint:")]
    assert len(errors) == 1 and errors[0].startswith(
        "error: fingerprint: cannot connect to postgresql+psycopg2://medcost:***@127.0.0.1:1/claims"
    )
    assert "TopSecret" not in result.stdout + result.stderr and "Traceback" not in result.stderr
    assert [name for name in BUILT if not (built.path / name).exists()] == []
    assert (built.path / FINGERPRINT).read_bytes() == before and (built.path / "dvc.lock").read_text() == lock
    assert "up to date" in built.dvc("status", *STAGES[1:]).stdout


def test_a_switched_source_reruns_extract_and_what_depends_on_it(built, other_source):
    env = {"MEDCOST_SOURCE_URL": f"sqlite:///{other_source}"}
    first = fingerprint(built)
    assert ran(built.dvc("repro", "validate", env=env)) == set(STAGES)
    switched = fingerprint(built)
    assert switched["identity"] == f"sqlite:///{other_source}" and switched["tables"] != first["tables"]
    assert ran(built.dvc("repro", "validate", env=env)) == {"fingerprint"}


def test_changed_rows_rerun_extract_and_validate_catches_the_corruption(built, other_source):
    """Same URL, rows changed in place (negative amounts): only the signature can tell."""
    env = {"MEDCOST_SOURCE_URL": f"sqlite:///{other_source}"}
    before = fingerprint(built)
    with sqlite3.connect(other_source) as db:
        db.execute("UPDATE claims SET amount = -amount WHERE claim_id % 50 = 0")
    result = built.dvc("repro", "validate", check=False, env=env)
    after = fingerprint(built)
    assert after["identity"] == before["identity"] and after["tables"]["claims"] != before["tables"]["claims"]
    assert after["tables"]["claims"]["rows"] == before["tables"]["claims"]["rows"]
    assert {"fingerprint", "extract", "validate"} <= ran(result)
    assert result.returncode != 0
    line = next(line for line in result.stderr.splitlines() if line.startswith("error: validate:"))
    assert "expectation(s) failed" in line and "claims.amount" in line
