"""Running the data-quality gate: the batches to validate and one validation run of every suite, as a ValidationReport.

Running them (:func:`run_suites`) also validates the validation: every configured
expectation returned a result without raising, and every column is covered by an
expectation. The Data Docs (HTML) are rebuilt whole, on failure too, so a person can read
why the gate closed.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from medcost.core.contracts import ExtractMetrics, LoadReceipt, SuiteResult, ValidationMeta, ValidationReport
from medcost.core.errors import summarise
from medcost.core.params import ExtractParams, TransformParams, ValidateParams
from medcost.core.progress import steps
from medcost.validate.docs import build_data_docs
from medcost.validate.engine import MARK, add_source, placeholder, tables_served
from medcost.validate.frames import claims_clients_frame, feature_kinds, typed_frame
from medcost.validate.gx import ephemeral_context, gx
from medcost.validate.metrics import quantiles
from medcost.validate.results import meta_problems, suite_result
from medcost.validate.suites import claims_clients_suite, claims_suite, clients_suite, features_suite
from medcost.validate.tables import Table, arrow_table, claims_clients_table, parquet_table

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa
    import pyarrow.dataset
    from great_expectations.core.expectation_suite import ExpectationSuite

log = logging.getLogger(__name__)

RUN_NAME = "validate"
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 20}


@dataclass(frozen=True)
class Batch:
    """One table to validate: its name (also the suite's), its rows (a frame, or a table in DuckDB) and its suite."""

    name: str
    frame: Any  # a pd.DataFrame, or a Table (validated in DuckDB); Any, as callers and tests use either's methods
    suite: ExpectationSuite


def _rows(extracted: ExtractMetrics | None, table: str) -> int | None:
    if extracted is None or table not in extracted.tables:
        return None
    return extracted.tables[table].rows


def raw_tables(
    con: duckdb.DuckDBPyConnection, extract: ExtractParams, clients: str | Path, claims: str | Path
) -> tuple[Table, Table]:
    """The raw extract's Parquet files (``clients``, ``claims``) as tables of ``con``, validated where they are."""
    return (
        parquet_table(con, "clients", clients, extract.tables["clients"].columns),
        parquet_table(con, "claims", claims, extract.tables["claims"].columns),
    )


def raw_batches(
    extract: ExtractParams,
    transform: TransformParams,
    cfg: ValidateParams,
    clients: pd.DataFrame | Table,
    claims: pd.DataFrame | Table,
    extracted: ExtractMetrics | None = None,
) -> list[Batch]:
    """The raw extract's batches: clients, claims and the claims-to-clients relation.

    ``clients`` and ``claims`` are frames as extract wrote them (typed here), or the Parquet files
    in DuckDB (:func:`medcost.validate.tables.parquet_table`), validated where they are.
    ``extracted`` (metrics/extract.json) gives the row count each table must have (None: not checked).
    """
    relation: pd.DataFrame | Table
    if isinstance(clients, Table) and isinstance(claims, Table):
        relation = claims_clients_table(claims, clients)
    else:
        clients = typed_frame(clients, extract.tables["clients"].columns)
        claims = typed_frame(claims, extract.tables["claims"].columns)
        relation = claims_clients_frame(claims, clients)
    return [
        Batch("clients", clients, clients_suite(extract, transform, cfg, _rows(extracted, "clients"))),
        Batch("claims", claims, claims_suite(extract, transform, cfg, _rows(extracted, "claims"))),
        Batch("claims_clients", relation, claims_clients_suite()),
    ]


def features_table(
    con: duckdb.DuckDBPyConnection, transform: TransformParams, data: pa.Table | pa.dataset.Dataset
) -> Table:
    """The staged feature table (Arrow: a table, or a dataset scanned lazily) as a table of ``con``.

    It stands for the frame the lakehouse reads (sorted by ``transform.key``) in its validation
    dtypes (:func:`medcost.validate.frames.feature_kinds`), and is validated where it is.
    """
    return arrow_table(con, "features", data, feature_kinds(transform), transform.key)


def features_batch(
    extract: ExtractParams,
    transform: TransformParams,
    cfg: ValidateParams,
    features: Table,
    receipt: LoadReceipt | None = None,
    extracted: ExtractMetrics | None = None,
    *,
    backtest_years: int = 0,
) -> Batch:
    """The feature table's batch (:func:`features_table`): as many rows as the load receipt says, at most one per
    cutoff and client (the training cutoffs, the ``backtest_years`` before them, the scoring one).

    The training target's observed quantiles (for the failure messages) are pandas' linear
    ones, computed in DuckDB (:func:`medcost.validate.metrics.quantiles`).
    """
    rows = receipt.rows if receipt is not None else None
    target = transform.target
    observed = quantiles(features, target, cfg.target.quantiles) if target in features.columns else {}
    return Batch(
        "features",
        features,
        features_suite(extract, transform, cfg, rows, _rows(extracted, "clients"), observed, backtest_years),
    )


def run_suites(
    batches: list[Batch],
    docs_dir: str | Path | None = None,
    examples: int = 3,
    run_time: dt.datetime | None = None,
) -> ValidationReport:
    """Validate every batch with its suite; build the Data Docs; return the report.

    ``run_time`` names the run in the Data Docs; the stage passes the snapshot date (``extract.as_of``),
    not the clock, so the same data gives the same pages (they are a DVC out).

    The report holds per suite: evaluated, passed, failed, success_percent and each failed
    expectation (column, unexpected_count, a few unexpected values), and under ``meta``
    the checks of the validation itself (``problems``: an expectation without a result,
    one that raised, a column no expectation covers, Data Docs missing a suite).
    """
    module = gx()
    started = time.perf_counter()
    context = ephemeral_context()
    from great_expectations.core.run_identifier import RunIdentifier

    source = add_source(context, "medcost")
    run_time = run_time or dt.datetime.now(dt.UTC)
    suites: dict[str, SuiteResult] = {}
    problems: list[str] = []
    expectations = evaluated = 0
    run_id = RunIdentifier(run_name=RUN_NAME, run_time=run_time)
    for batch in steps(batches, "validate suites"):
        suite_started = time.perf_counter()
        definition, validation, configured = _added(module, context, source, batch)
        expectations += len(configured)
        try:
            result = _run(definition, validation, batch, run_id)
        except Exception as exc:  # a bug or an unusable frame: the gate is closed, and says why
            problems.append(f"{batch.name}: the validation did not run ({type(exc).__name__}: {summarise(exc)})")
            suites[batch.name] = suite_result(len(batch.frame), [], len(configured), examples)
            continue
        results = list(result.results)
        evaluated += len(results)
        problems += meta_problems(batch.name, batch.frame.columns, configured, results)
        summary = suites[batch.name] = suite_result(len(batch.frame), results, len(configured), examples)
        log.info(
            "%s: %d/%d expectations passed on %d rows in %.1fs",
            batch.name,
            summary.passed,
            summary.evaluated,
            summary.rows,
            time.perf_counter() - suite_started,
        )

    def report() -> ValidationReport:
        success = not problems and all(s.failed == 0 for s in suites.values())
        meta = ValidationMeta(expectations=expectations, results=evaluated, problems=list(problems))
        return ValidationReport(success=success, suites=dict(suites), meta=meta)

    if docs_dir is not None:
        problems += build_data_docs(context, docs_dir, report())  # the docs show the verdict
    final = report()
    # No timings in the report: the same data gives the same bytes, so a stage that depends
    # on metrics/validate.json does not rerun for nothing.
    log.info("validation %s in %.1fs", "passed" if final.success else "FAILED", time.perf_counter() - started)
    return final


def expectation_results(batches: list[Batch], run_time: dt.datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    """Great Expectations' result of every expectation of each batch, as JSON, in suite order (to compare engines)."""
    module = gx()
    context = ephemeral_context()
    from great_expectations.core.run_identifier import RunIdentifier

    source = add_source(context, "medcost")
    run_id = RunIdentifier(run_name=RUN_NAME, run_time=run_time or dt.datetime.now(dt.UTC))
    out = {}
    for batch in batches:
        definition, validation, _ = _added(module, context, source, batch)
        out[batch.name] = [r.to_json_dict() for r in _run(definition, validation, batch, run_id).results]
    return out


def _added(module: Any, context: Any, source: Any, batch: Batch) -> tuple[Any, Any, list[Any]]:
    """``batch``'s suite and validation definition added to ``context``; the definition, the validation, its expectations."""
    suite = context.suites.add(batch.suite)
    definition = source.add_dataframe_asset(batch.name).add_batch_definition_whole_dataframe(batch.name)
    validation = context.validation_definitions.add(
        module.ValidationDefinition(name=batch.name, data=definition, suite=suite)
    )
    return definition, validation, list(suite.expectations)


def _run(definition: Any, validation: Any, batch: Batch, run_id: Any) -> Any:
    """One validation run of ``batch`` (its metrics computed in DuckDB if it is a Table): Great Expectations' result."""
    data: object = batch.frame
    served: dict[str, Table] = {}
    frames: dict[str, Table] = {}
    if isinstance(batch.frame, Table):  # its metrics are computed in DuckDB: the frame has no rows
        data = frame = placeholder(batch.frame)
        frames[frame.attrs[MARK]] = batch.frame  # the batch is made once (here), with its fingerprint
        with tables_served({}, frames):
            served[definition.get_batch(batch_parameters={"dataframe": frame}).id] = batch.frame
    with tables_served(served, frames):
        return validation.run(batch_parameters={"dataframe": data}, result_format=RESULT_FORMAT, run_id=run_id)
