"""The demo generator's command line: defaults from params.yaml, and ``--if-missing`` for ``make data``."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from medcost.core.entry import add_params_argument, run_tool
from medcost.core.errors import MedcostError
from medcost.core.params import DemoParams, read_params, section
from medcost.core.secrets import mask_url
from medcost.demo_data.build import generate
from medcost.demo_data.target import exists

log = logging.getLogger(__name__)

NAME = "demo_data"


def build_parser() -> argparse.ArgumentParser:
    """The arguments of ``python -m medcost.demo_data``."""
    parser = argparse.ArgumentParser(
        prog="python -m medcost.demo_data",
        description="Generate the seeded demo source database and its true expected costs.",
    )
    parser.add_argument("--url", help="SQLAlchemy URL to write to (default: sqlite:///<paths.source_db>)")
    parser.add_argument("--clients", type=int, help="number of clients (default: demo.clients)")
    parser.add_argument("--seed", type=int, help="random seed (default: demo.seed)")
    parser.add_argument("--years", type=int, help="years simulated (default: demo.years)")
    parser.add_argument("--first-year", type=int, help="first simulated year (default: demo.first_year)")
    parser.add_argument("--truth", help="Parquet file of true expected costs (default: paths.truth)")
    add_params_argument(parser)
    parser.add_argument("--chunk-clients", type=int, default=50_000, help="clients generated per chunk")
    parser.add_argument(
        "--if-missing",
        action="store_true",
        help="do nothing if the database already exists (or, without --url, if MEDCOST_SOURCE_URL is set)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def run(args: argparse.Namespace) -> dict[str, Any] | None:
    """Generate the source the parsed arguments ask for; None if ``--if-missing`` found one."""
    params = read_params(args.params)
    demo = section(params, "demo", DemoParams, args.params)
    paths = params.get("paths") or {}
    external = os.environ.get("MEDCOST_SOURCE_URL")
    if args.url:
        url = args.url
    else:
        if args.if_missing and external:
            log.info("MEDCOST_SOURCE_URL is set: the pipeline reads %s; no demo database needed", mask_url(external))
            return None
        if not paths.get("source_db"):
            raise MedcostError(f"{args.params}: paths.source_db is missing (or pass --url)")
        url = f"sqlite:///{paths['source_db']}"
        if external:
            log.warning("MEDCOST_SOURCE_URL is set: the pipeline reads %s, not %s", mask_url(external), url)
    truth = args.truth or paths.get("truth")
    if not truth:
        raise MedcostError(f"{args.params}: paths.truth is missing (or pass --truth)")
    if args.if_missing and exists(url):
        log.info("%s already exists: nothing to do (--if-missing)", mask_url(url))
        if not Path(truth).exists():
            log.warning("%s is missing: delete the database and rerun to regenerate both", truth)
        return None
    return generate(
        url,
        clients=args.clients if args.clients is not None else demo.clients,
        first_year=args.first_year if args.first_year is not None else demo.first_year,
        years=args.years if args.years is not None else demo.years,
        seed=args.seed if args.seed is not None else demo.seed,
        truth_path=truth,
        chunk_clients=args.chunk_clients,
        progress=not args.no_progress,
    )


def main(argv: Sequence[str] | None = None) -> dict[str, Any] | None:
    """Run the command line (``.env`` read, logging set up, an error one line and exit 1).

    Returns the summary, or None if ``--if-missing`` skipped.
    """
    result: dict[str, Any] | None = run_tool(NAME, build_parser(), run, argv)
    return result
