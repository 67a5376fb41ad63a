"""Shared fixtures: small demo source databases made by the project's own generator."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

if TYPE_CHECKING:
    from medcost.core.params import TransformParams

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("MEDCOST_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
MYSQL_URL = "mysql+pymysql://root@127.0.0.1:3306"


def pytest_configure(config: pytest.Config) -> None:
    # Great Expectations and MLflow phone home unless told not to; tests never touch the network.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # MLflow 3 sends usage telemetry otherwise
    os.environ.setdefault("DO_NOT_TRACK", "true")


@pytest.fixture(scope="session")
def params() -> dict[str, Any]:
    """The repository's params.yaml, as a user would run it."""
    return yaml.safe_load((ROOT / "params.yaml").read_text())


@pytest.fixture(scope="session")
def small_source(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A seeded demo source database (SQLite) of 1,500 clients over 2021-2025, and its truth file."""
    from tests.source_support import demo_source

    return demo_source(tmp_path_factory.mktemp("source"))


@pytest.fixture(scope="session")
def transform_cfg(params: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> TransformParams:
    """The repository's transform params, DuckDB's and Spark's scratch in temporary folders (not the repository's data/)."""
    from medcost.core.params import TransformParams, section

    cfg = section(params, "transform", TransformParams)
    spill, scratch = str(tmp_path_factory.mktemp("duckdb")), str(tmp_path_factory.mktemp("spark"))
    return cfg.model_copy(
        update={
            "duckdb": cfg.duckdb.model_copy(update={"temp_directory": spill}),
            "spark": cfg.spark.model_copy(update={"local_dir": scratch}),
        }
    )


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


def require_pyspark() -> None:
    """Skip (or fail under CI) when PySpark is not installed: ``make test`` installs it (``make setup-spark``)."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        reason = "PySpark is not installed (make setup-spark installs it)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must not skip the Spark tests")
        pytest.skip(reason)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("spark"):
        require_pyspark()


def require_mariadb() -> str:
    """The test MariaDB server's URL (no database); skip when it is not reachable."""
    from sqlalchemy import create_engine

    try:
        create_engine(f"{MYSQL_URL}/").connect().close()
    except Exception as exc:  # any driver error means: no server to test against
        pytest.skip(f"MariaDB at {MYSQL_URL} not reachable: {str(exc).splitlines()[0]}")
    return MYSQL_URL


def fresh_database(server: str, name: str) -> str:
    """The server's database ``name``, dropped and created empty (a test's own database); its URL."""
    from sqlalchemy import create_engine, text

    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            conn.execute(text(f"CREATE DATABASE {name}"))
    finally:
        admin.dispose()
    return f"{server.rsplit('/', 1)[0]}/{name}"


# --------------------------------------------------------------------------- registry fixtures


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    """Synthetic train/test/scoring frames and three fitted pipelines (good, tree, bad)."""
    from tests.registry_support import build_data

    return build_data()


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MLflow SQLite store with its tables created, copied by each test (migrations take seconds)."""
    from tests.registry_support import create_empty_store

    return create_empty_store(tmp_path_factory.mktemp("template"))


@pytest.fixture()
def store(tmp_path: Path, empty_store: Path) -> str:
    """A fresh tracking store URI in the test's own folder."""
    from tests.registry_support import new_store

    return new_store(tmp_path, empty_store)
