"""Monitoring against actuals with real `dvc`: predict a year, add that year's claims to the source, monitor it.

The source is a six-year demo database (2021-2026) with every claim paid in 2026 held back, so
on 1 January 2026 the insurer knows 2021-2025 and the champion predicts 2026. Then the 2026
claims arrive (``INSERT`` into the source) and ``extract.as_of`` moves to 2027: the monitor
scores version 1's 2026 predictions against those costs. With the true claims it keeps the
model; with the claims' amounts doubled (a planted degradation) it recommends retraining and
the webhook receives the numbers.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from medcost.core.contracts import MonitorVerdict, read_contract
from tests.source_support import demo_source
from tests.webhook_support import serving_hook

pytestmark = pytest.mark.e2e

ARRIVED = "paid_date >= '2026-01-01'"


@pytest.fixture(scope="module")
def small_source(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Overrides the shared source: 1,500 clients over 2021-2026, the claims paid in 2026 moved aside."""
    source = demo_source(tmp_path_factory.mktemp("source"), years=6)
    db = source["path"]
    with sqlite3.connect(db) as conn:
        conn.execute(f"CREATE TABLE arrived AS SELECT * FROM claims WHERE {ARRIVED}")
        conn.execute(f"DELETE FROM claims WHERE {ARRIVED}")
    return source


def arrive(db: Path, scale: float) -> None:
    """The 2026 claims reach the source (their amounts times ``scale``), replacing any earlier arrival."""
    with sqlite3.connect(db) as conn:
        conn.execute(f"DELETE FROM claims WHERE {ARRIVED}")
        conn.execute(
            "INSERT INTO claims SELECT claim_id, client_id, service_date, paid_date, category, "
            f"ROUND(amount * {scale}, 2) FROM arrived"
        )


def verdict(repo) -> MonitorVerdict:
    return read_contract(repo.path / "metrics/monitor.json", MonitorVerdict)


@pytest.fixture(scope="module")
def predicted(repo):
    repo.dvc("repro")  # the whole pipeline on 1 January 2026: version 1 predicts 2026
    return repo


def test_before_the_year_is_over_the_predictions_wait(predicted):
    found = verdict(predicted)
    assert found.recommendation == "wait" and not found.checked
    assert [(p.year, p.model_version) for p in found.pending] == [(2026, 1)]
    predictions = json.loads((predicted.path / "metrics/predict.json").read_text())
    assert found.pending[0].rows == predictions["rows"]


def test_the_years_claims_arrive_and_the_champion_is_judged_against_them(predicted, small_source):
    repo = predicted
    repo.set_param("extract.as_of", "'2027-01-01'")
    arrive(small_source["path"], scale=1.0)
    repo.dvc("repro", "monitor")
    kept = verdict(repo)
    (year,) = kept.checked
    assert (year.year, year.model_version) == (2026, 1)
    assert year.rows > 1000 and year.expected.source == "test"  # backtest.years = 0: the test-set scores
    assert not year.degraded, year.reasons
    assert kept.recommendation == "keep"

    arrive(small_source["path"], scale=2.0)  # planted: the year cost twice what anyone could have known
    with serving_hook() as hook:
        repo.dvc("repro", "monitor", env={"MEDCOST_WEBHOOK_URL": hook.url})
    degraded = verdict(repo)
    (year,) = degraded.checked
    assert degraded.degraded and degraded.recommendation == "retrain"
    assert year.scores.total_ratio is not None and year.scores.total_ratio < 0.6
    assert any("of the actual total cost" in reason for reason in year.reasons)
    events = [r["json"] for r in hook.received if r["json"].get("event") == "model_degraded"]
    assert len(events) == 1 and events[0]["degraded"][0]["year"] == 2026
    assert events[0]["degraded"][0]["total_ratio"] == year.scores.total_ratio
