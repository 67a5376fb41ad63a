"""The monitor: predictions scored against planted actual costs, the verdict, its webhook payload and its reads.

The frames are built so the answer is known: actual costs equal to the predictions plus noise
are "as expected"; the same costs doubled (a planted degradation) misprice the book and are
degraded; a year without costs is pending. The reads run on a real Delta table written by
predict's own upsert and on a real MLflow store.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from medcost.core.contracts import (
    Backtest,
    BacktestData,
    BacktestScores,
    Expectation,
    FamilyBacktest,
    MonitorVerdict,
    read_contract,
    write_contract,
)
from medcost.core.errors import MedcostError
from medcost.core.metrics import cost_scores
from medcost.core.numbers import round_floats
from medcost.core.params_monitor import MonitorParams
from medcost.monitor import degraded_event, monitor, read_actuals, read_predictions, version_expectation
from medcost.predict import upsert_predictions
from medcost.promote import run_metrics

KEY = ["client_id", "year"]
CFG = MonitorParams(max_r2_drop=0.1, max_total_ratio_error=0.1, min_rows=100)
EXPECTED_R2 = 0.5
EXPECTED = Expectation(source="backtest", r2=EXPECTED_R2, rmse=1000.0, mae=500.0, total_ratio=1.0)


def predictions(year: int, version: int, rows: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "client_id": np.arange(rows, dtype="int64"),
            "year": np.int64(year),
            "predicted_cost": rng.gamma(2.0, 2000.0, rows),
            "model_version": np.int64(version),
        }
    )


def actuals_of(predicted: pd.DataFrame, scale: float = 1.0, seed: int = 1) -> pd.DataFrame:
    """Costs a good model predicted: the prediction plus centred noise (R² about 0.6), times ``scale``."""
    rng = np.random.default_rng(seed)
    cost = predicted["predicted_cost"].to_numpy() + rng.normal(0.0, 2200.0, len(predicted))
    return pd.DataFrame(
        {"client_id": predicted["client_id"], "year": predicted["year"], "target_cost": np.clip(cost, 0, None) * scale}
    )


def run(preds: pd.DataFrame, actuals: pd.DataFrame, expectations: dict[int, Expectation] | None = None) -> Any:
    return monitor(
        preds,
        actuals,
        {1: EXPECTED} if expectations is None else expectations,
        CFG,
        key=KEY,
        target="target_cost",
        model_name="medcost",
        cap=250_000.0,
        deciles=10,
    )


def test_predictions_as_good_as_expected_are_kept():
    preds = predictions(2026, 1)
    verdict = run(preds, actuals_of(preds))
    assert verdict.recommendation == "keep" and not verdict.degraded
    (year,) = verdict.checked
    assert (year.year, year.model_version, year.rows, year.unmatched) == (2026, 1, 2000, 0)
    assert year.scores.r2 is not None and year.scores.r2 > EXPECTED_R2 - CFG.max_r2_drop
    assert year.scores.total_ratio == pytest.approx(1.0, abs=0.05)
    assert degraded_event(verdict) is None


def test_a_planted_degradation_recommends_retraining_with_the_numbers():
    preds = predictions(2026, 1)
    actual = actuals_of(preds, scale=2.0)  # costs doubled: the model prices half of the book
    verdict = run(preds, actual)
    assert verdict.degraded and verdict.recommendation == "retrain"
    (year,) = verdict.checked
    expected = cost_scores(
        actual["target_cost"].to_numpy(), preds["predicted_cost"].to_numpy(), cap=250_000.0, deciles=10
    )
    assert year.scores == expected  # the backtest's own scores of the same rows
    assert year.scores.total_ratio == pytest.approx(0.5, abs=0.03)
    assert expected.r2 is not None and year.r2_drop == pytest.approx(EXPECTED_R2 - expected.r2)
    assert any("below the expected 0.500 (backtest" in r for r in year.reasons)
    assert any("of the actual total cost" in r for r in year.reasons)
    event = degraded_event(verdict)
    assert event is not None and event["event"] == "model_degraded"
    assert event["degraded"][0]["total_ratio"] == round_floats(year.scores.total_ratio)  # as monitor.json has it
    assert event["degraded"][0]["expected_r2"] == 0.5 and "2026 by version 1" in event["message"]


def test_years_without_actual_costs_are_pending_and_each_version_is_judged_on_its_own():
    old, new, future = predictions(2026, 1), predictions(2026, 2, seed=5), predictions(2027, 2)
    actual = actuals_of(old)
    verdict = run(pd.concat([future, new, old]), actual, {1: EXPECTED, 2: EXPECTED})
    assert [(y.year, y.model_version) for y in verdict.checked] == [(2026, 1), (2026, 2)]
    assert verdict.checked[0].degraded is False
    assert verdict.checked[1].degraded is True  # version 2's predictions do not follow these costs
    assert [(p.year, p.model_version, p.rows) for p in verdict.pending] == [(2027, 2, 2000)]
    nothing = run(future, actual)
    assert nothing.recommendation == "wait" and not nothing.checked
    assert (
        nothing.message == "no predicted year has its actual costs yet (1 predicted year(s) still without actual costs)"
    )


def test_clients_without_costs_are_counted_and_a_small_year_is_not_judged():
    preds = predictions(2026, 1)
    actual = actuals_of(preds, scale=2.0)
    verdict = run(preds, actual.iloc[:1950])
    assert verdict.checked[0].unmatched == 50
    small = run(preds.iloc[:50], actual.iloc[:50])
    assert small.checked[0].rows == 50 and not small.degraded and small.recommendation == "keep"


def test_without_an_expectation_only_the_price_of_the_book_is_judged():
    preds = predictions(2026, 1)
    fine = run(preds, actuals_of(preds, scale=0.97), {})
    assert fine.checked[0].expected.source == "none" and not fine.degraded
    assert run(preds, actuals_of(preds, scale=1.5), {}).degraded


def test_bad_input_names_the_table_and_column():
    preds = predictions(2026, 1)
    with pytest.raises(MedcostError, match=r"^predictions table: column\(s\) model_version missing"):
        run(preds.drop(columns="model_version"), actuals_of(preds))
    with pytest.raises(MedcostError, match=r"^published feature table: column\(s\) target_cost missing"):
        run(preds, actuals_of(preds).drop(columns="target_cost"))
    actual = actuals_of(preds)
    with pytest.raises(MedcostError, match="duplicate keys"):
        run(preds, pd.concat([actual, actual.iloc[:1]]))


def test_the_verdict_round_trips_through_its_contract(tmp_path):
    preds = predictions(2026, 1)
    verdict = run(preds, actuals_of(preds, scale=2.0))
    write_contract(tmp_path / "monitor.json", verdict)
    again = read_contract(tmp_path / "monitor.json", MonitorVerdict)
    assert again.degraded and again.checked[0].reasons == verdict.checked[0].reasons


def test_the_expectation_is_the_backtest_mean_else_the_test_set():
    assert Expectation.from_run_metrics({"test.r2": 0.3, "test.rmse": 9.0, "backtest.r2": 0.25}).source == "backtest"
    test = Expectation.from_run_metrics({"test.r2": 0.3, "test.rmse": 9.0, "test.mae": 4.0, "test.total_ratio": 1.1})
    assert (test.source, test.r2, test.rmse, test.mae, test.total_ratio) == ("test", 0.3, 9.0, 4.0, 1.1)
    assert Expectation.from_run_metrics({"gate.r2": 0.3}).source == "none"


def test_promote_logs_the_candidates_backtest_mean_as_its_expectation():
    from tests.registry_support import evaluation, quality

    scores = BacktestScores(
        r2=0.21, rmse=9.0, mae=4.0, r2_capped=0.3, gini=0.4, total_ratio=0.98, predictive_ratio={"1": 1.2}
    )
    backtest = Backtest(
        data=BacktestData(years=[2024, 2025], training_years=1, cap=250_000.0, rows={}),
        models={"tree": FamilyBacktest(mean=scores, years={})},
    )
    metrics = run_metrics(evaluation(), quality(), "tree", backtest)
    assert metrics["backtest.r2"] == 0.21 and metrics["backtest.gini"] == 0.4
    assert not any(k.startswith("backtest.predictive_ratio") for k in metrics)
    assert Expectation.from_run_metrics(metrics) == Expectation(
        source="backtest", r2=0.21, rmse=9.0, mae=4.0, total_ratio=0.98
    )
    assert "backtest.r2" not in run_metrics(evaluation(), quality(), "linear", backtest)


def test_reads_every_champions_predictions_from_predicts_delta_table(tmp_path):
    table = tmp_path / "predictions"
    assert read_predictions(table, KEY).empty  # predict never published
    first, second = predictions(2026, 1, rows=300), predictions(2027, 2, rows=200)
    for preds in (first, second):
        upsert_predictions(preds.assign(model_name="medcost"), table, KEY)
    read = read_predictions(table, KEY).sort_values(["model_version", "client_id"], ignore_index=True)
    pd.testing.assert_frame_equal(read, pd.concat([first, second], ignore_index=True), check_dtype=False)


def test_reads_only_the_known_costs_of_the_predicted_years(tmp_path):
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    rows = pd.DataFrame(
        {
            "client_id": [1, 2, 1, 2, 1],
            "year": [2025, 2025, 2026, 2026, 2027],
            "age": [40, 50, 41, 51, 42],
            "target_cost": [10.0, 20.0, 30.0, None, None],  # 2027: the scoring rows, no cost yet
        }
    )
    pq.write_table(pa.Table.from_pandas(rows), tmp_path / "rows.parquet")
    read = read_actuals(ds.dataset(tmp_path / "rows.parquet"), [2026, 2027], KEY, "target_cost")
    assert read.to_dict("records") == [{"client_id": 1, "year": 2026, "target_cost": 30.0}]


def test_reads_a_versions_expectation_from_its_mlflow_run(store):
    from medcost.promote import mlflow_session

    with mlflow_session(store) as client:
        experiment = client.create_experiment("monitor-test")
        run = client.create_run(experiment)
        for name, value in {"test.r2": 0.3, "backtest.r2": 0.22, "backtest.rmse": 11.0}.items():
            client.log_metric(run.info.run_id, name, value)
        client.create_registered_model("medcost")
        version = client.create_model_version("medcost", f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
        got = version_expectation(client, "medcost", int(version.version))
        assert (got.source, got.r2, got.rmse) == ("backtest", 0.22, 11.0)
        assert version_expectation(client, "medcost", 99).source == "none"  # not in this store
