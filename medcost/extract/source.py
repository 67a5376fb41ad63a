"""The source database: which URL, and an engine whose connection has been tried (or a one-line error)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from medcost.core.errors import MedcostError, summarise
from medcost.core.secrets import env, mask_url

SOURCE_URL_ENV = "MEDCOST_SOURCE_URL"


def source_url(default_sqlite_path: str | Path) -> str:
    """The source database URL: ``MEDCOST_SOURCE_URL`` if set, else the embedded demo SQLite file."""
    return env(SOURCE_URL_ENV) or f"sqlite:///{default_sqlite_path}"


def connect(url: str) -> Engine:
    """An engine for ``url`` whose connection has been tried, or a one-line MedcostError (password masked)."""
    shown = mask_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise MedcostError(
            f"source URL {shown} is not a SQLAlchemy URL (dialect+driver://user:password@host/db)"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        root = env("DVC_ROOT")
        if database and not Path(database).is_absolute() and not Path(database).exists() and root:
            # `dvc exp run --temp/--queue` runs in a copy without the untracked demo database: the
            # relative path means the repository's file (the URL shown and fingerprinted stays relative)
            candidate = Path(root) / database
            if candidate.exists():
                parsed = parsed.set(database=str(candidate))
                database = str(candidate)
        if database and database != ":memory:" and not Path(database).exists():
            raise MedcostError(
                f"cannot connect to {shown}: file {database} does not exist (run `make data` to create the demo database)"
            )
    try:
        engine = create_engine(parsed, connect_args=_connect_args(parsed.get_backend_name()))
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except NoSuchModuleError:
        raise MedcostError(f"cannot connect to {shown}: no SQLAlchemy dialect for '{parsed.drivername}'") from None
    except ModuleNotFoundError as exc:
        raise MedcostError(f"cannot connect to {shown}: database driver not installed ({exc.name})") from None
    except (DBAPIError, SQLAlchemyError) as exc:
        raise MedcostError(f"cannot connect to {shown}: {summarise(exc)}") from None
    return engine


def _connect_args(backend: str) -> dict[str, Any]:
    # Fail fast on an unreachable server instead of hanging on the OS's TCP timeout.
    if backend in ("postgresql", "mysql", "mariadb"):
        return {"connect_timeout": 10}
    return {}
