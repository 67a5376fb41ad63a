"""The one way a stage or a tool starts and ends: arguments, .env, logging, params, and one-line errors.

Also a tool's port setting (flag, else environment or .env, else default: :func:`port_setting`).

A stage script is ``run_stage(main)`` where ``main(params, args)`` does the work; a tool
(serve, registry, report, the demo generator) is ``run_tool(name, parser, main, argv)``.
Either way a ``MedcostError`` becomes one line on stderr (``error: <name>: ...``) and exit
code 1, Ctrl-C exit code 130; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from medcost.core.errors import MedcostError, one_line
from medcost.core.logs import DATE_FORMAT, FORMAT
from medcost.core.params import read_params
from medcost.core.runlog import DEFAULT_RUN_LOG, record
from medcost.core.secrets import env, load_dotenv_file

log = logging.getLogger(__name__)

StageMain = Callable[[dict[str, Any], argparse.Namespace], None]
ToolMain = Callable[[argparse.Namespace], Any]


def configure_logging() -> None:
    """One log format on stderr for every stage and tool; ``MEDCOST_LOG_LEVEL`` sets the level."""
    level = os.environ.get("MEDCOST_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(level=level, format=FORMAT, datefmt=DATE_FORMAT, stream=sys.stderr)


@contextmanager
def exit_on_error(name: str) -> Iterator[None]:
    """Turn a ``MedcostError`` into ``error: <name>: <one line>`` and exit 1; Ctrl-C into exit 130."""
    try:
        yield
    except MedcostError as exc:
        message = one_line(str(exc))
        message = message.removeprefix(f"{name}: ")  # the library often names the stage too: say it once
        print(f"error: {name}: {message}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print(f"error: {name}: interrupted", file=sys.stderr)
        sys.exit(130)


def add_params_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--params", default="params.yaml", help="params file (default: params.yaml)")


def start(parser: argparse.ArgumentParser, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the arguments, configure logging and read .env (the environment wins over it)."""
    args = parser.parse_args(argv)
    configure_logging()
    load_dotenv_file()
    return args


def run_stage(
    main: StageMain,
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
    argv: Sequence[str] | None = None,
) -> None:
    """Run a DVC stage's ``main(params, args)`` and exit with its status."""
    spec = getattr(sys.modules["__main__"], "__spec__", None)
    name = (spec.name if spec else main.__module__).rsplit(".", 1)[-1]
    parser = argparse.ArgumentParser(prog=f"python -m stages.{name}", description=main.__doc__)
    add_params_argument(parser)
    if add_arguments:
        add_arguments(parser)
    args = start(parser, argv)
    started = time.perf_counter()
    with exit_on_error(name):
        params = read_params(args.params)
        main(params, args)
    seconds = time.perf_counter() - started
    log.info("%s done in %.1fs", name, seconds)
    paths = params.get("paths")
    run_log = paths.get("run_log") if isinstance(paths, dict) else None  # params.yaml: paths.run_log
    record("stage", run_log or DEFAULT_RUN_LOG, stage=name, seconds=round(seconds, 3))


def run_tool(name: str, parser: argparse.ArgumentParser, main: ToolMain, argv: Sequence[str] | None = None) -> Any:
    """Run a command-line tool's ``main(args)``; return what it returns."""
    args = start(parser, argv)
    with exit_on_error(name):
        return main(args)


def port_setting(given: int | None, variable: str, default: int) -> int:
    """A port: ``given`` (a ``--port`` flag), else ``variable`` (environment or .env), else ``default``; a bad one named."""
    if given is None:
        value = (env(variable) or str(default)).strip()
        if not value.isdigit():
            raise MedcostError(f"{variable} = {value!r}: not a port number")
        given = int(value)
    if not 0 < given < 65536:
        raise MedcostError(f"port {given}: not a port number (1-65535)")
    return given
