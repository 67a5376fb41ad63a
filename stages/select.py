"""Select the model inputs: drop those that drifted between the train part and the scoring snapshot, or say nothing."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd

from medcost.core.catalog import Catalog
from medcost.core.contracts import write_contract
from medcost.core.entry import run_stage
from medcost.core.features import FeatureSpec
from medcost.core.io import read_parquet
from medcost.core.params import TransformParams, section
from medcost.core.params_select import SelectParams
from medcost.select import YEAR, select_features, selection_summary


def read_part(path: Path, columns: list[str]) -> pd.DataFrame:
    """The ``columns`` of a part split wrote (those it has: a missing input is named by the selection)."""
    import pyarrow.parquet as pq

    if not path.exists():
        read_parquet(path, made_by="split")  # the one-line error naming the stage that writes it
    present = set(pq.read_schema(path).names)
    return pq.read_table(path, columns=[c for c in columns if c in present]).to_pandas()


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Score every model input on train against scoring; write the selection and its metrics."""
    catalog = Catalog.from_params(params)
    spec = FeatureSpec.from_params(section(params, "transform", TransformParams))
    cfg = section(params, "select", SelectParams)
    columns = [*spec.inputs, YEAR]
    selection = select_features(read_part(catalog.train, columns), read_part(catalog.scoring, columns), spec, cfg)
    write_contract(catalog.selection, selection)
    write_contract(catalog.select_summary, selection_summary(selection))


if __name__ == "__main__":
    run_stage(main)
