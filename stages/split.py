"""Split the published training rows into train/test (whole clients, stratified on the target); write the scoring snapshot."""

from __future__ import annotations

import argparse
from typing import Any

from medcost.core.catalog import Catalog
from medcost.core.contracts import SplitSummary, write_contract
from medcost.core.entry import run_stage
from medcost.core.io import write_parquet
from medcost.core.params import ExtractParams, LoadParams, SplitParams, TransformParams, section
from medcost.load import open_published, read_published
from medcost.split import split_train_test, training_and_scoring


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Split the training rows into train/test and write the scoring snapshot."""
    catalog = Catalog.from_params(params)
    extract = section(params, "extract", ExtractParams)
    transform = section(params, "transform", TransformParams)
    load = section(params, "load", LoadParams)
    cfg = section(params, "split", SplitParams)
    published, frame = read_published(catalog.published, open_published(load, catalog.lakehouse))
    years = extract.training_years(transform.training_years)
    rows, scoring = training_and_scoring(frame, transform.target, years, extract.scoring_year)
    train, test = split_train_test(
        rows,
        transform.target,
        transform.key,
        cfg.test_size,
        cfg.seed,
        cfg.bins,
        cfg.tail,
        min_test_rows=cfg.min_test_rows,
    )
    write_parquet(train, catalog.train)
    write_parquet(test, catalog.test)
    write_parquet(scoring.sort_values(transform.key, kind="stable").reset_index(drop=True), catalog.scoring)
    summary = SplitSummary(
        published_hash=published.receipt.content_hash,
        as_of=published.as_of,
        train=len(train),
        test=len(test),
        scoring=len(scoring),
    )
    write_contract(catalog.split_summary, summary)  # predict checks it scores the published snapshot


if __name__ == "__main__":
    run_stage(main)
