"""The one entry-point helper every stage uses: arguments, .env, logging, params, errors.

A stage script is ``run(main)`` where ``main(params, args)`` does the work. A
``MedcostError`` becomes one line on stderr and exit code 1; anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from typing import Any, Callable

from medcost.config import read_params
from medcost.errors import MedcostError

log = logging.getLogger("medcost")

StageMain = Callable[[dict[str, Any], argparse.Namespace], None]


def configure_logging() -> None:
    level = os.environ.get("MEDCOST_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )


def load_dotenv_file(path: str = ".env") -> None:
    """Read secrets from an untracked .env; the environment wins over the file."""
    if os.path.exists(path):
        from dotenv import load_dotenv

        load_dotenv(path, override=False)


def run(main: StageMain, add_arguments: Callable[[argparse.ArgumentParser], None] | None = None) -> None:
    """Run a stage's ``main`` and exit with its status."""
    spec = getattr(sys.modules["__main__"], "__spec__", None)
    name = (spec.name if spec else main.__module__).rsplit(".", 1)[-1]
    parser = argparse.ArgumentParser(prog=f"python -m stages.{name}", description=main.__doc__)
    parser.add_argument("--params", default="params.yaml", help="params file (default: params.yaml)")
    if add_arguments:
        add_arguments(parser)
    args = parser.parse_args()
    configure_logging()
    load_dotenv_file()
    started = time.perf_counter()
    try:
        main(read_params(args.params), args)
    except MedcostError as exc:
        print(f"error: {name}: {' '.join(str(exc).split())}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print(f"error: {name}: interrupted", file=sys.stderr)
        sys.exit(130)
    log.info("%s done in %.1fs", name, time.perf_counter() - started)
