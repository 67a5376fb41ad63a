"""Where the demo source is written: its URL, engine, and the checks that keep a load from clobbering anything else."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from medcost.core.errors import MedcostError, summarise
from medcost.core.io import remove_stale_temporaries, temp_prefix
from medcost.core.secrets import mask_url


def sqlite_file(url: URL) -> Path | None:
    """The database file of a sqlite URL, or None (not SQLite, or in memory)."""
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def parse_url(url: str) -> URL:
    """``url`` parsed; a malformed one is a one-line MedcostError (credentials never shown)."""
    try:
        return make_url(url)
    except ArgumentError:
        raise MedcostError(
            f"not a valid SQLAlchemy URL: {mask_url(url)} "
            "(expected dialect[+driver]://..., e.g. sqlite:///data/source/demo.db)"
        ) from None


def make_engine(url: URL) -> Engine:
    """An engine for ``url``; on SQLite (a fresh temporary file) without journal or fsync, for speed."""
    try:
        engine = create_engine(url)
    except (ArgumentError, ImportError, SQLAlchemyError) as exc:
        raise MedcostError(f"{mask_url(url)}: cannot create an engine: {summarise(exc)}") from None
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _fast_sqlite(dbapi_conn: Any, _record: Any) -> None:  # a fresh temp file: no journal needed
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=OFF")
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-8192")
            cursor.close()

    return engine


def temp_beside(path: Path, temps: list[Path]) -> Path:
    """Create an empty hidden temporary file beside ``path`` (same filesystem: atomic rename).

    A killed earlier run's temporary of the same file (``.<name>.<random>.tmp``, a whole
    database) is removed first.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path, suffix=".tmp")
        fd, name = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise MedcostError(f"cannot write {path}: {exc.strerror or exc}") from None
    os.close(fd)
    temps.append(Path(name))
    return temps[-1]


def check_sqlite_target(path: Path) -> None:
    """Refuse to replace a SQLite file that holds tables other than ours."""
    if not path.exists():
        return
    engine = create_engine(URL.create("sqlite", database=str(path)))
    try:
        tables = set(inspect(engine).get_table_names())
    except SQLAlchemyError:
        raise MedcostError(f"{path}: exists and is not a SQLite database; refusing to replace it") from None
    finally:
        engine.dispose()
    other = sorted(tables - {"clients", "claims"})
    if other:
        raise MedcostError(f"{path}: holds other tables ({', '.join(other)}); refusing to replace it")


def exists(url: str) -> bool:
    """Whether the demo tables are already there: the SQLite file exists, or the server holds clients and claims."""
    target = parse_url(url)
    db_file = sqlite_file(target)
    if db_file is not None:
        return db_file.exists()
    engine = make_engine(target)
    try:
        names = set(inspect(engine).get_table_names())
    except SQLAlchemyError as exc:
        raise MedcostError(f"{mask_url(target)}: cannot connect: {summarise(exc)}") from None
    finally:
        engine.dispose()
    return {"clients", "claims"} <= names
