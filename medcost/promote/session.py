"""The MLflow session: which tracking store, a client of it, and the lock that serialises alias changes.

Tracking store: ``MLFLOW_TRACKING_URI`` (environment or ``.env``), by default the SQLite file
``mlflow.db`` in the working directory, with artifacts in ``mlruns/`` beside it. The names of
the registry's aliases and tags live here too, so every module spells them the same way.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from medcost.core.errors import MedcostError, summarise
from medcost.core.logs import mlflow_in_medcost_format
from medcost.core.secrets import mask_url

if TYPE_CHECKING:  # heavy: imported inside the functions that need it
    from mlflow import MlflowClient

CHAMPION = "champion"
CHALLENGER = "challenger"
PREVIOUS = "previous"
ALIASES = (CHAMPION, CHALLENGER, PREVIOUS)

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
ARTIFACT_DIR = "mlruns"

TAG_SHA = "model_sha256"
TAG_SERVED = "served_format"  # versions of another format are not this model file's version
SERVED_FORMAT = "input-checked-1"  # the pipeline behind medcost.core.served_model's input checks
TAG_LIFECYCLE = "lifecycle"
TAG_ARCHIVED_REASON = "archived_reason"
TAG_PENDING = "promote.pending"  # registered model tag: the plan of an unfinished promote (medcost.promote.plan)
ACTIVE = "active"
ARCHIVED = "archived"
REASON_GATES = "gates"
REASON_ROLLBACK = "rollback"


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` if set, else the embedded SQLite store ``sqlite:///mlflow.db``.

    Under ``dvc exp run --temp`` or ``--queue`` a stage runs in a temporary copy of the
    repository; DVC then points ``DVC_ROOT`` at the real one, whose ``mlflow.db`` is used,
    so the experiment's versions are not lost with the copy.
    """
    configured = os.environ.get("MLFLOW_TRACKING_URI", "").strip()
    if configured:
        return configured
    root = os.environ.get("DVC_ROOT", "").strip()
    if root and Path(root).resolve() != Path.cwd().resolve():
        return f"sqlite:///{Path(root).resolve() / 'mlflow.db'}"
    return DEFAULT_TRACKING_URI


def shown_uri(uri: str, root: str | Path | None = None) -> str:
    """``uri`` as metrics files show it: credentials masked, and no path of this machine.

    A SQLite (or ``file:``) store inside the repository (``root``: ``DVC_ROOT``, else the working
    directory) is shown relative to it (``sqlite:///mlflow.db``); one elsewhere by its file name only.
    """
    scheme = urlsplit(uri).scheme
    if scheme not in ("sqlite", "file") or ":///" not in uri:
        return mask_url(uri)
    prefix, location = uri.split(":///", 1)
    location = location.split("?", 1)[0]
    if location in ("", ":memory:") or not location.startswith("/"):
        return mask_url(uri)  # in-memory or already relative to the working directory
    base = Path(root or os.environ.get("DVC_ROOT", "").strip() or Path.cwd()).resolve()
    path = Path(location).resolve()
    try:
        shown = path.relative_to(base).as_posix()
    except ValueError:
        shown = f"<outside the repository>/{path.name}"
    return f"{prefix}:///{shown}"


def default_artifact_location(uri: str) -> str | None:
    """Where a new experiment keeps its artifacts: ``mlruns/`` beside a SQLite store; the server decides otherwise."""
    if urlsplit(uri).scheme == "sqlite":
        database = uri.split(":///", 1)[1] if ":///" in uri else ""
        folder = Path(database).resolve().parent if database and database != ":memory:" else Path.cwd()
        return (folder / ARTIFACT_DIR).resolve().as_uri()
    return None  # a file store keeps artifacts in its own folder; a server has its own default


def quiet_mlflow() -> None:
    """No telemetry from MLflow unless the user asked for it, and its lines in medcost's format (before mlflow is imported)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    mlflow_in_medcost_format()


@contextmanager
def registry_lock(uri: str) -> Iterator[None]:
    """Serialise alias changes on an embedded SQLite store (``dvc queue start -j 2`` runs promotes at once).

    Reading the champion, comparing and moving aliases must not interleave, or two
    experiments could both be crowned and ``previous`` would point at the wrong version.
    A tracking server is shared by many clients and is left to its own consistency.
    """
    if not uri.startswith("sqlite:///") or uri.endswith(":memory:"):
        yield
        return
    import fcntl

    lock_path = Path(uri.split(":///", 1)[1] + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def mlflow_session(uri: str) -> Iterator[MlflowClient]:
    """A client of ``uri``, with MLflow's global tracking and registry URIs set to it for the block.

    An MLflow error inside the block becomes one line naming the store (credentials masked).
    """
    quiet_mlflow()
    import mlflow
    from mlflow import MlflowClient

    # mlflow.set_tracking_uri also writes os.environ["MLFLOW_TRACKING_URI"]: put the environment back after.
    saved = {name: os.environ.get(name) for name in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        yield MlflowClient(tracking_uri=uri, registry_uri=uri)
    except Exception as exc:
        if is_mlflow_error(exc):
            raise MedcostError(f"MLflow at {mask_url(uri)}: {summarise(exc)}") from None
        raise
    finally:
        mlflow.set_tracking_uri(None)  # type: ignore[arg-type]  # None: back to the default
        mlflow.set_registry_uri(None)  # type: ignore[arg-type]
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def is_mlflow_error(exc: BaseException) -> bool:
    """Whether ``exc`` is one of MLflow's own errors (a store problem, not a bug of ours)."""
    from mlflow.exceptions import MlflowException

    return isinstance(exc, MlflowException)
