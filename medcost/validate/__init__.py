"""The validate stage: the data-quality gate, Great Expectations suites on the raw extract and the loaded feature table.

Four suites built from params (:mod:`medcost.validate.suites`) run in one ephemeral context
(:mod:`medcost.validate.run`): the raw extract and the staged feature table where they are, in
DuckDB over their Parquet files and Arrow data (:mod:`medcost.validate.tables`,
:mod:`medcost.validate.engine`), with the results Great
Expectations' pandas engine gives on the typed frames (:mod:`medcost.validate.frames`);
the result is a :class:`~medcost.core.contracts.ValidationReport` (metrics/validate.json,
:mod:`medcost.validate.report`) and Data Docs (:mod:`medcost.validate.docs`).
great_expectations is imported only when a suite is built or run (:mod:`medcost.validate.gx`).
"""

from medcost.validate.docs import build_data_docs, check_data_docs
from medcost.validate.frames import (
    PANDAS_TYPES,
    RELATION_COLUMN,
    claims_clients_frame,
    feature_kinds,
    read_raw,
    typed_frame,
)
from medcost.validate.profile import FIRST_RUN_MESSAGE, profile_batch
from medcost.validate.report import describe_failure, failure_message, log_failures, write_report
from medcost.validate.run import (
    Batch,
    expectation_results,
    features_batch,
    features_table,
    raw_batches,
    raw_tables,
    run_suites,
)
from medcost.validate.snapshot import profile_snapshot
from medcost.validate.suites import claims_clients_suite, claims_suite, clients_suite, features_suite
from medcost.validate.tables import Table, arrow_table, parquet_table

__all__ = [
    "FIRST_RUN_MESSAGE",
    "PANDAS_TYPES",
    "RELATION_COLUMN",
    "Batch",
    "Table",
    "arrow_table",
    "build_data_docs",
    "check_data_docs",
    "claims_clients_frame",
    "claims_clients_suite",
    "claims_suite",
    "clients_suite",
    "describe_failure",
    "expectation_results",
    "failure_message",
    "feature_kinds",
    "features_batch",
    "features_table",
    "features_suite",
    "log_failures",
    "parquet_table",
    "profile_batch",
    "profile_snapshot",
    "raw_batches",
    "raw_tables",
    "read_raw",
    "run_suites",
    "typed_frame",
    "write_report",
]
