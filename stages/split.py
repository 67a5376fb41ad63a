"""Split the published training rows into train/test (whole clients, stratified on the target); write the scoring snapshot."""

from __future__ import annotations

import argparse
from typing import Any

from medcost.core.catalog import Catalog
from medcost.core.contracts import SplitSummary, write_contract
from medcost.core.entry import run_stage
from medcost.core.params import ExtractParams, LoadParams, SplitParams, TransformParams, section
from medcost.load import open_published, scan_published
from medcost.split import PartPaths, split_published


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Split the training rows into train/test and write the scoring snapshot."""
    catalog = Catalog.from_params(params)
    extract = section(params, "extract", ExtractParams)
    transform = section(params, "transform", TransformParams)
    load = section(params, "load", LoadParams)
    cfg = section(params, "split", SplitParams)
    published, rows = scan_published(catalog.published, open_published(load, catalog.lakehouse))
    sizes = split_published(
        rows,
        transform.key,
        transform.target,
        extract.training_years(transform.training_years),
        extract.scoring_year,
        cfg,
        cfg.duckdb,
        PartPaths(train=catalog.train, test=catalog.test, scoring=catalog.scoring),
    )
    summary = SplitSummary(
        published_hash=published.receipt.content_hash,
        as_of=published.as_of,
        train=sizes.train,
        test=sizes.test,
        scoring=sizes.scoring,
    )
    write_contract(catalog.split_summary, summary)  # predict checks it scores the published snapshot


if __name__ == "__main__":
    run_stage(main)
