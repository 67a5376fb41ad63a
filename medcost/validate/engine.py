"""Great Expectations' pandas data source whose engine computes the metrics of DuckDB tables where they are.

The suites, the validation definitions, the results, their store and the Data Docs are
Great Expectations' own, as for a pandas frame; only the metrics of a batch that is a
:class:`~medcost.validate.tables.Table` are computed by :func:`medcost.validate.tables.metric`
instead of on the frame. Any other batch is the pandas engine's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from typing import Any, ClassVar, Literal

import pandas as pd

from medcost.core.errors import summarise
from medcost.validate.gx import gx
from medcost.validate.metrics import metric
from medcost.validate.ordered import fingerprint
from medcost.validate.tables import Table

SOURCE_TYPE = "medcost_pandas"
"""The data source's type name: ``context.data_sources.add_medcost_pandas`` makes one."""

_TABLES: dict[str, Table] = {}
"""The tables being validated, by batch id (:func:`tables_served`)."""
_FRAMES: dict[str, Table] = {}
"""The same tables by the mark of the frame standing for them in the batch (:func:`placeholder`)."""
MARK = "medcost_table"
"""The placeholder frame's ``attrs`` key naming its table (attrs survive the copies Great Expectations makes)."""


@cache
def source_class() -> type:
    """The data source class: defined (and registered with Great Expectations) once per process."""
    gx()
    from great_expectations.datasource.fluent import PandasDatasource
    from great_expectations.exceptions import MetricResolutionError
    from great_expectations.execution_engine import PandasExecutionEngine
    from great_expectations.execution_engine.pandas_execution_engine import HASH_THRESHOLD

    class MedcostExecutionEngine(PandasExecutionEngine):
        """The pandas engine, except for the batches served from DuckDB."""

        def get_batch_data_and_markers(self, batch_spec: Any) -> tuple[Any, Any]:
            frame = getattr(batch_spec, "batch_data", None)  # before the engine replaces it by its name
            table = _FRAMES.get(frame.attrs.get(MARK, "")) if isinstance(frame, pd.DataFrame) else None
            data, markers = super().get_batch_data_and_markers(batch_spec)
            if table is not None:  # the fingerprint of the frame the table stands for, not of its placeholder
                markers.pop("pandas_data_fingerprint", None)
                if (found := fingerprint(table, HASH_THRESHOLD)) is not None:
                    markers["pandas_data_fingerprint"] = found
            return data, markers

        def resolve_metrics(
            self,
            metrics_to_resolve: Iterable[Any],
            metrics: dict[Any, Any] | None = None,
            runtime_configuration: dict | None = None,
        ) -> dict[Any, Any]:
            ours: list[tuple[Any, Any]] = []
            theirs: list[tuple[Any, Any]] = []
            for m in metrics_to_resolve:
                batch = m.metric_domain_kwargs.get("batch_id") or self.batch_manager.active_batch_id
                (ours if batch in _TABLES else theirs).append((m, batch))
            resolved: dict[Any, Any] = {}
            if theirs:
                resolved.update(super().resolve_metrics([m for m, _ in theirs], metrics, runtime_configuration))
            for m, batch in ours:
                table = _TABLES[batch]
                if m.id not in table.memo:  # a metric that failed is retried: those computed are kept
                    try:
                        table.memo[m.id] = metric(table, m.metric_name, m.metric_domain_kwargs, m.metric_value_kwargs)
                    except Exception as exc:  # reported on the expectations that need it, as pandas' are
                        raise MetricResolutionError(message=summarise(exc), failed_metrics=(m,)) from exc
                resolved[m.id] = table.memo[m.id]
            return resolved

    class MedcostPandasDatasource(PandasDatasource):
        type: Literal["medcost_pandas"] = "medcost_pandas"  # type: ignore[assignment]  # a type of its own
        execution_engine_override: ClassVar[type] = MedcostExecutionEngine  # type: ignore[valid-type]

    return MedcostPandasDatasource


def add_source(context: Any, name: str) -> Any:
    """A data source of ``context`` for pandas frames and DuckDB tables alike."""
    source_class()
    return context.data_sources.add_medcost_pandas(name)


def placeholder(table: Table) -> pd.DataFrame:
    """The frame standing for ``table`` in Great Expectations' batch: its columns, no rows (never read)."""
    frame = pd.DataFrame({c: pd.Series(dtype=table.dtypes[c]) for c in table.columns})
    frame.attrs[MARK] = f"{table.name}:{id(table)}"
    return frame


@contextmanager
def tables_served(tables: Mapping[str, Table], frames: Mapping[str, Table]) -> Iterator[None]:
    """Compute the metrics of these batches (by batch id, and by their placeholder's mark) in DuckDB in the block."""
    _TABLES.update(tables)
    _FRAMES.update(frames)
    try:
        yield
    finally:
        for key in tables:
            _TABLES.pop(key, None)
        for frame in frames:
            _FRAMES.pop(frame, None)
