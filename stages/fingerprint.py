"""Fingerprint the source database (masked identity, per-table counts and signatures): extract depends on it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from medcost.core.catalog import Catalog
from medcost.core.contracts import write_contract
from medcost.core.entry import run_stage
from medcost.core.params import ExtractParams, section
from medcost.core.params_check import check_params
from medcost.extract import connect, source_fingerprint, source_url


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Fingerprint the source database; an unreachable source fails here, before anything is replaced."""
    check_params(params)  # every stage's params, before any data is read
    catalog = Catalog.from_params(params)
    cfg = section(params, "extract", ExtractParams)
    queries = {name: Path(spec.fingerprint) for name, spec in cfg.tables.items()}
    bind = {"as_of": cfg.as_of, "history_start": cfg.history_start}
    url = source_url(catalog.source_db)
    engine = connect(url)
    try:
        fingerprint = source_fingerprint(engine, url, queries, bind)
    finally:
        engine.dispose()
    # digits=None: the signature's values are exact (rounding would hide a changed amount)
    write_contract(catalog.source_fingerprint, fingerprint, digits=None)


if __name__ == "__main__":
    run_stage(main)
