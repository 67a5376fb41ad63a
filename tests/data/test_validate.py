"""The data-quality gate: a clean generated database passes; each corruption fails and is named.

The corruptions are put into a copy of the generated source database (``small_source``)
with SQL. Those that the strict extract lets through run the real stages in-process
(extract, transform, load to a temporary Delta table, validate); those that stop the
extract (a dropped column, an empty table, text in a numeric column) are validated on the
frames pandas reads from the database, so the suites catch them even if the extract is
loosened one day, and the extract is checked to stop on them too.
"""

from __future__ import annotations

import argparse
import copy
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import create_engine

from medcost import validate
from medcost.core.contracts import (
    ExpectationFailure,
    ExtractMetrics,
    SuiteResult,
    ValidationMeta,
    ValidationReport,
    read_contract,
)
from medcost.core.errors import MedcostError
from medcost.core.params import ExtractParams, TransformParams, ValidateParams, section
from tests.unit.test_extract import ROOT, copy_source, run_extract

# clients.client_id is an INTEGER PRIMARY KEY in the generated SQLite file (never NULL,
# never repeated): rebuild the table without constraints, as a careless source would be.
UNCONSTRAINED_CLIENTS = [
    "CREATE TABLE clients_loose AS SELECT * FROM clients",
    "DROP TABLE clients",
    "ALTER TABLE clients_loose RENAME TO clients",
]
FIRST_CLAIM = "(SELECT min(claim_id) FROM claims WHERE paid_date >= '2021-01-01' AND paid_date < '2026-01-01')"
# a client in both the training and the scoring rows (enrolled before 2024, still enrolled)
CLIENT = "(SELECT min(client_id) FROM clients WHERE enrolled_to IS NULL AND enrolled_from < '2024-01-01')"


def failures(report: ValidationReport) -> set[tuple[str, str | None, str]]:
    """(suite, column, expectation) of every failed expectation."""
    return {(name, f.column, f.expectation) for name, s in report.suites.items() for f in s.failures}


def failure(report: ValidationReport, suite: str, column: str | None, expectation: str) -> ExpectationFailure:
    for f in report.suites[suite].failures:
        if f.column == column and f.expectation == expectation:
            return f
    raise AssertionError(f"{suite}.{column} {expectation} did not fail; failures: {sorted(failures(report), key=str)}")


@pytest.fixture(scope="module")
def models(params: dict[str, Any]) -> tuple[ExtractParams, TransformParams, ValidateParams]:
    return (
        section(params, "extract", ExtractParams),
        section(params, "transform", TransformParams),
        section(params, "validate", ValidateParams),
    )


def stage_params(params: dict[str, Any], folder: Path, source: Path) -> dict[str, Any]:
    """params.yaml with every path the stages write moved into ``folder``."""
    out = copy.deepcopy(params)
    out["paths"].update(
        {
            "source_db": str(source),
            "source_fingerprint": str(folder / "source.fingerprint.json"),
            "raw": str(folder / "raw"),
            "features": str(folder / "interim" / "client_features.parquet"),
            "staging": str(folder / "staging" / "client_features"),
            "load_receipt": str(folder / "staging" / "client_features.receipt.json"),
            "lakehouse": str(folder / "lakehouse" / "client_features"),
            "published": str(folder / "lakehouse" / "client_features.published.json"),
            "metrics": str(folder / "metrics"),
            "data_docs": str(folder / "data_docs"),
        }
    )
    return out


def run_stages(params: dict[str, Any], *names: str) -> None:
    import importlib

    for name in names:
        importlib.import_module(f"stages.{name}").main(params, argparse.Namespace(params="params.yaml"))


Outcome = tuple[MedcostError | None, ValidationReport | None, dict[str, Any]]


@pytest.fixture()
def pipeline(params, small_source, tmp_path, monkeypatch) -> Callable[..., Outcome]:
    """Run the stages in-process on a corrupted copy of the demo source; return (error, report, params)."""
    monkeypatch.chdir(ROOT)  # the SQL files are named relative to the repository
    monkeypatch.delenv("MEDCOST_SOURCE_URL", raising=False)

    def run(
        *statements: str, stages: tuple[str, ...] = ("fingerprint", "extract", "transform", "load", "validate")
    ) -> Outcome:
        url = copy_source(small_source, tmp_path, *statements)
        stage = stage_params(params, tmp_path / "out", Path(url.removeprefix("sqlite:///")))
        error = None
        try:
            run_stages(stage, *stages)
        except MedcostError as exc:
            error = exc
        report_path = Path(stage["paths"]["metrics"]) / "validate.json"
        report = read_contract(report_path, ValidationReport) if report_path.exists() else None
        return error, report, stage

    return run


# ----------------------------------------------------------------------------- the clean source


def test_a_clean_generated_database_passes(pipeline):
    error, report, stage = pipeline()
    assert error is None, str(error)
    assert report is not None and report.success is True
    assert set(report.suites) == {"clients", "claims", "claims_clients", "features"}
    for name, suite in report.suites.items():
        assert suite.evaluated == suite.expectations == suite.passed > 0, name
        assert suite.failed == 0 and suite.success_percent == 100.0
    assert report.meta.problems == []
    assert report.meta.expectations == report.meta.results
    extracted = read_contract(Path(stage["paths"]["metrics"]) / "extract.json", ExtractMetrics)
    assert report.suites["claims"].rows == extracted.tables["claims"].rows

    docs = Path(stage["paths"]["data_docs"])
    index = (docs / "index.html").read_text()
    for name in report.suites:
        assert f"expectations/{name}.html" in index and (docs / "expectations" / f"{name}.html").is_file()
        pages = list((docs / "validations" / name).rglob("*.html"))
        assert len(pages) == 1 and pages[0].relative_to(docs).as_posix() in index
    assert "medcost data-quality gate: passed" in index
    assert not [p for p in docs.parent.iterdir() if p.name.startswith(".data_docs.")]  # no temp folder left


# ----------------------------------------------------------------------------- corruptions the extract lets through


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        pytest.param(
            [*UNCONSTRAINED_CLIENTS, f"INSERT INTO clients SELECT * FROM clients WHERE client_id = {CLIENT}"],
            [
                ("clients", "client_id", "expect_column_values_to_be_unique", 2),
                ("features", "client_id,year", "expect_compound_columns_to_be_unique", None),
            ],
            id="duplicated-client",
        ),
        pytest.param(
            [f"UPDATE clients SET birth_date = '1776-01-01' WHERE client_id = {CLIENT}"],  # 250 years before as_of
            [
                ("features", "age", "expect_column_values_to_be_between", None),
                ("clients", "birth_date", "expect_column_values_to_be_between", 1),
            ],
            id="age-250",
        ),
        pytest.param(
            [f"UPDATE clients SET region = 'Atlantis' WHERE client_id = {CLIENT}"],
            [
                ("features", "region", "expect_column_values_to_be_in_set", None),
                ("clients", "region", "expect_column_values_to_match_regex", 1),
            ],
            id="unknown-region",
        ),
        pytest.param(
            # serviced after as_of but paid before it: the query, which filters on paid_date, keeps it
            [f"UPDATE claims SET service_date = '2026-02-01', paid_date = '2025-12-30' WHERE claim_id = {FIRST_CLAIM}"],
            [
                ("claims", "service_date", "expect_column_values_to_be_between", 1),
                ("claims", "paid_date,service_date", "expect_column_pair_values_a_to_be_greater_than_b", 1),
            ],
            id="claim-after-as_of",
        ),
    ],
)
def test_a_corruption_fails_validate_and_is_named(pipeline, statements, expected):
    error, report, stage = pipeline(*statements)
    assert error is not None, "validate should have failed"
    message = str(error)
    assert "\n" not in message and "expectation(s) failed" in message
    assert report is not None and report.success is False
    for suite, column, expectation, rows in expected:
        found = failure(report, suite, column, expectation)
        if rows is not None:
            assert found.unexpected_count == rows
        assert f"{suite}.{column} {expectation}" in message or len(failures(report)) > 5
    # written even though the stage failed, for people to read
    assert (Path(stage["paths"]["data_docs"]) / "index.html").is_file()
    assert "medcost data-quality gate: FAILED" in (Path(stage["paths"]["data_docs"]) / "index.html").read_text()


def test_a_negative_amount_stops_the_stage_with_one_line_and_no_noise(pipeline, tmp_path):
    """As a person runs it: exit 1, one error line naming the rows; no progress bars, no Great Expectations chatter."""
    import subprocess
    import sys

    import yaml

    _, _, stage = pipeline(
        f"UPDATE claims SET amount = -5 WHERE claim_id = {FIRST_CLAIM}",
        stages=("fingerprint", "extract", "transform", "load"),
    )
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(stage))
    run = subprocess.run(
        [sys.executable, "-m", "stages.validate", "--params", str(tmp_path / "params.yaml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 1, run.stderr
    error = run.stderr.strip().splitlines()[-1]
    assert error.startswith(
        "error: validate: snapshot rejected (nothing published yet): 1 expectation(s) failed: "
        "claims.amount expect_column_values_to_be_between (1 row(s), e.g. -5.0) | see "
    )
    assert (
        "great_expectations" not in run.stderr and "Calculating Metrics" not in run.stderr and "it/s" not in run.stderr
    )
    assert run.stdout == ""
    # written on failure too, for people to read
    report = read_contract(Path(stage["paths"]["metrics"]) / "validate.json", ValidationReport)
    assert report.success is False and report.suites["claims"].failed == 1
    negative = failure(report, "claims", "amount", "expect_column_values_to_be_between")
    assert negative.unexpected_count == 1 and negative.examples == [-5.0]
    assert "medcost data-quality gate: FAILED" in (Path(stage["paths"]["data_docs"]) / "index.html").read_text()


def test_a_null_client_key_is_caught(pipeline, models, small_source):
    with sqlite3.connect(small_source["path"]) as con:
        client = con.execute(f"SELECT {CLIENT}").fetchone()[0]
    statements = [*UNCONSTRAINED_CLIENTS, f"UPDATE clients SET client_id = NULL WHERE client_id = {client}"]
    error, _, stage = pipeline(*statements, stages=("fingerprint", "extract"))
    assert error is None
    extract, transform, cfg = models
    raw = Path(stage["paths"]["raw"])
    report = validate.run_suites(
        validate.raw_batches(
            extract,
            transform,
            cfg,
            validate.read_raw(raw / "clients.parquet"),
            validate.read_raw(raw / "claims.parquet"),
        )
    )
    assert failure(report, "clients", "client_id", "expect_column_values_to_not_be_null").unexpected_count == 1
    # the client's claims now belong to no client
    assert failure(report, "claims_clients", validate.RELATION_COLUMN, "expect_column_values_to_be_null").examples == [
        client
    ]

    # through the pipeline: transform skips the keyless row, validate names it
    error, written, _ = pipeline(*statements, stages=("transform", "load", "validate"))
    assert error is not None and written is not None
    failure(written, "clients", "client_id", "expect_column_values_to_not_be_null")


def test_amounts_multiplied_by_100_move_the_target_out_of_bounds(pipeline):
    error, report, _ = pipeline("UPDATE claims SET amount = amount * 100")
    assert error is not None and report is not None
    failure(report, "features", "target_cost", "expect_column_mean_to_be_between")
    # ... and the largest claims pass validate.max_claim_amount (and a client-year or two, at the earlier cutoffs
    # too, validate.max_history_cost); nothing else is blamed
    failure(report, "claims", "amount", "expect_column_values_to_be_between")
    history = {
        ("features", f.column) for f in report.suites["features"].failures if f.param and "max_history_cost" in f.param
    }
    assert {(name, column) for name, column, _ in failures(report)} - history == {
        ("features", "target_cost"),
        ("claims", "amount"),
    }


# a claim paid in H1 2024 (a history year of the training and the scoring rows; maybe the target of the 2024 cutoff
# the backtest reads)
HISTORY_CLAIM = "(SELECT min(claim_id) FROM claims WHERE paid_date >= '2024-01-01' AND paid_date < '2024-07-01')"


def test_a_billion_dollar_history_claim_breaks_the_absolute_bounds_named_by_their_params(pipeline):
    error, report, _ = pipeline(f"UPDATE claims SET amount = 1000000000 WHERE claim_id = {HISTORY_CLAIM}")
    assert error is not None and report is not None
    amount = failure(report, "claims", "amount", "expect_column_values_to_be_between")
    assert amount.param == "validate.max_claim_amount = 1e+07" and amount.examples == [1e9]
    costs = {f.column for f in report.suites["features"].failures if f.param == "validate.max_history_cost = 5e+07"}
    assert "cost_prev2" in costs or "cost_prev1" in costs, report.suites["features"].failures
    message = str(error)
    assert (
        "claims.amount expect_column_values_to_be_between (1 row(s), e.g. 1000000000.0; bound validate.max_claim_amount = 1e+07)"
        in message
    )


def test_a_target_quantile_bound_names_its_param_the_bound_and_the_observed_value(pipeline):
    error, report, _ = pipeline("UPDATE claims SET amount = amount * 100")
    assert error is not None and report is not None
    shown = [validate.describe_failure(f, "features") for f in report.suites["features"].failures]
    quantile = [line for line in shown if "validate.target.quantiles.0.9 high = 200000" in line]
    assert quantile and ", quantile 0.9 = " in quantile[0], shown


# ----------------------------------------------------------------------------- corruptions the extract stops


def source_frames(url: str, extract: ExtractParams) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tables as pandas reads them, cut to the extract window (what a loosened extract would keep)."""
    engine = create_engine(url)
    clients = pd.read_sql_table("clients", engine)
    claims = pd.read_sql_table("claims", engine)
    start, as_of = pd.Timestamp(extract.history_start), pd.Timestamp(extract.as_of)
    if "paid_date" in claims.columns:
        claims = claims[(claims["paid_date"] >= start) & (claims["paid_date"] < as_of)]
    if {"enrolled_from", "enrolled_to"} <= set(clients.columns):
        in_window = clients["enrolled_to"].isna() | (clients["enrolled_to"] >= start)
        if "client_id" in claims.columns:  # or left before it with a claim paid in it (sql/clients.sql)
            in_window |= clients["client_id"].isin(claims["client_id"])
        clients = clients[(clients["enrolled_from"] < as_of) & in_window]
    return clients.reset_index(drop=True), claims.reset_index(drop=True)


def test_the_source_read_by_pandas_passes_when_clean(small_source, models):
    extract, transform, cfg = models
    report = validate.run_suites(
        validate.raw_batches(extract, transform, cfg, *source_frames(small_source["url"], extract))
    )
    assert report.success, validate.failure_message(report)


@pytest.mark.parametrize(
    ("statements", "extract_error", "expected", "observed"),
    [
        pytest.param(
            ["ALTER TABLE clients DROP COLUMN bmi"],
            "clients: query failed: no such column: bmi",
            ("clients", None, "expect_table_columns_to_match_set"),
            {"missing": ["bmi"]},
            id="dropped-column",
        ),
        pytest.param(
            ["DELETE FROM claims"],
            "claims: the query returned no rows",
            ("claims", None, "expect_table_row_count_to_be_between"),
            0,
            id="empty-claims",
        ),
        pytest.param(
            [f"UPDATE claims SET amount = 'n/a' WHERE claim_id = {FIRST_CLAIM}"],
            "claims.amount: expected float, found 1 value(s) that are not: 'n/a'",
            ("claims", "amount", "expect_column_type_to_be"),
            "object",
            id="text-in-numeric-column",
        ),
    ],
)
def test_a_corruption_the_extract_stops_is_caught_by_the_suites_too(
    small_source, params, models, tmp_path, statements, extract_error, expected, observed
):
    url = copy_source(small_source, tmp_path, *statements)
    with pytest.raises(MedcostError) as err:
        run_extract(url, params, tmp_path / "raw")
    assert extract_error in str(err.value)

    extract, transform, cfg = models
    report = validate.run_suites(validate.raw_batches(extract, transform, cfg, *source_frames(url, extract)))
    assert not report.success
    assert failure(report, *expected).observed == observed
    failed = sum(len(suite.failures) for suite in report.suites.values())
    assert validate.failure_message(report).startswith(f"{failed} expectation(s) failed")


# ----------------------------------------------------------------------------- validations about the validation


def clean_raw(small_source, models) -> list[validate.Batch]:
    extract, transform, cfg = models
    return validate.raw_batches(extract, transform, cfg, *source_frames(small_source["url"], extract))


def test_a_column_no_expectation_covers_is_a_gap(small_source, models):
    batches = clean_raw(small_source, models)
    clients = batches[0]
    batches[0] = validate.Batch(clients.name, clients.frame.assign(shoe_size=42.0), clients.suite)
    report = validate.run_suites(batches)
    assert "clients.shoe_size: no expectation covers this column" in report.meta.problems
    assert not report.success
    assert "validation incomplete: clients.shoe_size: no expectation covers this column" in validate.failure_message(
        report
    )


def test_an_expectation_that_raises_is_a_gap(small_source, models):
    import great_expectations.expectations as gxe

    batches = clean_raw(small_source, models)
    claims = batches[1]
    claims.suite.add_expectation(gxe.ExpectColumnValuesToBeBetween(column="no_such_column", min_value=0))
    report = validate.run_suites(batches)
    assert any(
        p.startswith("claims.no_such_column expect_column_values_to_be_between raised:") for p in report.meta.problems
    ), report.meta.problems
    assert failure(report, "claims", "no_such_column", "expect_column_values_to_be_between").error
    assert report.meta.results == report.meta.expectations


def test_a_validation_that_does_not_run_is_a_gap(small_source, models):
    batches = clean_raw(small_source, models)
    batches[2] = validate.Batch("claims_clients", "not a data frame", batches[2].suite)  # not a data frame on purpose
    report = validate.run_suites(batches)
    assert any(p.startswith("claims_clients: the validation did not run") for p in report.meta.problems)
    assert report.meta.results < report.meta.expectations
    assert not report.success


def test_the_results_file_is_reread_and_checked(tmp_path):
    failed = ExpectationFailure(
        expectation="expect_column_values_to_be_between",
        column="amount",
        unexpected_count=1,
        unexpected_percent=0.0033,
        examples=[1168223.0],
    )
    good = ValidationReport(
        success=False,
        meta=ValidationMeta(expectations=2, results=2, problems=[]),
        suites={
            "claims": SuiteResult(
                rows=10, expectations=2, evaluated=2, passed=1, failed=1, success_percent=50.0, failures=[failed]
            )
        },
    )
    validate.write_report(tmp_path / "validate.json", good)
    assert read_contract(tmp_path / "validate.json", ValidationReport) == good
    assert json.loads((tmp_path / "validate.json").read_text())["suites"]["claims"]["failures"][0] == {
        "expectation": "expect_column_values_to_be_between",
        "column": "amount",
        "unexpected_count": 1,
        "unexpected_percent": 0.0033,
        "examples": [1168223.0],
    }  # not rounded: a value a person looks up
    bad = good.model_copy(deep=True)
    bad.suites["claims"].passed = 2  # counts that do not add up
    with pytest.raises(MedcostError, match=r"incomplete: .*suites\.claims: .*2 passed \+ 1 failed != 2 evaluated"):
        validate.write_report(tmp_path / "validate.json", bad)


def test_data_docs_that_miss_a_suite_are_a_gap(tmp_path):
    (tmp_path / "index.html").write_text('<a href="expectations/clients.html">clients</a>')
    problems = validate.check_data_docs(tmp_path, ["clients"])
    assert problems == [
        "Data Docs: index.html does not link the clients suite",
        "Data Docs: index.html does not link the clients validation results",
    ]
    assert validate.check_data_docs(tmp_path / "nowhere", ["clients"]) == ["Data Docs: index.html was not written"]


# ----------------------------------------------------------------------------- suites and params


def test_suites_are_built_from_params(models):
    extract, transform, cfg = models
    features = validate.features_suite(extract, transform, cfg, rows=10, clients=5)
    kinds = validate.feature_kinds(transform)
    columns = {e.configuration.kwargs.get("column") for e in features.expectations}
    assert set(kinds) <= columns  # every feature column has expectations (type, null rate...)
    region = [
        e
        for e in features.expectations
        if e.configuration.kwargs.get("column") == "region"
        and e.configuration.type == "expect_column_values_to_be_in_set"
    ]
    assert region[0].configuration.kwargs["value_set"] == cfg.value_sets["region"]


def test_a_null_rate_for_an_unknown_column_is_named(params, models):
    extract, transform, _ = models
    bad = copy.deepcopy(params["validate"])
    bad["null_rates"]["clients.bmx"] = 0.1
    with pytest.raises(MedcostError, match=r"validate.null_rates.clients.bmx: no such column in clients"):
        validate.clients_suite(extract, transform, ValidateParams.model_validate(bad))


def test_typing_never_coerces():
    frame = pd.DataFrame(
        {
            "n": pd.Series([1, "n/a"], dtype=object),
            "i": [1.0, None],
            "d": pd.Series(["2024-01-01", "2024-01-02"], dtype=object),
            "b": pd.Series([True, None], dtype=object),
        }
    )
    typed = validate.typed_frame(frame, {"n": "float", "i": "int", "d": "date", "b": "bool"})
    assert typed["n"].dtype == object  # text stays text: the type expectation names it
    assert str(typed["i"].dtype) == "Int64"
    assert typed["d"].dtype == object  # dates as text are not dates
    assert str(typed["b"].dtype) == "boolean"
    assert frame["i"].dtype == "float64"  # the input is not modified


def test_great_expectations_is_not_imported_by_medcost():
    import subprocess
    import sys

    code = (
        "import sys, medcost.validate, medcost.core.params, medcost.core.features, stages.validate; "
        "print(any(m.startswith('great_expectations') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_repository_params_are_valid(params):
    cfg = section(params, "validate", ValidateParams)
    assert set(cfg.value_sets) >= set(section(params, "transform", TransformParams).categorical)


def test_sqlite_copy_is_really_corrupted(small_source, tmp_path):
    """Guards the SQL above: the unconstrained clients table accepts a NULL key."""
    url = copy_source(
        small_source,
        tmp_path,
        *UNCONSTRAINED_CLIENTS,
        f"UPDATE clients SET client_id = NULL WHERE client_id = {CLIENT}",
    )
    with sqlite3.connect(url.removeprefix("sqlite:///")) as con:
        assert con.execute("SELECT count(*) FROM clients WHERE client_id IS NULL").fetchone()[0] == 1
