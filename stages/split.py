"""Split the validated training rows into train/test (stratified on the binned target); write the scoring snapshot."""

from __future__ import annotations

import argparse
from typing import Any


from medcost.cli import run
from medcost.config import ExtractParams, LoadParams, PathsParams, SplitParams, TransformParams, section
from medcost.io import write_parquet
from medcost.lakehouse import read_receipt_table
from medcost.split import split_train_test, training_and_scoring


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Split the training rows into train/test and write the scoring snapshot."""
    paths = section(params, "paths", PathsParams)
    extract = section(params, "extract", ExtractParams)
    transform = section(params, "transform", TransformParams)
    load = section(params, "load", LoadParams)
    cfg = section(params, "split", SplitParams)
    _, frame = read_receipt_table(paths.load_receipt, load.backend, paths.lakehouse, load.table, load.hopsworks_version)
    rows, scoring = training_and_scoring(frame, transform.target, extract.target_year, extract.scoring_year)
    train, test = split_train_test(rows, transform.target, transform.key, cfg.test_size, cfg.seed, cfg.bins, cfg.tail)
    write_parquet(train, paths.train)
    write_parquet(test, paths.test)
    write_parquet(scoring.sort_values(transform.key, kind="stable").reset_index(drop=True), paths.scoring)


if __name__ == "__main__":
    run(main)
