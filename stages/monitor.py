"""Monitor the champions against actual costs: score each predicted year whose costs are now published, and judge it.

The predictions table (lakehouse state, every champion's predictions by year and version) is
matched to the published feature table's known costs; each version is compared with what its
MLflow run says it was expected to score. A degraded verdict recommends retraining and sends the
webhook; it does not fail the stage (it is a finding, written to metrics/monitor.json).
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from medcost.core.catalog import Catalog
from medcost.core.contracts import Expectation, write_contract
from medcost.core.entry import run_stage
from medcost.core.features import FeatureSpec
from medcost.core.notify import notify
from medcost.core.params import EvaluateParams, LoadParams, PromoteParams, TransformParams, section
from medcost.core.params_monitor import MonitorParams
from medcost.load import open_published, scan_published
from medcost.monitor import (
    degraded_event,
    monitor,
    read_actuals,
    read_predictions,
    version_expectation,
    versions_to_check,
)
from medcost.promote import mlflow_session, tracking_uri

log = logging.getLogger("medcost.monitor")


def main(params: dict[str, Any], args: argparse.Namespace) -> None:
    """Score every champion's predictions of the years whose actual costs are published; write the verdict."""
    catalog = Catalog.from_params(params)
    cfg = section(params, "monitor", MonitorParams)
    spec = FeatureSpec.from_params(section(params, "transform", TransformParams))
    evaluate = section(params, "evaluate", EvaluateParams)
    promote = section(params, "promote", PromoteParams)
    predictions = read_predictions(catalog.predictions_table, spec.key)
    years = sorted(int(y) for y in predictions["year"].unique())
    _, published = scan_published(
        catalog.published, open_published(section(params, "load", LoadParams), catalog.lakehouse)
    )
    actuals = read_actuals(published, years, spec.key, spec.target)
    expectations: dict[int, Expectation] = {}
    versions = versions_to_check(predictions, actuals, spec.target)
    if versions:  # the registry is opened only when a predicted year has its costs
        with mlflow_session(tracking_uri()) as client:
            expectations = {v: version_expectation(client, promote.model_name, v) for v in versions}
    verdict = monitor(
        predictions,
        actuals,
        expectations,
        cfg,
        key=spec.key,
        target=spec.target,
        model_name=promote.model_name,
        cap=evaluate.cap,
        deciles=evaluate.deciles,
    )
    write_contract(catalog.monitor_verdict, verdict)
    (log.warning if verdict.degraded else log.info)("monitor: %s: %s", verdict.recommendation, verdict.message)
    event = degraded_event(verdict)
    if event is not None:
        notify(event, timeout=promote.webhook_timeout_seconds)


if __name__ == "__main__":
    run_stage(main)
