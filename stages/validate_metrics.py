"""Apply the model-quality gates to the evaluation metrics; write the verdict (metrics/quality.json).

A model failing its gates is a result: the stage succeeds and the verdict says so (promote
obeys it). A metric the gates need that the evaluation lacks is an error (exit 1).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from medcost.cli import run
from medcost.config import PathsParams, ValidateMetricsParams, section
from medcost.gates import EVALUATION_FILE, VERDICT_FILE, evaluate_gates, read_evaluation
from medcost.io import write_json


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Apply the quality gates to the evaluation metrics and write the verdict."""
    paths = section(params, "paths", PathsParams)
    cfg = section(params, "validate_metrics", ValidateMetricsParams)
    evaluation = read_evaluation(Path(paths.metrics) / EVALUATION_FILE)
    write_json(Path(paths.metrics) / VERDICT_FILE, evaluate_gates(evaluation, cfg))


if __name__ == "__main__":
    run(main)
