"""Shared fixtures: small demo source databases made by the project's own generator."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("MEDCOST_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


def pytest_configure(config: pytest.Config) -> None:
    # Great Expectations and MLflow phone home unless told not to; tests never touch the network.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


@pytest.fixture(scope="session")
def params() -> dict[str, Any]:
    """The repository's params.yaml, as a user would run it."""
    return yaml.safe_load((ROOT / "params.yaml").read_text())


@pytest.fixture(scope="session")
def small_source(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A seeded demo source database (SQLite) of 1,500 clients over 2021-2025, and its truth file."""
    from medcost.demo_data import generate

    folder = tmp_path_factory.mktemp("source")
    db = folder / "demo.db"
    truth = folder / "truth.parquet"
    generate(f"sqlite:///{db}", clients=1500, first_year=2021, years=5, seed=7, truth_path=truth, progress=False)
    return {"url": f"sqlite:///{db}", "path": db, "truth": truth}


def require_postgres() -> str:
    """The test PostgreSQL URL; skip (or fail under CI) when the server is not reachable."""
    from sqlalchemy import create_engine, text

    try:
        with create_engine(PG_URL, connect_args={"connect_timeout": 5}).connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means: no server to test against
        reason = f"PostgreSQL at {PG_URL} not reachable: {str(exc).splitlines()[0]}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI must not skip the PostgreSQL tests)")
        pytest.skip(reason)
    return PG_URL
