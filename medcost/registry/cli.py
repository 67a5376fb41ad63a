"""The registry command line: ``python -m medcost.registry status [--json] | rollback | ui [--port N]``.

Also the arguments every registry command line shares (this tool and ``medcost.serve``):
``--params`` and ``--model-name`` (default: ``promote.model_name``).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from medcost.core.entry import add_params_argument, run_tool
from medcost.core.notify import notify
from medcost.core.params import PromoteParams, read_params, section
from medcost.promote import PREVIOUS, mlflow_session, registry_lock, rollback, status, tracking_uri
from medcost.registry.table import status_table
from medcost.registry.ui import run_ui, ui_port


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments every registry command line shares (registry, serve)."""
    add_params_argument(parser)
    parser.add_argument("--model-name", help="registered model (default: promote.model_name)")


def promote_params(args: argparse.Namespace) -> PromoteParams:
    """The promote section of the params file, with ``--model-name`` applied."""
    cfg = section(read_params(args.params), "promote", PromoteParams)
    return cfg.model_copy(update={"model_name": args.model_name}) if args.model_name else cfg


def model_name(args: argparse.Namespace) -> str:
    """``--model-name``, else promote.model_name from the params file (read only when needed)."""
    return str(args.model_name or promote_params(args).model_name)


def run(args: argparse.Namespace) -> None:
    """Show the status, or roll the champion back and say what to do next."""
    cfg = promote_params(args)
    name = cfg.model_name
    uri = tracking_uri()
    if args.command == "ui":
        raise SystemExit(run_ui(uri, cfg.experiment, ui_port(args.port)))
    with registry_lock(uri), mlflow_session(uri) as client:
        if args.command == "status":
            current = status(client, name)
            print(json.dumps(current, indent=2) if args.json else status_table(current))
            return
        result: dict[str, Any] = rollback(client, name, uri)
    archived = (
        f"; version {result['archived']} is archived (promote will not re-promote it)"
        if result["archived"] is not None
        else ""
    )
    print(
        f"rolled back '{name}': champion version {result['champion_before']} -> version {result['champion_after']}"
        f"{archived}; alias '{PREVIOUS}' removed. Restart `make serve` and re-score with `dvc repro -s -f predict`."
    )
    notify({"event": "rolled_back", **result}, timeout=cfg.webhook_timeout_seconds)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m medcost.registry {status,rollback,ui}``."""
    parser = argparse.ArgumentParser(
        prog="python -m medcost.registry",
        description="Inspect the medcost registered model, roll its champion back, or open the MLflow UI.",
    )
    parser.add_argument(
        "command",
        choices=["status", "rollback", "ui"],
        help="status: aliases and versions; rollback: champion back to the version holding 'previous'; "
        "ui: the MLflow UI on 127.0.0.1, opened on the experiment's runs",
    )
    parser.add_argument("--json", action="store_true", help="status as JSON (for scripts) instead of a table")
    parser.add_argument("--port", type=int, help="ui: port (default MEDCOST_MLFLOW_PORT, else 5000)")
    add_model_arguments(parser)
    run_tool("registry", parser, run, argv)
