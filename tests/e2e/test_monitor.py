"""Monitoring against actuals with real `dvc`: predict a year, add that year's claims to the source, monitor it.

The source is a six-year demo database (8,000 clients, 2021-2026) with every claim paid in 2026
held back, so on 1 January 2026 the insurer knows 2021-2025 and the champion predicts 2026. Then
the 2026 claims arrive (``INSERT`` into the source) and ``extract.as_of`` moves to 2027: the
monitor scores version 1's 2026 predictions against those costs. With the true claims it keeps
the model; with every amount doubled (a planted degradation) it recommends retraining and the
webhook receives the numbers. Each case has its own repository and source: once a year's costs
are published, validate's profile rejects a later snapshot that changes them (a paid year is final).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from medcost.core.contracts import MonitorVerdict, read_contract
from tests.source_support import demo_source
from tests.webhook_support import serving_hook

pytestmark = pytest.mark.e2e

ARRIVED = "paid_date >= '2026-01-01'"


@pytest.fixture(scope="module")
def year_ahead(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8,000 clients over 2021-2026 (enough test rows for a steady expectation), the claims paid in 2026 aside."""
    db = demo_source(tmp_path_factory.mktemp("source"), years=6, clients=8000)["path"]
    with sqlite3.connect(db) as conn:
        conn.execute(f"CREATE TABLE arrived AS SELECT * FROM claims WHERE {ARRIVED}")
        conn.execute(f"DELETE FROM claims WHERE {ARRIVED}")
    return db


def arrive(db: Path, scale: float) -> None:
    """The 2026 claims reach the source, their amounts times ``scale``."""
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO claims SELECT claim_id, client_id, service_date, paid_date, category, "
            f"ROUND(amount * {scale}, 2) FROM arrived"
        )


def verdict(repo) -> MonitorVerdict:
    return read_contract(repo.path / "metrics/monitor.json", MonitorVerdict)


@pytest.fixture(scope="module", params=[1.0, 2.0], ids=["true-costs", "doubled-costs"])
def monitored(request, make_repo: Callable, year_ahead: Path, tmp_path_factory) -> dict[str, Any]:
    """One case: the pipeline on 1 January 2026, then the year's claims (times the case's scale) and monitor."""
    db = tmp_path_factory.mktemp("source") / "demo.db"
    shutil.copy2(year_ahead, db)
    repo = make_repo(f"sqlite:///{db}")
    repo.dvc("repro")  # version 1 becomes champion and predicts 2026
    before = verdict(repo)
    predicted = json.loads((repo.path / "metrics/predict.json").read_text())
    repo.set_param("extract.as_of", "'2027-01-01'")
    # the window keeps its start: validate's profile compares the clients' rates between snapshots,
    # and the demo's young population moves them when the window slides
    repo.set_param("extract.history_years", "6")
    arrive(db, request.param)
    with serving_hook() as hook:
        repo.dvc("repro", "monitor", env={"MEDCOST_WEBHOOK_URL": hook.url})
    events = [r["json"] for r in hook.received if r["json"].get("event") == "model_degraded"]
    return {"scale": request.param, "before": before, "after": verdict(repo), "predicted": predicted, "events": events}


def test_before_the_year_is_over_the_predictions_wait(monitored):
    before = monitored["before"]
    assert before.recommendation == "wait" and not before.checked and not before.degraded
    assert [(p.year, p.model_version, p.rows) for p in before.pending] == [(2026, 1, monitored["predicted"]["rows"])]


def test_the_years_costs_arrive_and_the_champion_is_judged_against_them(monitored):
    after = monitored["after"]
    (year,) = after.checked
    assert (year.year, year.model_version) == (2026, 1)
    assert year.rows > 0.9 * monitored["predicted"]["rows"]  # the clients still insured: nearly all
    assert year.expected.source == "test" and year.expected.r2 is not None  # backtest.years = 0: the test set
    if monitored["scale"] == 1.0:
        assert not year.degraded, year.reasons
        assert year.r2_drop is not None and year.r2_drop < 0.1
        assert after.recommendation == "keep" and monitored["events"] == []
    else:  # planted: the year cost twice what anyone could have known
        assert after.degraded and after.recommendation == "retrain"
        assert year.scores.total_ratio is not None and year.scores.total_ratio < 0.6
        assert any("of the actual total cost" in reason for reason in year.reasons)
        (event,) = monitored["events"]
        assert event["degraded"][0]["year"] == 2026 and event["degraded"][0]["model_version"] == 1
        assert event["degraded"][0]["total_ratio"] == year.scores.total_ratio
