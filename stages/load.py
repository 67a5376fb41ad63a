"""Load the feature table into the lakehouse (Delta Lake or Hopsworks) and write a load receipt."""

from __future__ import annotations

import argparse
from typing import Any

from medcost.core.catalog import Catalog
from medcost.core.contracts import write_contract
from medcost.core.entry import run_stage
from medcost.core.io import read_parquet
from medcost.core.params import LoadParams, TransformParams, section
from medcost.load import open_lakehouse


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Load the feature table into the lakehouse and write a load receipt."""
    catalog = Catalog.from_params(params)
    key = section(params, "transform", TransformParams).key
    cfg = section(params, "load", LoadParams)
    features = read_parquet(catalog.features, made_by="transform")
    lakehouse = open_lakehouse(cfg.backend, catalog.lakehouse, cfg.table, cfg.hopsworks_version)
    receipt = lakehouse.write(features, key)
    write_contract(catalog.load_receipt, receipt)


if __name__ == "__main__":
    run_stage(main)
