"""Each snapshot is compared with the profile of the last accepted one: plausible bad data is rejected, naming what moved.

The real stages run in-process (fingerprint, extract, transform, load, validate) on a clean copy
of the demo source, which is accepted and published with its profile; then on a corrupted copy.
Each corruption below passed every fixed rule before profiles were kept.
"""

from __future__ import annotations

import copy
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from medcost.core.contracts import PublishedSnapshot, ValidationReport, read_contract
from medcost.core.errors import MedcostError
from medcost.validate import FIRST_RUN_MESSAGE
from tests.data.test_publishing import STAGES, run
from tests.data.test_validate import run_stages, stage_params
from tests.unit.test_extract import copy_source

pytestmark = pytest.mark.usefixtures("workspace")


def rejected(
    params: dict[str, Any], small_source: dict[str, Any], folder, *statements: str
) -> tuple[str, ValidationReport]:
    stage = run(params, small_source, folder)  # the accepted snapshot and its profile
    accepted = read_contract(stage["paths"]["published"], PublishedSnapshot)
    assert accepted.profile is not None and accepted.profile.measures
    with pytest.raises(MedcostError) as err:
        run(params, small_source, folder, *statements)
    report = read_contract(f"{stage['paths']['metrics']}/validate.json", ValidationReport)
    assert read_contract(stage["paths"]["published"], PublishedSnapshot) == accepted  # nothing published
    return str(err.value), report


def profile_failures(report: ValidationReport) -> dict[str, str]:
    """Failed profile measure -> its param, from metrics/validate.json."""
    return {str(f.where): str(f.param) for f in report.suites["profile"].failures}


def test_every_smoker_flag_set_is_a_rate_jump(params, small_source, tmp_path):
    message, report = rejected(params, small_source, tmp_path, "UPDATE clients SET smoker = 1")
    assert profile_failures(report) == {"measure == 'clients.smoker.rate'": "validate.profile.max_rate_change = ±0.05"}
    assert (
        "profile.value expect_column_values_to_be_between (1 row(s), e.g. 1.0, where measure == 'clients.smoker.rate'"
        in message
    )
    assert re.search(r"bound validate.profile.max_rate_change = ±0.05, clients.smoker.rate was 0.\d+\)", message)
    assert {name for name, s in report.suites.items() if s.failed} == {"profile"}  # no fixed rule saw it


def test_a_year_of_claims_deleted_is_a_missing_year(params, small_source, tmp_path):
    deleted = "DELETE FROM claims WHERE paid_date >= '2023-01-01' AND paid_date < '2024-01-01'"
    message, report = rejected(params, small_source, tmp_path, deleted)
    failed = profile_failures(report)
    assert failed["measure == 'claims.rows.2023'"] == "validate.profile.max_count_change = ±10%"
    assert (
        "measure == 'claims.per_client_year.2023'" in failed
        and "e.g. 0.0, where measure == 'claims.rows.2023'" in message
    )


def test_one_billion_dollar_history_claim_is_an_outlier_twice(params, small_source, tmp_path):
    claim = "(SELECT min(claim_id) FROM claims WHERE paid_date >= '2024-01-01' AND category = 'pharmacy')"
    message, report = rejected(
        params, small_source, tmp_path, f"UPDATE claims SET amount = 1e9 WHERE claim_id = {claim}"
    )
    assert profile_failures(report)["measure == 'claims.amount.mean.2024.pharmacy'"] == (
        "validate.profile.max_amount_change = ±50%"
    )
    assert "validate.max_claim_amount" in message  # the absolute bound too


def test_the_next_years_snapshot_of_a_sound_source_is_accepted(params, small_source, tmp_path, caplog):
    earlier = copy.deepcopy(params)
    earlier["extract"]["as_of"] = "2025-01-01"
    with caplog.at_level(logging.INFO, logger="medcost.validate.profile"):
        run(earlier, small_source, tmp_path)
    assert FIRST_RUN_MESSAGE in caplog.text  # the first snapshot has nothing to be compared with
    stage = run(params, small_source, tmp_path)  # a year later: the window moved, history is the same
    accepted = read_contract(stage["paths"]["published"], PublishedSnapshot)
    assert accepted.as_of == "2026-01-01" and accepted.profile is not None
    report = read_contract(f"{stage['paths']['metrics']}/validate.json", ValidationReport)
    assert report.suites["profile"].evaluated > 50 and report.suites["profile"].failed == 0


def test_the_profile_is_the_same_bytes_for_the_same_data(params, small_source, tmp_path):
    first = run(params, small_source, tmp_path / "a")
    second = run(params, small_source, tmp_path / "b")
    one = read_contract(first["paths"]["published"], PublishedSnapshot).profile
    two = read_contract(second["paths"]["published"], PublishedSnapshot).profile
    assert one is not None and two is not None and one.source != two.source  # two copies of the source
    assert (
        one.model_copy(update={"source": None}).model_dump_json()
        == two.model_copy(update={"source": None}).model_dump_json()
    )


def test_a_snapshot_of_another_source_starts_the_comparison_over(params, small_source, tmp_path, caplog):
    run(params, small_source, tmp_path / "a")
    paths = run(params, small_source, tmp_path / "a")["paths"]
    smokers = "UPDATE clients SET smoker = 1"  # would be rejected against the first source's profile
    other = stage_params(
        params, tmp_path / "a" / "out", Path(copy_source(small_source, tmp_path, smokers).removeprefix("sqlite:///"))
    )
    with caplog.at_level(logging.INFO, logger="medcost.validate"):
        run_stages(other, *STAGES)
    assert "is of another source" in caplog.text
    accepted = read_contract(paths["published"], PublishedSnapshot).profile
    assert accepted is not None and accepted.measures["clients.smoker.rate"].value == 1.0  # accepted: a new reference
