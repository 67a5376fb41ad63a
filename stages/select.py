"""Select the model inputs: drop those that drifted between the train part and the scoring snapshot, or say nothing."""

from __future__ import annotations

import argparse
from typing import Any

from medcost.core.catalog import Catalog
from medcost.core.contracts import write_contract
from medcost.core.entry import run_stage
from medcost.core.features import FeatureSpec
from medcost.core.params import TransformParams, section
from medcost.core.params_select import SelectParams
from medcost.core.sample import read_sample
from medcost.select import YEAR, select_features, selection_summary


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Score every model input on train against scoring; write the selection and its metrics."""
    catalog = Catalog.from_params(params)
    spec = FeatureSpec.from_params(section(params, "transform", TransformParams))
    cfg = section(params, "select", SelectParams)
    columns = [*spec.inputs, YEAR]
    (train, _), (scoring, _) = (
        read_sample(path, cfg.max_rows, cfg.seed, made_by="split", columns=columns, param="select.max_rows")
        for path in (catalog.train, catalog.scoring)
    )
    selection = select_features(train, scoring, spec, cfg)
    write_contract(catalog.selection, selection)
    write_contract(catalog.select_summary, selection_summary(selection))


if __name__ == "__main__":
    run_stage(main)
