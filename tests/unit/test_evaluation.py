"""Metrics against values computed by hand on tiny arrays, and the layout of the evaluation output."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from medcost.config import EvaluateParams, TrainLinearParams, TrainTreeParams, section
from medcost.errors import MedcostError
from medcost.evaluation import (decile_table, evaluate_models, oracle_frame, permutation_importances,
                                regression_metrics, round_floats, top_share_captured)
from medcost.models import build_linear_pipeline, build_tree_pipeline, fit

Y = [0.0, 10.0, 20.0, 30.0, 140.0]
P = [5.0, 10.0, 30.0, 20.0, 100.0]


def test_repository_evaluate_params_are_valid(params):
    section(params, "evaluate", EvaluateParams)


def test_regression_metrics_by_hand():
    m = regression_metrics(Y, P, top_share=0.2)
    # errors 5, 0, 10, -10, -40 -> squares 25, 0, 100, 100, 1600 -> mean 365
    assert m["mse"] == pytest.approx(365.0)
    assert m["rmse"] == pytest.approx(math.sqrt(365.0))
    assert m["mae"] == pytest.approx(65.0 / 5)
    # mean 40; squared deviations 1600, 900, 400, 100, 10000 -> variance 2600
    assert m["r2"] == pytest.approx(1 - 365.0 / 2600.0)
    assert m["total_ratio"] == pytest.approx(165.0 / 200.0)
    assert m["top_decile_share"] == pytest.approx(140.0 / 200.0)  # the top 20% (1 of 5) is the 140


def test_perfect_and_constant_predictions():
    perfect = regression_metrics(Y, Y)
    assert perfect["r2"] == 1.0 and perfect["rmse"] == 0.0 and perfect["total_ratio"] == 1.0
    constant = regression_metrics(Y, [40.0] * 5, top_share=0.2)
    assert constant["r2"] == pytest.approx(0.0) and constant["top_decile_share"] == pytest.approx(0.2)


def test_top_share_by_hand_with_ties_pro_rata():
    y = [10.0, 0.0, 50.0, 40.0]
    # top 50% = 2 rows: the highest prediction (the 50), then one of two tied at 3 (costs 10 and 40) counts half each
    assert top_share_captured(y, [3.0, 1.0, 9.0, 3.0], share=0.5) == pytest.approx((50 + 0.5 * (10 + 40)) / 100)
    # a fraction of a row counts pro rata: top 10% of 4 rows = 0.4 of the best-predicted row
    assert top_share_captured(y, [1.0, 2.0, 4.0, 3.0], share=0.1) == pytest.approx(0.4 * 50 / 100)
    order = [3, 0, 2, 1]
    assert top_share_captured(np.array(y)[order], np.array([3.0, 1.0, 9.0, 3.0])[order], 0.5) == pytest.approx(0.75)
    assert math.isnan(top_share_captured([0.0, 0.0], [1.0, 2.0]))


def test_metric_input_errors():
    with pytest.raises(MedcostError, match="3 actual values but 2 predictions"):
        regression_metrics([1, 2, 3], [1, 2])
    with pytest.raises(MedcostError, match="no rows"):
        regression_metrics([], [])


def test_decile_table_by_hand():
    y = np.arange(10, dtype=float) * 10  # 0..90
    p = np.arange(10, dtype=float)[::-1]  # predicted in reverse: the lowest prediction has the highest cost
    table = decile_table(y, p, groups=5)
    assert table["decile"].tolist() == [1, 2, 3, 4, 5] and table["rows"].tolist() == [2] * 5
    assert table["mean_predicted"].tolist() == [0.5, 2.5, 4.5, 6.5, 8.5]
    assert table["mean_actual"].tolist() == [85.0, 65.0, 45.0, 25.0, 5.0]


def test_round_floats_six_significant_digits_nested():
    data = {"a": 123456789.0, "b": [0.000123456789, np.float64(2.0 / 3.0)], "c": {"d": np.int64(3), "e": 0.0},
            "f": float("nan"), "g": "text"}
    out = round_floats(data)
    assert out["a"] == 123457000.0 and out["b"] == [0.000123457, 0.666667]
    assert out["c"] == {"d": 3, "e": 0.0} and isinstance(out["c"]["d"], int)
    assert math.isnan(out["f"]) and out["g"] == "text"
    json.dumps(out)  # plain types only


def test_oracle_needs_every_test_row():
    test = pd.DataFrame({"client_id": [1, 2], "year": [2025, 2025]})
    truth = pd.DataFrame({"client_id": [1, 2, 2], "year": [2025, 2025, 2024], "expected_cost": [5.0, 7.0, 1.0]})
    joined = oracle_frame(test, truth, ["client_id", "year"])
    assert joined["expected_cost"].tolist() == [5.0, 7.0]
    assert oracle_frame(test, truth.iloc[1:], ["client_id", "year"]) is None  # client 1 missing: another source
    assert oracle_frame(test, truth.drop(columns=["expected_cost"]), ["client_id", "year"]) is None


COLUMNS = {"numeric": ["age", "cost_prev1"], "categorical": ["region"], "target": "target_cost"}


def toy(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 85, n).astype(float)
    prev = rng.lognormal(6, 1, n)
    cost = np.round(np.exp(4 + 0.04 * age) * rng.gamma(2.0, 0.5, n) + 0.5 * prev, 2)
    return pd.DataFrame({"client_id": np.arange(n) + seed * 1000, "year": 2025, "age": age, "cost_prev1": prev,
                         "region": rng.choice(["north", "south"], n).tolist(), "target_cost": cost})


def test_evaluate_models_layout_and_tables(params):
    tree_cfg = section(params, "train_tree", TrainTreeParams).model_copy(update={"increasing": ["age"],
                                                                                 "min_samples_leaf": 10})
    linear_cfg = section(params, "train_linear", TrainLinearParams)
    train, test = toy(400, 1), toy(100, 2)
    models = {"tree": fit(build_tree_pipeline(tree_cfg, COLUMNS), train, COLUMNS),
              "linear": fit(build_linear_pipeline(linear_cfg, COLUMNS, ["cost_prev1"]), train, COLUMNS)}
    truth = test[["client_id", "year"]].assign(expected_cost=test["target_cost"] * 0.9)
    metrics, tables = evaluate_models(models, train, test, COLUMNS, top_share=0.1, deciles=10, truth=truth,
                                      key=["client_id", "year"])
    assert set(metrics) == {"tree", "linear", "baseline", "oracle", "data"}
    for name in ("tree", "linear", "baseline"):
        assert set(metrics[name]["test"]) == {"r2", "mse", "rmse", "mae", "total_ratio", "top_decile_share"}
        assert set(metrics[name]["train"]) == {"r2", "rmse"}
        assert metrics[name]["test"]["rmse"] == round_floats(metrics[name]["test"]["rmse"])
    assert metrics["baseline"]["train"]["r2"] == 0.0 and metrics["baseline"]["test"]["top_decile_share"] == 0.1
    assert metrics["tree"]["test"]["rmse"] < metrics["baseline"]["test"]["rmse"]
    assert metrics["oracle"]["test"]["total_ratio"] == pytest.approx(0.9)
    assert metrics["data"]["test_rows"] == 100 and metrics["data"]["train_rows"] == 400
    assert list(tables["predictions"].columns) == ["client_id", "year", "actual", "tree", "linear"]
    assert tables["predictions"]["client_id"].tolist() == test["client_id"].tolist()
    assert list(tables["deciles"].columns) == ["decile", "tree_actual", "tree_predicted", "linear_actual", "linear_predicted"]
    assert len(tables["deciles"]) == 10
    assert list(tables["residuals_tree"].columns) == ["predicted", "residual"]
    assert list(tables["predicted_vs_actual"].columns) == ["actual", "tree", "linear"]
    no_oracle, _ = evaluate_models(models, train, test, COLUMNS, top_share=0.1, deciles=10, truth=None)
    assert "oracle" not in no_oracle

    importance = permutation_importances(models["tree"], test[["age", "cost_prev1", "region"]], test["target_cost"],
                                         rows=50, repeats=2, seed=0)
    assert list(importance.columns) == ["feature", "importance", "std"] and len(importance) == 3
    assert importance["importance"].is_monotonic_decreasing
    again = permutation_importances(models["tree"], test[["age", "cost_prev1", "region"]], test["target_cost"],
                                    rows=50, repeats=2, seed=0)
    pd.testing.assert_frame_equal(importance, again)  # seeded
