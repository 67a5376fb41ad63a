"""What the monitor reads: every champion's predictions, the published actual costs and each version's expectation."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from medcost.core.contracts import MODEL_VERSION, PREDICTED_COST, Expectation
from medcost.core.errors import MedcostError
from medcost.load import read_columns

if TYPE_CHECKING:
    from mlflow import MlflowClient

log = logging.getLogger(__name__)


def read_predictions(path: str | Path, key: Sequence[str]) -> pd.DataFrame:
    """The predictions Delta table (every champion's, by year and version): key, predicted cost and version.

    No table yet (predict never published) gives no rows.
    """
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    columns = [*key, PREDICTED_COST, MODEL_VERSION]
    try:
        table = DeltaTable(str(path))
    except TableNotFoundError:
        log.info("no predictions table at %s yet: nothing to monitor", path)
        return pd.DataFrame({c: pd.Series(dtype="int64" if c != PREDICTED_COST else "float64") for c in columns})
    names = table.schema().to_arrow().names
    missing = [c for c in columns if c not in names]
    if missing:
        raise MedcostError(f"predictions table {path}: column(s) {', '.join(missing)} missing (rerun predict)")
    return table.to_pyarrow_dataset().to_table(columns=columns).to_pandas()


def read_actuals(rows: Any, years: Iterable[int], key: Sequence[str], target: str) -> pd.DataFrame:
    """The key and ``target`` of the published rows of ``years`` whose cost is known (an Arrow dataset or table)."""
    import pyarrow.compute as pc

    wanted = pc.field("year").isin([int(y) for y in years]) & pc.field(target).is_valid()
    table = read_columns(rows, list(dict.fromkeys([*key, target])), wanted, "published feature table")
    return table.to_pandas()


def version_expectation(client: MlflowClient, name: str, version: int) -> Expectation:
    """What ``version`` of ``name`` was expected to score, from the metrics of the run it was logged in."""
    from mlflow.exceptions import MlflowException

    try:
        run_id = client.get_model_version(name, str(version)).run_id
        metrics = client.get_run(run_id).data.metrics if run_id else {}
    except MlflowException as exc:
        log.warning(
            "%s version %d: no run in the tracking store (%s): judged without an expectation",
            name,
            version,
            exc.error_code,
        )
        return Expectation(source="none")
    return Expectation.from_run_metrics(metrics)
