"""The MLflow UI for the tracking store, on loopback, opened on the medcost experiment's runs.

MLflow 3's UI opens on its GenAI pages unless told otherwise: the experiment tag
``mlflow.experimentKind`` (set by promote) is overridden by the UI's own GenAI / Model
training switch, so the address printed here carries ``workflowType=machine_learning``,
which selects *Model training* and, from then on, the browser remembers it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys

from medcost.core.entry import port_setting
from medcost.promote import mlflow_session, shown_uri

log = logging.getLogger(__name__)

DEFAULT_PORT = 5000
PORT_ENV = "MEDCOST_MLFLOW_PORT"


def ui_port(given: int | None) -> int:
    """``--port``, else ``MEDCOST_MLFLOW_PORT`` (environment or .env), else 5000."""
    return port_setting(given, PORT_ENV, DEFAULT_PORT)


def experiment_url(base: str, experiment_id: str | None) -> str:
    """The UI's address of the experiment's runs (or of the experiment list when there is none yet)."""
    page = f"experiments/{experiment_id}" if experiment_id is not None else "experiments"
    return f"{base.rstrip('/')}/#/{page}?workflowType=machine_learning"


def experiment_id(uri: str, experiment: str) -> str | None:
    """The id of ``experiment`` in the store at ``uri``, or None before the first promote made it."""
    with mlflow_session(uri) as client:
        found = client.get_experiment_by_name(experiment)
    return None if found is None else str(found.experiment_id)


def run_ui(uri: str, experiment: str, port: int, host: str = "127.0.0.1") -> int:
    """Serve the MLflow UI of ``uri`` on ``host:port`` until interrupted; return its exit code."""
    url = experiment_url(f"http://{host}:{port}", experiment_id(uri, experiment))
    # one worker: a person's browser on loopback, and a start in seconds instead of four imports of mlflow
    command = [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", uri, "--host", host, "--port", str(port)]
    command += ["--workers", "1"]
    env = {"PYTHONWARNINGS": "ignore::DeprecationWarning", **os.environ}  # the server's own (starlette) warnings
    print(f"MLflow UI of {shown_uri(uri)}: open {url}", flush=True)
    try:
        return subprocess.run(command, check=False, env=env).returncode
    except KeyboardInterrupt:
        return 0
