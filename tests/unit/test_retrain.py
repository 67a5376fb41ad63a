"""The scheduled retraining: its workflow (lint, triggers, step order) and ``make as-of`` on a copy of params.yaml."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from medcost.core.errors import MedcostError
from medcost.core.params import ExtractParams, section
from medcost.core.params_check import check_params
from medcost.report.as_of import latest_new_year, move_as_of, with_as_of
from tests.workflow_support import linted_workflow, step_index

ROOT = Path(__file__).resolve().parents[2]
AS_OF_LINE = "  as_of: '2026-01-01'  "  # the start of params.yaml's as_of line (its comment follows)


@pytest.fixture()
def params_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "params.yaml"
    copy.write_bytes((ROOT / "params.yaml").read_bytes())
    assert copy.read_text().count(AS_OF_LINE) == 1, "params.yaml's extract.as_of is no longer 2026-01-01"
    return copy


def as_of_tool(params: Path, *today: str) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "medcost.report.as_of", "--params", str(params)]
    return subprocess.run(
        [*args, *today], capture_output=True, text=True, cwd=params.parent, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )


# ------------------------------------------------------------------ the workflow


def test_the_retrain_workflow_is_valid_scheduled_and_moves_as_of_runs_reports_then_opens_a_pr():
    spec = linted_workflow("retrain.yaml")
    assert spec["on"]["schedule"][0]["cron"].split()[2:] == ["2", "*", "*"]  # monthly, on the 2nd
    assert spec["on"]["workflow_dispatch"]["inputs"]["today"]["required"] is False
    assert spec["permissions"] == {"contents": "write", "pull-requests": "write"}
    assert spec["concurrency"]["group"].startswith("retrain-")
    job = spec["jobs"]["retrain"]
    assert job["env"]["MEDCOST_SOURCE_URL"] == "${{ secrets.MEDCOST_SOURCE_URL }}"
    steps = job["steps"]
    assert steps[step_index(steps, uses="actions/checkout@")]["with"]["fetch-depth"] == 0
    python = steps[step_index(steps, uses="actions/setup-python@")]["with"]
    assert (python["python-version"], python["cache"]) == ("3.11", "pip")
    step_index(steps, uses="iterative/setup-cml@")
    as_of, run = step_index(steps, run="make as-of"), step_index(steps, run="make run")
    assert "${{" not in steps[as_of]["run"]  # the dispatch input comes in through the environment
    assert steps[as_of]["env"]["TODAY"] == "${{ inputs.today }}"
    report = step_index(steps, run="make report BASE=origin/${{ github.ref_name }}")
    artifact = step_index(steps, uses="actions/upload-artifact@")
    pr = step_index(steps, run='url="$(cml pr create')
    assert as_of < run < report < artifact < pr
    assert "report.md" in steps[artifact]["with"]["path"]
    script = steps[pr]["run"]
    assert "params.yaml dvc.lock metrics plots dvclive" in script
    assert 'cml comment create --target="pr/${url##*/}" --publish report.md' in script
    assert steps[pr]["env"] == {"REPO_TOKEN": "${{ secrets.GITHUB_TOKEN }}"}
    secrets = {
        line.split("secrets.")[1].split()[0]
        for line in (ROOT / ".github/workflows/retrain.yaml").read_text().splitlines()
        if "secrets." in line and not line.lstrip().startswith("#")
    }
    assert secrets == {"GITHUB_TOKEN", "MEDCOST_SOURCE_URL"}


# ------------------------------------------------------------------ make as-of


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        ("2026-01-01", "2026-01-01"),
        ("2026-12-31", "2026-01-01"),
        ("2027-01-01", "2027-01-01"),
        ("2028-02-29", "2028-01-01"),
    ],
)
def test_the_latest_new_year_is_on_or_before_today(today: str, expected: str):
    assert latest_new_year(dt.date.fromisoformat(today)) == dt.date.fromisoformat(expected)


def test_as_of_already_current_leaves_the_file_untouched(params_copy: Path):
    before, stat = params_copy.read_bytes(), params_copy.stat()
    done = as_of_tool(params_copy, "--today", "2026-12-02")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("extract.as_of: 2026-01-01 (already the latest 1 January on or before 2026-12-02")
    assert params_copy.read_bytes() == before and params_copy.stat().st_mtime_ns == stat.st_mtime_ns


def test_as_of_moves_to_the_latest_new_year_changing_only_that_line(params_copy: Path):
    before = params_copy.read_text()
    done = as_of_tool(params_copy, "--today", "2027-03-05")
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "extract.as_of: 2026-01-01 -> 2027-01-01 (history from 2022-01-01, training year 2026, scoring year 2027)\n"
    )
    after = params_copy.read_text()
    assert after == before.replace(AS_OF_LINE, "  as_of: '2027-01-01'  ")  # the rest of the file byte for byte
    params = yaml.safe_load(after)
    check_params(params, str(params_copy))
    extract = section(params, "extract", ExtractParams)
    assert (extract.as_of, extract.history_start) == (dt.date(2027, 1, 1), dt.date(2022, 1, 1))
    assert not [p for p in params_copy.parent.iterdir() if p.name != "params.yaml"]  # no temporary left


@pytest.mark.parametrize("today", ["2027-13-05", "03/05/2027", "tomorrow"])
def test_a_bad_today_is_one_line_naming_the_flag_and_changes_nothing(params_copy: Path, today: str):
    before = params_copy.read_bytes()
    done = as_of_tool(params_copy, "--today", today)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == f"error: as_of: --today {today!r}: not a date (YYYY-MM-DD)\n"
    assert params_copy.read_bytes() == before


def test_as_of_never_moves_back(params_copy: Path):
    before = params_copy.read_bytes()
    with pytest.raises(MedcostError, match=r"extract.as_of = 2026-01-01 is after 2025-06-30: .* never moves back"):
        move_as_of(params_copy, dt.date(2025, 6, 30))
    assert params_copy.read_bytes() == before


def test_a_file_the_yaml_writer_would_reformat_is_refused_with_its_line_and_left_alone(params_copy: Path):
    text = params_copy.read_text().replace("  key:\n  - client_id\n  - year\n", "  key:\n    - client_id\n    - year\n")
    params_copy.write_text(text)
    line = text.splitlines().index("    - client_id") + 1
    with pytest.raises(MedcostError, match=rf"would also rewrite line {line}; lay the file out as DVC writes it"):
        move_as_of(params_copy, dt.date(2027, 3, 5))
    assert params_copy.read_text() == text


def test_a_move_that_breaks_the_params_is_refused_naming_the_key():
    text = (ROOT / "params.yaml").read_text().replace("  history_years: 5 ", "  history_years: 0 ")
    with pytest.raises(MedcostError, match=r"extract.history_years"):
        with_as_of(text, dt.date(2027, 1, 1))
