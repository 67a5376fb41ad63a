"""The source database: which URL, how it is shown in logs, and what a failure says."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from medcost.errors import MedcostError

SOURCE_URL_ENV = "MEDCOST_SOURCE_URL"


def source_url(default_sqlite_path: str | Path) -> str:
    """The source database URL: ``MEDCOST_SOURCE_URL`` if set, else the embedded demo SQLite file."""
    url = os.environ.get(SOURCE_URL_ENV, "").strip()
    return url or f"sqlite:///{default_sqlite_path}"


def mask(url: str) -> str:
    """The URL with its password replaced by ***, safe for logs and error messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


def describe_error(exc: BaseException) -> str:
    """First line of a driver's message, without SQLAlchemy's background links."""
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    return lines[0] if lines else type(orig).__name__


def connect(url: str) -> Engine:
    """An engine for ``url`` whose connection has been tried, or a one-line MedcostError."""
    shown = mask(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise MedcostError(f"source URL {shown} is not a SQLAlchemy URL (dialect+driver://user:password@host/db)") from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not Path(database).exists():
            raise MedcostError(f"cannot connect to {shown}: file {database} does not exist (run `make data` to create the demo database)")
    try:
        engine = create_engine(url, connect_args=_connect_args(parsed.get_backend_name()))
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except NoSuchModuleError:
        raise MedcostError(f"cannot connect to {shown}: no SQLAlchemy dialect for '{parsed.drivername}'") from None
    except ModuleNotFoundError as exc:
        raise MedcostError(f"cannot connect to {shown}: database driver not installed ({exc.name})") from None
    except (DBAPIError, SQLAlchemyError) as exc:
        raise MedcostError(f"cannot connect to {shown}: {describe_error(exc)}") from None
    return engine


def _connect_args(backend: str) -> dict:
    # Fail fast on an unreachable server instead of hanging on the OS's TCP timeout.
    if backend == "postgresql":
        return {"connect_timeout": 10}
    if backend in ("mysql", "mariadb"):
        return {"connect_timeout": 10}
    return {}
