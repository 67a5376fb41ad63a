"""Extract clients and claims from the source database into Parquet (data/raw/)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from medcost.core.catalog import Catalog
from medcost.core.contracts import ExtractMetrics, SourceFingerprint, read_contract, write_contract
from medcost.core.entry import run_stage
from medcost.core.io import atomic_path
from medcost.core.params import ExtractParams, section
from medcost.core.params_check import check_params
from medcost.extract import (
    connect,
    extract_tables,
    read_query,
    require_same_identity,
    require_written_as_fingerprinted,
    source_fingerprint,
    source_url,
)


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Extract clients and claims from the source database into Parquet."""
    check_params(params)  # every stage's params, before any data is read
    catalog = Catalog.from_params(params)
    cfg = section(params, "extract", ExtractParams)
    queries = {name: (read_query(spec.query), spec.columns) for name, spec in cfg.tables.items()}
    # DVC caches this stage's output under its deps, the fingerprint file among them: the data
    # must be of the source that file describes, or the run cache would hand it back for that source.
    expected = read_contract(catalog.source_fingerprint, SourceFingerprint, made_by="fingerprint")
    url = source_url(catalog.source_db)
    require_same_identity(expected, url, catalog.source_fingerprint)
    engine = connect(url)
    bind = {"as_of": cfg.as_of, "history_start": cfg.history_start}
    fingerprints = {name: Path(spec.fingerprint) for name, spec in cfg.tables.items()}
    with atomic_path(catalog.raw) as raw_dir:
        totals = {
            name: table.rows for name, table in expected.tables.items()
        }  # the fingerprint's counts: the bars' ends
        tables = extract_tables(engine, queries, bind, cfg.chunk_rows, raw_dir, totals, cfg.reader)
        # the rows written are the fingerprinted ones (else the source changed): checked before they move into place
        require_written_as_fingerprinted(
            expected,
            {name: raw_dir / f"{name}.parquet" for name in tables},
            fingerprints,
            bind,
            lambda: source_fingerprint(engine, url, fingerprints, bind),
            catalog.source_fingerprint,
        )
    write_contract(
        catalog.extract_metrics,
        ExtractMetrics(
            source=engine.dialect.name,
            as_of=cfg.as_of.isoformat(),
            history_start=cfg.history_start.isoformat(),
            tables=tables,
        ),
    )


if __name__ == "__main__":
    run_stage(main)
