"""Split the validated training rows into train/test (stratified on the binned target); write the scoring snapshot."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd

from medcost.cli import run
from medcost.config import ExtractParams, LoadParams, PathsParams, SplitParams, TransformParams, section
from medcost.errors import MedcostError
from medcost.io import atomic_path, read_json
from medcost.lakehouse import open_lakehouse, read_loaded
from medcost.split import split_train_test, training_and_scoring


def write_parquet(frame: pd.DataFrame, path: str) -> None:
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Split the training rows into train/test and write the scoring snapshot."""
    paths = section(params, "paths", PathsParams)
    extract = section(params, "extract", ExtractParams)
    transform = section(params, "transform", TransformParams)
    load = section(params, "load", LoadParams)
    cfg = section(params, "split", SplitParams)
    if not Path(paths.load_receipt).exists():
        raise MedcostError(f"{paths.load_receipt}: load receipt not found (run the load stage first)")
    receipt = read_json(paths.load_receipt)
    frame = read_loaded(open_lakehouse(load.backend, paths.lakehouse, load.table, load.hopsworks_version), receipt)
    rows, scoring = training_and_scoring(frame, transform.target, extract.target_year, extract.scoring_year)
    train, test = split_train_test(rows, transform.target, transform.key, cfg.test_size, cfg.seed, cfg.bins, cfg.tail)
    write_parquet(train, paths.train)
    write_parquet(test, paths.test)
    write_parquet(scoring.sort_values(transform.key, kind="stable").reset_index(drop=True), paths.scoring)


if __name__ == "__main__":
    run(main)
