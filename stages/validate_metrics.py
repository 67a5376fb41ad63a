"""Apply the model-quality gates to the evaluation metrics; write the verdict (metrics/quality.json).

A model failing its gates is a result: the stage succeeds and the verdict says so (promote
obeys it). A metric the gates need that the evaluation lacks is an error (exit 1).
"""

from __future__ import annotations

import argparse
from typing import Any

from medcost.core.catalog import Catalog
from medcost.core.contracts import Backtest, Evaluation, read_contract, write_contract
from medcost.core.entry import run_stage
from medcost.core.params import ValidateMetricsParams, section
from medcost.validate_metrics import evaluate_gates


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Apply the quality gates to the evaluation metrics and write the verdict."""
    catalog = Catalog.from_params(params)
    cfg = section(params, "validate_metrics", ValidateMetricsParams)
    evaluation = read_contract(catalog.evaluation, Evaluation, made_by="evaluate")
    backtest = read_contract(catalog.backtest, Backtest, made_by="backtest")
    write_contract(catalog.quality_verdict, evaluate_gates(evaluation, cfg, backtest))


if __name__ == "__main__":
    run_stage(main)
