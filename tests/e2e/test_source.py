"""The source is a dependency: an unchanged source reruns nothing, a switched or changed one reruns extract."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from medcost.demo_data import generate

pytestmark = pytest.mark.e2e

STAGES = ("fingerprint", "extract", "transform", "load", "validate")


def ran(result) -> set[str]:
    return {stage for stage in STAGES if f"Running stage '{stage}'" in result.stdout}


@pytest.fixture(scope="module")
def built(repo):
    assert ran(repo.dvc("repro", "validate")) == set(STAGES)
    repo.run("git", "add", "-A")
    repo.run("git", "commit", "-q", "-m", "first run")
    return repo


@pytest.fixture(scope="module")
def other_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("other")
    generate(
        f"sqlite:///{folder / 'demo.db'}",
        clients=1500,
        first_year=2021,
        years=5,
        seed=8,
        truth_path=folder / "truth.parquet",
        progress=False,
    )
    return folder / "demo.db"


def test_an_unchanged_source_reruns_only_the_fingerprint(built):
    assert ran(built.dvc("repro", "validate")) == {"fingerprint"}
    assert not built.run("git", "status", "--porcelain").stdout.strip()


def test_a_switched_source_reruns_extract_and_what_depends_on_it(built, other_source):
    env = {"MEDCOST_SOURCE_URL": f"sqlite:///{other_source}"}
    assert ran(built.dvc("repro", "validate", env=env)) == set(STAGES)
    assert ran(built.dvc("repro", "validate", env=env)) == {"fingerprint"}


def test_changed_rows_rerun_extract_and_a_corrupted_source_is_caught_by_validate(built, other_source, tmp_path):
    corrupted = tmp_path / "corrupted.db"
    with sqlite3.connect(other_source) as src, sqlite3.connect(corrupted) as dst:
        src.backup(dst)
        dst.execute("UPDATE claims SET amount = -amount WHERE claim_id % 50 = 0")
    result = built.dvc("repro", "validate", check=False, env={"MEDCOST_SOURCE_URL": f"sqlite:///{corrupted}"})
    assert {"fingerprint", "extract"} <= ran(result)
    assert result.returncode != 0
    assert "error: validate:" in result.stderr and "claims.amount" in result.stderr


def test_an_unreachable_source_stops_at_the_fingerprint_and_deletes_nothing(built):
    before = sorted(p.name for p in (built.path / "data/raw").iterdir())
    url = "postgresql+psycopg2://medcost:TopSecret@127.0.0.1:1/claims"
    result = built.dvc("repro", "validate", check=False, env={"MEDCOST_SOURCE_URL": url})
    assert result.returncode != 0 and ran(result) == {"fingerprint"}
    assert "error: fingerprint: cannot connect to postgresql+psycopg2://medcost:***@127.0.0.1:1/claims" in result.stderr
    assert "TopSecret" not in result.stdout + result.stderr
    assert sorted(p.name for p in (built.path / "data/raw").iterdir()) == before
    assert (built.path / "data/source.fingerprint.json").exists()
