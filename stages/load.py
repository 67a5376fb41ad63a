"""Load the feature table into the lakehouse's staging table (Delta Lake or Hopsworks) and write a load receipt.

Nothing is published here: validate checks the staged version and publishes it only if it passes.
The feature table streams from transform's Parquet into the table in bounded Arrow batches.
"""

from __future__ import annotations

import argparse
from typing import Any

from medcost.core.catalog import Catalog
from medcost.core.contracts import write_contract
from medcost.core.entry import run_stage
from medcost.core.params import LoadParams, TransformParams, section
from medcost.load import open_parquet, open_staging


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Upsert the feature table into the staging table and write a load receipt."""
    catalog = Catalog.from_params(params)
    key = section(params, "transform", TransformParams).key
    cfg = section(params, "load", LoadParams)
    features = open_parquet(catalog.features, made_by="transform")  # a lazy Arrow dataset, not a frame
    receipt = open_staging(cfg, catalog.staging).write(features, key)
    write_contract(catalog.load_receipt, receipt)


if __name__ == "__main__":
    run_stage(main)
