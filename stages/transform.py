"""Build point-in-time client features (training year + scoring snapshot) from the raw extract."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd

from medcost.cli import run
from medcost.config import ExtractParams, PathsParams, TransformParams, section
from medcost.features import build_feature_table
from medcost.io import write_parquet


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Build point-in-time client features from the raw extract."""
    paths = section(params, "paths", PathsParams)
    as_of = section(params, "extract", ExtractParams).as_of
    cfg = section(params, "transform", TransformParams)
    raw = Path(paths.raw)
    clients = pd.read_parquet(raw / "clients.parquet")
    claims = pd.read_parquet(raw / "claims.parquet")
    features = build_feature_table(clients, claims, as_of, cfg)
    write_parquet(features, paths.features)


if __name__ == "__main__":
    run(main)
