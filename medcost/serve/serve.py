"""Serve the champion over REST: ``python -m medcost.serve [--port 5001]`` (``make serve``).

Loads ``models:/<name>/<version>`` of the champion (the alias is resolved when the server starts:
restart it after promote or rollback moves ``champion``) from the project's tracking store and
runs MLflow's scoring server app for it under uvicorn, with the client-safe ``/invocations``
and ``/version`` of :mod:`medcost.serve.app`. A champion registered before the input checks is
refused: the server only answers through them.

Endpoints: ``GET /ping`` and ``/health``, ``GET /version`` (model name and version, API
version, MLflow version), ``POST /invocations`` with ``{"dataframe_split": {"columns": [...],
"data": [[...]]}}`` (or ``dataframe_records``), answering one ``{"predicted_cost": <number or
null>, "error": <null or the reasons>}`` per row in ``{"predictions": [...]}``. The model's
signature requires every input column: a request missing one gets HTTP 400 naming it.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from medcost.core.entry import port_setting, run_tool
from medcost.core.secrets import mask_url
from medcost.predict import load_champion
from medcost.promote import tracking_uri
from medcost.registry import add_model_arguments, model_name
from medcost.serve.app import build_app

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5001


def serve(args: argparse.Namespace) -> None:
    """Load the champion, then answer on ``args.host``:``args.port`` until stopped (Ctrl-C)."""
    import uvicorn

    name = model_name(args)
    args.port = serve_port(args.port)  # .env is read by now
    uri = tracking_uri()
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # this process is the server: no usage reports
    model, version = load_champion(name, uri)
    app = build_app(model, name, version)
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
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


def serve_port(given: int | None) -> int:
    """``--port`` if given, else MEDCOST_SERVE_PORT (environment or .env), else the default; a bad value is named."""
    return port_setting(given, "MEDCOST_SERVE_PORT", DEFAULT_PORT)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m medcost.serve [--host H] [--port P] [--model-name NAME]``."""
    parser = argparse.ArgumentParser(prog="python -m medcost.serve", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default: {DEFAULT_HOST})")
    parser.add_argument(
        "--port", type=int, help=f"port (default: MEDCOST_SERVE_PORT, environment or .env, or {DEFAULT_PORT})"
    )
    add_model_arguments(parser)
    run_tool("serve", parser, serve, argv)
