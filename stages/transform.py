"""Build point-in-time client features (training years + scoring snapshot) from the raw extract."""

from __future__ import annotations

import argparse
from typing import Any

from medcost.core.catalog import Catalog
from medcost.core.contracts import write_contract
from medcost.core.entry import run_stage
from medcost.core.params import BacktestParams, ExtractParams, TransformParams, section
from medcost.transform import write_feature_table


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Build point-in-time client features from the raw extract."""
    catalog = Catalog.from_params(params)
    as_of = section(params, "extract", ExtractParams).as_of
    cfg = section(params, "transform", TransformParams)
    backtest = section(params, "backtest", BacktestParams)  # its earlier cutoffs come from here too: one definition
    summary = write_feature_table(
        catalog.raw_table("clients"), catalog.raw_table("claims"), as_of, cfg, catalog.features, backtest.years
    )
    write_contract(catalog.transform_summary, summary)


if __name__ == "__main__":
    run_stage(main)
