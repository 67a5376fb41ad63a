"""DVC's run cache never hands back another source's extract; a killed extract's temporary folder does not stay.

The tests run in order on one workspace: source A (the module's source) is extracted first,
then a source whose extract fails, then a good other source, then A again.
"""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from medcost.demo_data import generate

pytestmark = pytest.mark.e2e

FINGERPRINT = "data/source.fingerprint.json"
RAW = ("data/raw/clients.parquet", "data/raw/claims.parquet")
STALE = "data/.raw.k1ll3d_x"  # what a SIGKILLed extract leaves: tempfile's `.<name>.<8 random>` folder


def ran(result, stage: str = "extract") -> bool:
    return f"Running stage '{stage}'" in result.stdout


def restored(result, stage: str = "extract") -> bool:
    return f"Stage '{stage}' is cached - skipping run, checking out outputs" in result.stdout


def raw_bytes(repo) -> tuple[bytes, ...] | None:
    paths = [repo.path / name for name in RAW]
    return tuple(path.read_bytes() for path in paths) if all(path.exists() for path in paths) else None


def identity(repo) -> str:
    return json.loads((repo.path / FINGERPRINT).read_text())["identity"]


@pytest.fixture(scope="module")
def sources(repo, small_source, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Source URLs: `a` (the repo's own), `bad` (a copy of A with text in clients.bmi), `b` (another seed)."""
    folder = tmp_path_factory.mktemp("sources")
    bad = folder / "bad.db"
    shutil.copy(small_source["path"], bad)
    with sqlite3.connect(bad) as db:  # the fingerprint query still works (SQLite: 'n/a' * 100 = 0)
        db.execute("UPDATE clients SET bmi = 'n/a' WHERE client_id % 97 = 0")
    other = folder / "other.db"
    generate(
        f"sqlite:///{other}",
        clients=1500,
        first_year=2021,
        years=5,
        seed=8,
        truth_path=folder / "t.parquet",
        progress=False,
    )
    return {"a": small_source["url"], "bad": f"sqlite:///{bad}", "b": f"sqlite:///{other}"}


@pytest.fixture(scope="module")
def extracted_a(repo, sources) -> tuple[bytes, ...]:
    assert ran(repo.dvc("repro", "extract"))
    assert identity(repo) == sources["a"]
    data = raw_bytes(repo)
    assert data is not None
    return data


def test_after_a_failed_extract_repro_extracts_again_and_never_restores_another_source(repo, sources, extracted_a):
    (repo.path / STALE / "raw").mkdir(parents=True)
    (repo.path / STALE / "raw" / "clients.parquet").write_bytes(b"PAR1 half-written")
    env = {"MEDCOST_SOURCE_URL": sources["bad"]}
    for attempt in ("first", "second"):
        result = repo.dvc("repro", check=False, env=env)  # a plain repro, as a user would retry
        assert result.returncode != 0, attempt
        assert ran(result, "fingerprint") and ran(result) and not restored(result), attempt
        errors = [line for line in result.stderr.splitlines() if line.startswith("error: extract:")]
        assert len(errors) == 1 and "clients.bmi: expected float" in errors[0], (attempt, result.stderr)
        assert identity(repo) == sources["bad"]
        assert not (repo.path / "data/raw").exists(), f"{attempt} retry left an extract of another source"
        assert not ran(result, "transform")
    assert not (repo.path / STALE).exists(), "the killed extract's temporary folder is still there"
    assert [p.name for p in (repo.path / "data").iterdir() if p.name.startswith(".raw.")] == []


def test_the_run_cache_restores_an_extract_only_when_the_fingerprint_is_its_source(repo, sources, extracted_a):
    b = {"MEDCOST_SOURCE_URL": sources["b"]}
    assert ran(repo.dvc("repro", "extract", env=b))
    extracted_b = raw_bytes(repo)
    assert extracted_b is not None and extracted_b != extracted_a and identity(repo) == sources["b"]
    back_to_a = repo.dvc("repro", "extract")
    assert restored(back_to_a) and not ran(back_to_a)
    assert identity(repo) == sources["a"] and raw_bytes(repo) == extracted_a
    again_b = repo.dvc("repro", "extract", env=b)
    assert restored(again_b) and identity(repo) == sources["b"] and raw_bytes(repo) == extracted_b


def test_extract_refuses_a_fingerprint_file_of_another_source(repo, sources, extracted_a):
    """The fingerprint stage skipped (or failed, keeping its old file): extract must not cache A's data under B's."""
    assert identity(repo) == sources["b"]
    for args in (("-s", "-f", "extract"), ("--downstream", "-f", "extract")):
        result = repo.dvc("repro", *args, check=False)  # the source is A again
        assert result.returncode != 0 and not ran(result, "fingerprint"), args
        errors = [line for line in result.stderr.splitlines() if line.startswith("error: extract:")]
        assert len(errors) == 1, result.stderr
        assert f"describes source {sources['b']}, but the source is {sources['a']}" in errors[0]
        assert not (repo.path / "data/raw").exists()
    # a fingerprint stage that fails keeps its old file (persist), and `--ignore-errors` goes on to extract
    bad_query = "SELECT COUNT(*) AS rows FROM no_such_table"
    fingerprint_sql = repo.path / "sql/fingerprint_claims.sql"
    original = fingerprint_sql.read_text()
    fingerprint_sql.write_text(bad_query)
    try:
        result = repo.dvc("repro", "--ignore-errors", "extract", check=False)
    finally:
        fingerprint_sql.write_text(original)
    assert identity(repo) == sources["b"]  # DVC's exit code is 0 here: the errors are "ignored"
    assert "error: fingerprint: claims: fingerprint query" in result.stderr
    assert "failed to run: python -m stages.extract" in result.stderr
    assert f"describes source {sources['b']}, but the source is {sources['a']}" in result.stderr
    assert not (repo.path / "data/raw").exists()
    final = repo.dvc("repro", "extract")
    assert restored(final) and identity(repo) == sources["a"] and raw_bytes(repo) == extracted_a
