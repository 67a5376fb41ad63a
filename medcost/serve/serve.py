"""Serve the champion over REST: ``python -m medcost.serve [--port 5001]`` (``make serve``).

Runs ``mlflow models serve -m models:/<name>@champion --env-manager local -h <host> -p <port>``
against the project's tracking store, with this Python's ``bin`` first on PATH (MLflow starts
``uvicorn`` by name). The alias is resolved when the server starts: restart it after promote
or rollback moves ``champion``.

Endpoints (MLflow's scoring server): ``GET /ping`` and ``/health``, ``GET /version``,
``POST /invocations`` with ``{"dataframe_split": {"columns": [...], "data": [[...]]}}``
(or ``dataframe_records``), answering ``{"predictions": [...]}``. The model's signature
requires every input column: a request missing one gets HTTP 400 naming it.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from medcost.core.entry import run_tool
from medcost.core.secrets import mask_url
from medcost.promote import champion_version, mlflow_session, tracking_uri
from medcost.registry import add_model_arguments, model_name

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5001


def serve_command(model_name: str, host: str, port: int) -> list[str]:
    """The ``mlflow models serve`` command line for the champion of ``model_name``."""
    return [
        str(Path(sys.executable).parent / "mlflow"),
        "models",
        "serve",
        "-m",
        f"models:/{model_name}@champion",
        "--env-manager",
        "local",
        "-h",
        host,
        "-p",
        str(port),
    ]


def serve_env(uri: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The server's environment: the tracking store, no telemetry, this venv's bin first on PATH."""
    env = dict(os.environ if base is None else base)
    env["MLFLOW_TRACKING_URI"] = uri
    env.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def serve(args: argparse.Namespace) -> None:
    """Check there is a champion, then replace this process by the MLflow scoring server (Ctrl-C stops it)."""
    name = model_name(args)
    uri = tracking_uri()
    with mlflow_session(uri) as client:
        version = champion_version(client, name, uri)
    command = serve_command(name, args.host, args.port)
    log.info(
        "serving %s version %d (models:/%s@champion, %s) on http://%s:%d/invocations",
        name,
        version,
        name,
        mask_url(uri),
        args.host,
        args.port,
    )
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(command[0], command, serve_env(uri))


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m medcost.serve [--host H] [--port P] [--model-name NAME]``."""
    parser = argparse.ArgumentParser(prog="python -m medcost.serve", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default: {DEFAULT_HOST})")
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("MEDCOST_SERVE_PORT", DEFAULT_PORT)),
        help=f"port (default: MEDCOST_SERVE_PORT or {DEFAULT_PORT})",
    )
    add_model_arguments(parser)
    run_tool("serve", parser, serve, argv)
