"""Extract clients and claims from the source database into Parquet (data/raw/)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from medcost.cli import run
from medcost.config import ExtractParams, PathsParams, section
from medcost.db import connect, source_url
from medcost.extract import extract_tables, read_query
from medcost.io import atomic_path, write_json


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Extract clients and claims from the source database into Parquet."""
    paths = section(params, "paths", PathsParams)
    cfg = section(params, "extract", ExtractParams)
    queries = {name: (read_query(spec.query), spec.columns) for name, spec in cfg.tables.items()}
    engine = connect(source_url(paths.source_db))
    bind = {"as_of": cfg.as_of, "history_start": cfg.history_start}
    with atomic_path(paths.raw) as raw_dir:
        tables = extract_tables(engine, queries, bind, cfg.chunk_rows, raw_dir)
    write_json(Path(paths.metrics) / "extract.json", {
        "source": engine.dialect.name,
        "as_of": cfg.as_of.isoformat(),
        "history_start": cfg.history_start.isoformat(),
        "tables": tables,
    })


if __name__ == "__main__":
    run(main)
