"""The data-quality gate: Great Expectations suites on the raw extract and the feature table.

Four suites, each built in code from params (one builder per table):

* ``clients`` and ``claims``: the raw extract (``data/raw``), as declared in
  ``extract.tables``: exact columns and types, keys, value ranges, case- and
  space-insensitive value sets (odd case and stray spaces are expected dirt in the
  source, cleaned by transform), null rates and row counts against metrics/extract.json;
* ``claims_clients``: every claim's client exists. Great Expectations 1.x has no
  cross-table expectation for pandas, so the join is done here (a hash lookup, linear in
  the number of claims) and the suite checks the derived column ``unknown_client_id``
  (a claim's client id when that client is not in ``clients``) is always null;
* ``features``: the lakehouse feature table at the load receipt's version: columns and
  types from the transform params, compound key, cleaned value sets, ranges, null rates,
  the target's presence (training rows) and absence (scoring rows), and its mean and
  upper quantiles inside ``validate.target``.

Running them (:func:`run_suites`) also validates the validation: every configured
expectation returned a result without raising, and every column is covered by an
expectation. :func:`write_report` writes metrics/validate.json and re-reads it, and the
Data Docs (HTML) are rebuilt whole into a temporary folder and moved into place, on
failure too, so a person can read why the gate closed.

great_expectations is imported only inside these functions (it takes seconds to import),
with its analytics and progress bars off.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import math
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import pandas as pd

from medcost.config import ExtractParams, TransformParams, ValidateParams
from medcost.errors import MedcostError
from medcost.features import CUTOFF_COLUMN, feature_columns, history_columns
from medcost.io import atomic_path, read_json, write_json

if TYPE_CHECKING:
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.expectations.expectation import Expectation

log = logging.getLogger(__name__)

PANDAS_TYPES: dict[str, str] = {
    "int": "Int64",
    "float": "float64",
    "str": "string",
    "bool": "boolean",
    "date": "datetime64",  # any unit: dates far in the past do not fit nanoseconds
}
"""The pandas dtype each declared column type is validated as (nullable where it matters)."""

_EMPTY_TYPES = {**PANDAS_TYPES, "date": "datetime64[ns]"}
RELATION_COLUMN = "unknown_client_id"
DOCS_SITE = "medcost"
RUN_NAME = "validate"
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 20}
_COLUMN_KWARGS = ("column", "column_A", "column_B")
_LIST_KWARGS = ("column_list",)


@dataclass(frozen=True)
class Batch:
    """One table to validate: its name (also the suite's), its rows and its suite."""

    name: str
    frame: pd.DataFrame
    suite: ExpectationSuite


# ----------------------------------------------------------------------------- imports


def _gx() -> Any:
    """great_expectations, imported with analytics off (read at import and context creation)."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    # Its import logs hundreds of INFO lines (docs decorators): only its warnings are wanted.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx

    return gx


def _gxe() -> Any:
    _gx()
    import great_expectations.expectations as gxe

    return gxe


def _context() -> Any:
    """An ephemeral (in-memory) context: no project folder, no analytics, no progress bars."""
    gx = _gx()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


# ----------------------------------------------------------------------------- frames


def typed_frame(frame: pd.DataFrame, kinds: Mapping[str, str]) -> pd.DataFrame:
    """A copy of ``frame`` with each declared column in its validation dtype (``PANDAS_TYPES``).

    Nothing is coerced: a column whose values are not all of the declared kind (text in
    a numeric column, say) keeps its dtype, and the type expectation names it. Columns
    not in ``kinds`` are left as they are.
    """
    out = frame.copy()
    for column, kind in kinds.items():
        if column in out.columns:
            out[column] = _as_kind(out[column], kind)
    return out


def _as_kind(values: pd.Series, kind: str) -> pd.Series:
    dtype = values.dtype
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    try:
        if inferred == "empty":  # no values at all: nothing to contradict the declared type
            return values.astype(_EMPTY_TYPES[kind])
        if kind == "int" and (numeric or inferred in ("integer", "floating", "mixed-integer-float")):
            present = pd.to_numeric(values.dropna())
            if bool((present == present.round()).all()):
                return values.astype("Int64")
        elif kind == "float" and (numeric or inferred in ("integer", "floating", "mixed-integer-float", "decimal")):
            return values.astype("float64")
        elif kind == "str" and inferred == "string":
            return values.astype("string")
        elif kind == "bool" and (pd.api.types.is_bool_dtype(dtype) or inferred == "boolean"):
            return values.astype("boolean")
        elif kind == "date" and (pd.api.types.is_datetime64_any_dtype(dtype) or inferred in ("date", "datetime", "datetime64")):
            if isinstance(dtype, pd.DatetimeTZDtype):  # a store that keeps time zones (a date has none)
                values = values.dt.tz_convert(None)
            stamps = values.astype("datetime64[ms]")
            try:
                return stamps.astype("datetime64[ns]")  # Great Expectations compares ns columns vectorised
            except (OverflowError, ValueError):  # OutOfBoundsDatetime: before 1677, kept in ms
                return stamps
    except (TypeError, ValueError, OverflowError):
        pass
    return values


def read_raw(path: str | Path) -> pd.DataFrame:
    """One raw extract table (Parquet) with nullable integer, boolean and string columns.

    :func:`raw_batches` types it for validation (:func:`typed_frame`).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except FileNotFoundError:
        raise MedcostError(f"{path}: not found (run the extract stage first)") from None
    nullable = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype(), pa.string(): pd.StringDtype()}
    return table.to_pandas(types_mapper=nullable.get, date_as_object=False)


def feature_kinds(transform: TransformParams) -> dict[str, str]:
    """The declared type of every column of the feature table, in the transform's terms."""
    columns = feature_columns(transform)
    kinds = {c: "int" for c in transform.key}
    kinds[CUTOFF_COLUMN] = "date"
    kinds.update({c: "str" for c in columns["categorical"]})
    kinds.update({c: "float" for c in columns["numeric"]})
    kinds[str(columns["target"])] = "float"
    return kinds


def claims_clients_frame(claims: pd.DataFrame, clients: pd.DataFrame) -> pd.DataFrame:
    """One row per claim: ``unknown_client_id`` is its client id if that client is not in ``clients``."""
    if "client_id" not in claims.columns or "client_id" not in clients.columns:
        return pd.DataFrame({RELATION_COLUMN: pd.Series(pd.NA, index=claims.index, dtype="Int64")})
    ids = pd.to_numeric(claims["client_id"], errors="coerce").astype("Int64")
    known = ids.isin(pd.to_numeric(clients["client_id"], errors="coerce").dropna())
    return pd.DataFrame({RELATION_COLUMN: ids.where(~known)})


# ----------------------------------------------------------------------------- suites


def _suite(name: str, expectations: list[Expectation]) -> ExpectationSuite:
    gx = _gx()
    return gx.ExpectationSuite(name=name, expectations=expectations)


def _require(table: str, declared: Iterable[str], needed: Iterable[str]) -> None:
    missing = [c for c in needed if c not in set(declared)]
    if missing:
        raise MedcostError(f"validate: {table} suite needs column(s) {', '.join(missing)}, "
                           f"not declared for {table} (extract.tables / transform params)")


def _null_rates(table: str, columns: Iterable[str], cfg: ValidateParams, strict: Iterable[str] = ()) -> dict[str, float]:
    columns = list(columns)
    unknown = [k for k in cfg.null_rates if k.startswith(f"{table}.") and k.partition(".")[2] not in columns]
    if unknown:
        raise MedcostError(f"params.yaml: validate.null_rates.{unknown[0]}: no such column in {table}")
    rates = {c: cfg.null_rates.get(f"{table}.{c}", cfg.max_null_rate) for c in columns}
    rates.update({c: 0.0 for c in strict})
    return rates


def _schema(table: str, kinds: Mapping[str, str], cfg: ValidateParams, rows: int | None,
            strict_not_null: Iterable[str] = (), skip_null_rate: Iterable[str] = ()) -> list[Expectation]:
    """Columns, types, null rates and row count: the part every table's suite shares."""
    gxe = _gxe()
    out: list[Expectation] = [gxe.ExpectTableColumnsToMatchSet(column_set=list(kinds), exact_match=True),
                              gxe.ExpectTableRowCountToBeBetween(min_value=1)]
    if rows is not None:
        out.append(gxe.ExpectTableRowCountToEqual(value=int(rows)))
    for column, kind in kinds.items():
        out.append(gxe.ExpectColumnTypeToBe(column=column, type_=PANDAS_TYPES[kind]))
    skip = set(skip_null_rate)
    for column, rate in _null_rates(table, kinds, cfg, strict_not_null).items():
        if column not in skip:
            out.append(gxe.ExpectColumnValuesToNotBeNull(column=column, mostly=round(1.0 - rate, 6)))
    return out


def _loose_text(values: Iterable[str]) -> str:
    """A regex accepting the values in any case, with stray spaces around them (raw-source dirt)."""
    return r"(?i)^\s*(?:" + "|".join(re.escape(v) for v in values) + r")\s*$"


def _years_before(day: dt.date, years: float) -> dt.datetime:
    whole = math.ceil(years)
    return dt.datetime(day.year - whole, day.month, day.day)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


def clients_suite(extract: ExtractParams, transform: TransformParams, cfg: ValidateParams,
                  rows: int | None = None) -> ExpectationSuite:
    """The raw ``clients`` extract; ``rows`` is the row count extract reported (metrics/extract.json)."""
    gxe = _gxe()
    kinds = extract.tables["clients"].columns
    _require("clients", kinds, ["client_id", "birth_date", "enrolled_from", "enrolled_to",
                                *transform.categorical, *transform.flags, *transform.numeric])
    _require("validate.value_sets", cfg.value_sets, transform.categorical)
    as_of = _midnight(extract.as_of)
    out = _schema("clients", kinds, cfg, rows, strict_not_null=["client_id"])
    out += [
        gxe.ExpectColumnValuesToBeUnique(column="client_id"),
        gxe.ExpectColumnValuesToBeBetween(column="birth_date", min_value=_years_before(extract.as_of, cfg.age[1] + 1),
                                          max_value=as_of, notes=f"ages {cfg.age[0]:g}-{cfg.age[1]:g} on {extract.as_of}"),
        gxe.ExpectColumnValuesToBeBetween(column="enrolled_from", max_value=as_of, strict_max=True),
        gxe.ExpectColumnValuesToBeBetween(column="enrolled_to", min_value=_midnight(extract.history_start)),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="enrolled_to", column_B="enrolled_from", or_equal=True,
                                                    ignore_row_if="either_value_is_missing"),
    ]
    for column in transform.categorical:
        out.append(gxe.ExpectColumnValuesToMatchRegex(
            column=column, regex=_loose_text(cfg.value_sets[column]),
            notes="raw values: any case, stray spaces allowed (transform trims and lower-cases them)"))
    for column in transform.flags:
        out.append(gxe.ExpectColumnValuesToBeInSet(column=column, value_set=[True, False]))
    for column, (low, high) in transform.valid_ranges.items():
        if column in kinds:
            out.append(gxe.ExpectColumnValuesToBeBetween(
                column=column, min_value=low, max_value=high, mostly=round(1.0 - cfg.raw_out_of_range_rate, 6),
                notes="a few entry errors are expected in the source; transform makes them missing"))
    return _suite("clients", out)


def claims_suite(extract: ExtractParams, transform: TransformParams, cfg: ValidateParams,
                 rows: int | None = None) -> ExpectationSuite:
    """The raw ``claims`` extract: claims paid in [history_start, as_of)."""
    gxe = _gxe()
    kinds = extract.tables["claims"].columns
    _require("claims", kinds, ["claim_id", "client_id", "service_date", "paid_date", "category", "amount"])
    as_of, start = _midnight(extract.as_of), _midnight(extract.history_start)
    out = _schema("claims", kinds, cfg, rows, strict_not_null=["claim_id", "client_id"])
    out += [
        gxe.ExpectColumnValuesToBeUnique(column="claim_id"),
        gxe.ExpectColumnValuesToBeBetween(column="paid_date", min_value=start, max_value=as_of, strict_max=True,
                                          notes="the extract window [history_start, as_of)"),
        gxe.ExpectColumnValuesToBeBetween(column="service_date", min_value=start - dt.timedelta(days=cfg.max_payment_lag_days),
                                          max_value=as_of, strict_max=True,
                                          notes="no claim serviced on or after as_of (it cannot be known yet)"),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="paid_date", column_B="service_date", or_equal=True,
                                                    ignore_row_if="either_value_is_missing"),
        gxe.ExpectColumnValuesToMatchRegex(column="category", regex=_loose_text(transform.claim_categories),
                                           notes="transform.claim_categories, any case"),
        gxe.ExpectColumnValuesToBeBetween(column="amount", min_value=0.0),
    ]
    return _suite("claims", out)


def claims_clients_suite() -> ExpectationSuite:
    """Every claim's client exists in ``clients`` (on :func:`claims_clients_frame`)."""
    gxe = _gxe()
    return _suite("claims_clients", [
        gxe.ExpectTableColumnsToMatchSet(column_set=[RELATION_COLUMN], exact_match=True),
        gxe.ExpectColumnTypeToBe(column=RELATION_COLUMN, type_="Int64"),
        gxe.ExpectColumnValuesToBeNull(column=RELATION_COLUMN,
                                       notes="the client id of each claim whose client is not in clients"),
    ])


def features_suite(extract: ExtractParams, transform: TransformParams, cfg: ValidateParams,
                   rows: int | None = None, clients: int | None = None) -> ExpectationSuite:
    """The feature table: ``rows`` as the load receipt says, at most two rows per extracted client."""
    gxe = _gxe()
    from great_expectations.expectations.row_conditions import Column

    kinds = feature_kinds(transform)
    _require("validate.value_sets", cfg.value_sets, transform.categorical)
    target = transform.target
    training, scoring = extract.target_year, extract.scoring_year
    out = _schema("features", kinds, cfg, rows, strict_not_null=transform.key, skip_null_rate=[target])
    if clients is not None:
        out.append(gxe.ExpectTableRowCountToBeBetween(min_value=1, max_value=2 * int(clients),
                                                      notes="one training and one scoring row per client at most"))
    out += [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=list(transform.key)),
        gxe.ExpectColumnValuesToBeInSet(column="year", value_set=[training, scoring]),
        gxe.ExpectColumnValuesToBeBetween(column=CUTOFF_COLUMN, min_value=dt.datetime(training, 1, 1),
                                          max_value=dt.datetime(scoring, 1, 1)),
        gxe.ExpectColumnValuesToBeBetween(column="age", min_value=cfg.age[0], max_value=cfg.age[1]),
        gxe.ExpectColumnValuesToBeBetween(column="tenure_years", min_value=0.0),
        gxe.ExpectColumnValuesToBeBetween(column="months_enrolled_prev", min_value=0.0, max_value=12.0),
    ]
    for column in transform.categorical:
        out.append(gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(cfg.value_sets[column])))
    for column in transform.flags:
        out.append(gxe.ExpectColumnValuesToBeInSet(column=column, value_set=[0.0, 1.0]))
    for column, (low, high) in transform.valid_ranges.items():
        out.append(gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high))
    for column in history_columns(transform):
        if column != "cost_trend":  # a difference of two years' costs: negative when costs fell
            out.append(gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0.0))
    out += [
        gxe.ExpectColumnValuesToBeBetween(column=target, min_value=0.0),
        gxe.ExpectColumnValuesToNotBeNull(column=target, row_condition=Column("year") == training,
                                          notes=f"training rows ({training}) have a target"),
        gxe.ExpectColumnValuesToBeNull(column=target, row_condition=Column("year") == scoring,
                                       notes=f"scoring rows ({scoring}) have none yet (no leak from the future)"),
        gxe.ExpectColumnMeanToBeBetween(column=target, min_value=cfg.target.mean[0], max_value=cfg.target.mean[1]),
    ]
    # ExpectColumnQuantileValuesToBeBetween cannot be used: in great_expectations 1.24.1 its
    # result holds numpy booleans that the results store fails to serialise (TypeError), so
    # the whole validation run dies. Its equivalent with `mostly`: the q-quantile is at most
    # `high` when a share q of the values is at most `high`, and at least `low` when a share
    # 1 - q of the values is at least `low`.
    for q, (low, high) in sorted(cfg.target.quantiles.items()):
        out.append(gxe.ExpectColumnValuesToBeBetween(column=target, max_value=high, mostly=q,
                                                     notes=f"quantile {q:g} of {target} <= {high:g}"))
        out.append(gxe.ExpectColumnValuesToBeBetween(column=target, min_value=low, mostly=round(1.0 - q, 6),
                                                     notes=f"quantile {q:g} of {target} >= {low:g}"))
    return _suite("features", out)


# ----------------------------------------------------------------------------- batches


def raw_batches(extract: ExtractParams, transform: TransformParams, cfg: ValidateParams,
                clients: pd.DataFrame, claims: pd.DataFrame,
                rows: Mapping[str, int] | None = None) -> list[Batch]:
    """The raw extract's batches: clients, claims and the claims-to-clients relation.

    ``rows`` is metrics/extract.json's row count per table (None: not checked).
    """
    rows = rows or {}
    clients = typed_frame(clients, extract.tables["clients"].columns)
    claims = typed_frame(claims, extract.tables["claims"].columns)
    return [
        Batch("clients", clients, clients_suite(extract, transform, cfg, rows.get("clients"))),
        Batch("claims", claims, claims_suite(extract, transform, cfg, rows.get("claims"))),
        Batch("claims_clients", claims_clients_frame(claims, clients), claims_clients_suite()),
    ]


def features_batch(extract: ExtractParams, transform: TransformParams, cfg: ValidateParams,
                   features: pd.DataFrame, rows: int | None = None, clients: int | None = None) -> Batch:
    """The feature table's batch (``rows``: the load receipt's row count)."""
    return Batch("features", typed_frame(features, feature_kinds(transform)),
                 features_suite(extract, transform, cfg, rows, clients))


def extracted_rows(extract_metrics: Mapping[str, Any], source: str = "metrics/extract.json") -> dict[str, int]:
    """Row count per table from extract's metrics."""
    try:
        return {name: int(table["rows"]) for name, table in extract_metrics["tables"].items()}
    except (KeyError, TypeError, ValueError):
        raise MedcostError(f"{source}: no tables.<name>.rows (rerun the extract stage)") from None


# ----------------------------------------------------------------------------- running


def run_suites(batches: list[Batch], docs_dir: str | Path | None = None, examples: int = 3) -> dict[str, Any]:
    """Validate every batch with its suite; build the Data Docs; return the report.

    The report holds per suite: evaluated, passed, failed, success_percent and each failed
    expectation (column, unexpected_count, a few unexpected values), and under ``meta``
    the checks of the validation itself (``problems``: an expectation without a result,
    one that raised, a column no expectation covers, Data Docs missing a suite).
    """
    gx = _gx()
    started = time.perf_counter()
    context = _context()
    from great_expectations.core.run_identifier import RunIdentifier

    source = context.data_sources.add_pandas("medcost")
    run_time = dt.datetime.now(dt.UTC)
    report: dict[str, Any] = {"suites": {}, "meta": {"expectations": 0, "results": 0, "problems": []}}
    problems: list[str] = report["meta"]["problems"]
    for batch in batches:
        suite_started = time.perf_counter()
        suite = context.suites.add(batch.suite)
        definition = source.add_dataframe_asset(batch.name).add_batch_definition_whole_dataframe(batch.name)
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=batch.name, data=definition, suite=suite))
        configured = list(suite.expectations)
        report["meta"]["expectations"] += len(configured)
        try:
            result = validation.run(batch_parameters={"dataframe": batch.frame}, result_format=RESULT_FORMAT,
                                    run_id=RunIdentifier(run_name=RUN_NAME, run_time=run_time))
        except Exception as exc:  # a bug or an unusable frame: the gate is closed, and says why
            problems.append(f"{batch.name}: the validation did not run ({type(exc).__name__}: {_first_line(exc)})")
            report["suites"][batch.name] = _suite_summary(batch, [], len(configured), examples)
            continue
        results = list(result.results)
        report["meta"]["results"] += len(results)
        problems += _meta_problems(batch, configured, results)
        report["suites"][batch.name] = _suite_summary(batch, results, len(configured), examples)
        summary = report["suites"][batch.name]
        log.info("%s: %d/%d expectations passed on %d rows in %.1fs", batch.name, summary["passed"],
                 summary["evaluated"], summary["rows"], time.perf_counter() - suite_started)
    if docs_dir is not None:
        report["success"] = _passed(report)  # the docs show the verdict
        problems += build_data_docs(context, docs_dir, report)
    report["success"] = _passed(report)
    # No timings in the report: the same data gives the same bytes, so a stage that depends
    # on metrics/validate.json does not rerun for nothing.
    log.info("validation %s in %.1fs", "passed" if report["success"] else "FAILED", time.perf_counter() - started)
    return report


def _passed(report: Mapping[str, Any]) -> bool:
    return not report["meta"]["problems"] and all(s["failed"] == 0 for s in report["suites"].values())


def _first_line(exc: BaseException | str) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else ""


def _columns_of(kwargs: Mapping[str, Any]) -> list[str]:
    named = [kwargs[k] for k in _COLUMN_KWARGS if kwargs.get(k)]
    for key in _LIST_KWARGS:
        named += list(kwargs.get(key) or [])
    return [str(c) for c in named]


def _raised(info: Any) -> str | None:
    """The exception message of a result's exception_info, if it raised.

    Two shapes exist in 1.x: a flat dict, and a dict of them keyed by metric id.
    """
    if not isinstance(info, Mapping):
        return None
    if "raised_exception" in info or "exception_message" in info:
        if info.get("raised_exception") or info.get("exception_message"):
            return _first_line(info.get("exception_message") or "") or "an exception"
        return None
    for value in info.values():
        message = _raised(value)
        if message:
            return message
    return None


def _meta_problems(batch: Batch, configured: list[Any], results: list[Any]) -> list[str]:
    """Validations about the validation: one result per expectation, no exception, every column covered."""
    problems = []
    result_ids = {r.expectation_config.id for r in results}
    if len(results) != len(configured) or {e.id for e in configured} != result_ids:
        missing = [f"{e.configuration.type} {_columns_of(e.configuration.kwargs)}"
                   for e in configured if e.id not in result_ids]
        problems.append(f"{batch.name}: {len(configured)} expectation(s) configured, {len(results)} result(s)"
                        + (f"; no result for {', '.join(missing[:3])}" if missing else ""))
    for r in results:
        message = _raised(r.exception_info)
        if message:
            where = ",".join(_columns_of(r.expectation_config.kwargs)) or "table"
            problems.append(f"{batch.name}.{where} {r.expectation_config.type} raised: {message}")
    covered = {c for e in configured for c in _columns_of(e.configuration.kwargs)}
    for column in batch.frame.columns:
        if column not in covered:
            problems.append(f"{batch.name}.{column}: no expectation covers this column")
    return problems


def _suite_summary(batch: Batch, results: list[Any], configured: int, examples: int) -> dict[str, Any]:
    failures = [_failure(r, examples) for r in results if not r.success]
    passed = sum(1 for r in results if r.success)
    return {
        "rows": int(len(batch.frame)),
        "expectations": configured,
        "evaluated": len(results),
        "passed": passed,
        "failed": len(failures),
        "success_percent": round(100.0 * passed / len(results), 2) if results else 0.0,
        "failures": failures,
    }


def _failure(result: Any, examples: int) -> dict[str, Any]:
    as_json = result.to_json_dict()  # JSON-safe values (timestamps as text, no numpy scalars)
    config = as_json["expectation_config"]
    detail = as_json.get("result") or {}
    kwargs = config.get("kwargs", {})
    entry: dict[str, Any] = {
        "expectation": config["type"],
        "column": ",".join(_columns_of(kwargs)) or None,
        "unexpected_count": detail.get("unexpected_count"),
    }
    if detail.get("unexpected_percent") is not None:
        entry["unexpected_percent"] = round(float(detail["unexpected_percent"]), 4)
    values = [v["value"] for v in detail.get("partial_unexpected_counts") or []] or detail.get("partial_unexpected_list") or []
    values = [v for v in values if v is not None][:examples]
    if values:
        entry["examples"] = values
    if "observed_value" in detail:
        entry["observed"] = _short(detail["observed_value"])
    mismatched = (detail.get("details") or {}).get("mismatched")
    if mismatched:
        entry["observed"] = {k: v for k, v in mismatched.items() if v}
    if kwargs.get("row_condition"):
        entry["where"] = _condition_text(kwargs["row_condition"])
    message = _raised(result.exception_info)
    if message:
        entry["error"] = message
    return entry


def _short(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, list) and len(value) > 10:
        return value[:10] + ["..."]
    return value


def _condition_text(condition: Any) -> str:
    if isinstance(condition, Mapping) and "column" in condition and "operator" in condition:
        column = condition["column"].get("name") if isinstance(condition["column"], Mapping) else condition["column"]
        return f"{column} {condition['operator']} {condition.get('parameter')!r}"
    return str(condition)


# ----------------------------------------------------------------------------- Data Docs


def build_data_docs(context: Any, docs_dir: str | Path, report: Mapping[str, Any]) -> list[str]:
    """Build the HTML Data Docs of every validation in ``context`` into ``docs_dir``, atomically.

    Great Expectations' index page lists suites and results with JavaScript loaded from
    CDNs, so offline it shows empty tables: a plain-HTML summary with links to every
    suite's page and results is added at the top. Returns the problems found checking
    the docs (an index that does not link a suite).
    """
    suites = list(report["suites"])
    try:
        with atomic_path(docs_dir) as tmp:
            context.add_data_docs_site(DOCS_SITE, {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(tmp.resolve())},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            })
            try:
                context.build_data_docs(site_names=[DOCS_SITE])
            finally:
                context.delete_data_docs_site(DOCS_SITE)
            _add_static_index(tmp, report)
            problems = check_data_docs(tmp, suites)
    except Exception as exc:  # a full disk or a Great Expectations bug: the gate closes, saying why
        return [f"Data Docs: could not be built in {docs_dir} ({type(exc).__name__}: {_first_line(exc)})"]
    log.info("Data Docs: %s", Path(docs_dir) / "index.html")
    return problems


def _result_pages(docs_dir: Path, suite: str) -> list[Path]:
    return sorted((docs_dir / "validations" / suite).rglob("*.html"))


def _add_static_index(docs_dir: Path, report: Mapping[str, Any]) -> None:
    index = docs_dir / "index.html"
    if not index.is_file():
        return
    verdict = "passed" if report.get("success") else "FAILED"
    rows = []
    for name, suite in report["suites"].items():
        pages = _result_pages(docs_dir, name)
        result = (f'<a href="{html.escape(pages[-1].relative_to(docs_dir).as_posix())}">results</a>'
                  if pages else "no results")
        rows.append(f"<tr><td>{html.escape(name)}</td><td>{suite['rows']}</td><td>{suite['evaluated']}</td>"
                    f"<td>{suite['passed']}</td><td>{suite['failed']}</td><td>{result} | "
                    f'<a href="expectations/{html.escape(name)}.html">suite</a></td></tr>')
    failures = [describe_failure(f, name) for name, s in report["suites"].items() for f in s["failures"]]
    items = "".join(f"<li>{html.escape(line)}</li>" for line in [*failures, *report["meta"]["problems"]])
    block = (
        '<div id="medcost-summary" class="container-fluid pt-3 pl-5 pr-5">'
        f"<h3>medcost data-quality gate: {verdict}</h3>"
        '<table class="table table-sm"><thead><tr><th>suite</th><th>rows</th><th>evaluated</th><th>passed</th>'
        f"<th>failed</th><th>pages</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        + (f"<ul>{items}</ul>" if items else "")
        + "</div>"
    )
    text = index.read_text()
    anchor = text.find("</nav>\n    <div")
    at = text.find("<div", anchor) if anchor >= 0 else text.find("</body>")
    index.write_text(text[:at] + block + text[at:] if at >= 0 else text + block)


def check_data_docs(docs_dir: str | Path, suites: list[str]) -> list[str]:
    """Problems with the Data Docs: no index.html, or an index that does not link a suite's results."""
    index = Path(docs_dir) / "index.html"
    if not index.is_file():
        return [f"Data Docs: {index.name} was not written"]
    text = index.read_text(errors="replace")
    problems = []
    for suite in suites:
        page = Path(docs_dir) / "expectations" / f"{suite}.html"
        if f"expectations/{suite}.html" not in text or not page.is_file():
            problems.append(f"Data Docs: index.html does not link the {suite} suite")
        if f"validations/{suite}/" not in text or not _result_pages(Path(docs_dir), suite):
            problems.append(f"Data Docs: index.html does not link the {suite} validation results")
    return problems


# ----------------------------------------------------------------------------- outputs


def write_report(path: str | Path, report: dict[str, Any]) -> None:
    """Write metrics/validate.json atomically, re-read it and check it is complete.

    A file that does not parse or misses a suite or a count is itself a failure.
    """
    write_json(path, report)
    try:
        written = read_json(path)
    except (OSError, ValueError) as exc:
        raise MedcostError(f"{path}: the validation results just written do not parse ({exc})") from None
    gaps = []
    if set(written.get("suites", {})) != set(report["suites"]):
        gaps.append(f"suites {sorted(written.get('suites', {}))} instead of {sorted(report['suites'])}")
    for name, suite in written.get("suites", {}).items():
        counts = [suite.get(k) for k in ("expectations", "evaluated", "passed", "failed")]
        if any(not isinstance(c, int) for c in counts):
            gaps.append(f"{name}: counts missing")
        elif suite["passed"] + suite["failed"] != suite["evaluated"] or suite["failed"] != len(suite.get("failures", [])):
            gaps.append(f"{name}: {suite['passed']} passed + {suite['failed']} failed != {suite['evaluated']} evaluated")
    if not isinstance(written.get("success"), bool):
        gaps.append("no overall success flag")
    if gaps:
        raise MedcostError(f"{path}: the validation results are incomplete: {'; '.join(gaps)}")


def describe_failure(failure: Mapping[str, Any], suite: str) -> str:
    """One failed expectation, for a person: suite.column, expectation, rows and a few values."""
    where = f"{suite}.{failure['column']}" if failure.get("column") else suite
    if failure.get("error"):
        detail = f"error: {failure['error']}"
    elif failure.get("unexpected_count") is not None:
        detail = f"{failure['unexpected_count']} row(s)"
        if failure.get("examples"):
            detail += ", e.g. " + ", ".join(str(v) for v in failure["examples"])
    else:
        detail = f"observed {failure.get('observed')}"
    if failure.get("where"):
        detail += f", where {failure['where']}"
    return f"{where} {failure['expectation']} ({detail})"


def failure_message(report: Mapping[str, Any], docs_dir: str | Path | None = None, shown: int = 5) -> str:
    """The one-line summary of a failed validation (empty when it passed)."""
    lines = [describe_failure(f, name) for name, s in report["suites"].items() for f in s["failures"]]
    problems = [p for p in report["meta"]["problems"] if " raised: " not in p]  # raised ones are failures already
    parts = []
    if lines:
        more = f"; and {len(lines) - shown} more" if len(lines) > shown else ""
        parts.append(f"{len(lines)} expectation(s) failed: " + "; ".join(lines[:shown]) + more)
    if problems:
        more = f"; and {len(problems) - shown} more" if len(problems) > shown else ""
        parts.append("validation incomplete: " + "; ".join(problems[:shown]) + more)
    if not parts:
        return ""
    if docs_dir is not None:
        parts.append(f"see {Path(docs_dir) / 'index.html'}")
    return " | ".join(parts)


def log_failures(report: Mapping[str, Any]) -> None:
    for name, suite in report["suites"].items():
        for failure in suite["failures"]:
            log.error("failed: %s", describe_failure(failure, name))
    for problem in report["meta"]["problems"]:
        log.error("validation problem: %s", problem)
