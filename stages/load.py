"""Load the feature table into the lakehouse (Delta Lake or Hopsworks) and write a load receipt."""

from __future__ import annotations

import argparse
from typing import Any

import pandas as pd

from medcost.cli import run
from medcost.config import LoadParams, PathsParams, TransformParams, section
from medcost.io import write_json
from medcost.lakehouse import open_lakehouse


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Load the feature table into the lakehouse and write a load receipt."""
    paths = section(params, "paths", PathsParams)
    key = section(params, "transform", TransformParams).key
    cfg = section(params, "load", LoadParams)
    features = pd.read_parquet(paths.features)
    lakehouse = open_lakehouse(cfg.backend, paths.lakehouse, cfg.table, cfg.hopsworks_version)
    receipt = lakehouse.write(features, key)
    write_json(paths.load_receipt, receipt)


if __name__ == "__main__":
    run(main)
