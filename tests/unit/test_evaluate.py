"""Deciles and the oracle by hand, bootstrap intervals, the evaluation file evaluate writes, plots and importances."""

import json

import numpy as np
import pandas as pd
import pytest

from medcost.core.contracts import Evaluation, read_contract, write_contract
from medcost.core.features import FeatureSpec
from medcost.core.metrics import RESAMPLE_BUDGET, bootstrap_indices, regression_metrics, resampled_metrics
from medcost.core.numbers import round_floats
from medcost.core.params import EvaluateParams, TrainLinearParams, TrainTreeParams, section
from medcost.evaluate import (
    bootstrap_intervals,
    decile_table,
    evaluate_models,
    importance_tables,
    oracle_frame,
    permutation_importances,
    write_plots,
)
from medcost.train import build_linear_pipeline, build_tree_pipeline, fit


def test_repository_evaluate_params_are_valid(params):
    section(params, "evaluate", EvaluateParams)


def test_decile_table_by_hand():
    y = np.arange(10, dtype=float) * 10  # 0..90
    p = np.arange(10, dtype=float)[::-1]  # predicted in reverse: the lowest prediction has the highest cost
    table = decile_table(y, p, groups=5)
    assert table["decile"].tolist() == [1, 2, 3, 4, 5] and table["rows"].tolist() == [2] * 5
    assert table["mean_predicted"].tolist() == [0.5, 2.5, 4.5, 6.5, 8.5]
    assert table["mean_actual"].tolist() == [85.0, 65.0, 45.0, 25.0, 5.0]


def test_oracle_needs_every_test_row():
    test = pd.DataFrame({"client_id": [1, 2], "year": [2025, 2025]})
    truth = pd.DataFrame({"client_id": [1, 2, 2], "year": [2025, 2025, 2024], "expected_cost": [5.0, 7.0, 1.0]})
    joined = oracle_frame(test, truth, ["client_id", "year"])
    assert joined is not None and joined["expected_cost"].tolist() == [5.0, 7.0]
    assert oracle_frame(test, truth.iloc[1:], ["client_id", "year"]) is None  # client 1 missing: another source
    assert oracle_frame(test, truth.drop(columns=["expected_cost"]), ["client_id", "year"]) is None


SPEC = FeatureSpec(
    key=["client_id", "year"],
    numeric=["age", "cost_prev1"],
    categorical=["region"],
    history=["cost_prev1"],
    target="target_cost",
)


def toy(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 85, n).astype(float)
    prev = rng.lognormal(6, 1, n)
    cost = np.round(np.exp(4 + 0.04 * age) * rng.gamma(2.0, 0.5, n) + 0.5 * prev, 2)
    return pd.DataFrame(
        {
            "client_id": np.arange(n) + seed * 1000,
            "year": 2025,
            "age": age,
            "cost_prev1": prev,
            "region": rng.choice(["north", "south"], n).tolist(),
            "target_cost": cost,
        }
    )


@pytest.fixture(scope="module")
def scored(params):
    tree_cfg = section(params, "train_tree", TrainTreeParams).model_copy(
        update={"increasing": ["age"], "min_samples_leaf": 10}
    )
    linear_cfg = section(params, "train_linear", TrainLinearParams)
    train, test = toy(400, 1), toy(100, 2)
    models = {
        "tree": fit(build_tree_pipeline(tree_cfg, SPEC), train, SPEC),
        "linear": fit(build_linear_pipeline(linear_cfg, SPEC), train, SPEC),
    }
    truth = test[["client_id", "year"]].assign(expected_cost=test["target_cost"] * 0.9)
    evaluation, tables = evaluate_models(
        models, train, test, SPEC, top_share=0.1, deciles=10, truth=truth, bootstrap_samples=200, interval=0.95, seed=3
    )
    return models, train, test, evaluation, tables


def test_evaluate_models_layout_and_tables(scored):
    models, train, test, evaluation, tables = scored
    assert isinstance(evaluation, Evaluation)
    assert list(evaluation.models) == ["tree", "linear", "baseline", "oracle"]
    for name in ("tree", "linear", "baseline"):
        scores = evaluation.scores(name)
        assert scores.train is not None
        assert scores.test.rmse == round_floats(scores.test.rmse)  # rounded as written
    baseline = evaluation.scores("baseline")
    assert baseline.train is not None and baseline.train.r2 == 0.0 and baseline.test.top_decile_share == 0.1
    tree_rmse, baseline_rmse = evaluation.scores("tree").test.rmse, baseline.test.rmse
    assert tree_rmse is not None and baseline_rmse is not None and tree_rmse < baseline_rmse
    oracle = evaluation.scores("oracle")
    assert oracle.train is None and oracle.test.total_ratio == pytest.approx(0.9)
    assert evaluation.data.test_rows == 100 and evaluation.data.train_rows == 400
    assert list(tables["predictions"].columns) == ["client_id", "year", "actual", "tree", "linear"]
    assert tables["predictions"]["client_id"].tolist() == test["client_id"].tolist()
    assert list(tables["deciles"].columns) == [
        "decile",
        "tree_actual",
        "tree_predicted",
        "linear_actual",
        "linear_predicted",
    ]
    assert len(tables["deciles"]) == 10
    assert list(tables["residuals_tree"].columns) == ["predicted", "residual"]
    assert list(tables["predicted_vs_actual"].columns) == ["actual", "tree", "linear"]
    no_oracle, _ = evaluate_models(models, train, test, SPEC, top_share=0.1, deciles=10, truth=None)
    assert "oracle" not in no_oracle.models


def test_the_evaluation_file_keeps_model_names_at_the_top(scored, tmp_path):
    """`dvc metrics show/diff` users read tree.test.r2: the file layout is the one they know."""
    evaluation = scored[3]
    path = tmp_path / "metrics" / "evaluate.json"
    write_contract(path, evaluation)
    data = json.loads(path.read_text())
    assert set(data) == {"tree", "linear", "baseline", "oracle", "data"}
    assert set(data["tree"]) == {"test", "train"} and set(data["oracle"]) == {"test"}  # the oracle was not trained
    points = {"r2", "mse", "rmse", "mae", "total_ratio", "top_decile_share"}
    intervals = {f"{m}_{end}" for m in ("r2", "rmse", "mae") for end in ("low", "high")}
    for model in ("tree", "linear", "baseline"):
        assert set(data[model]["test"]) == points | intervals, model
    assert set(data["oracle"]["test"]) == points  # the generator's truth: no intervals
    assert set(data["tree"]["train"]) == {"r2", "rmse"}
    assert set(data["data"]) == {"train_rows", "test_rows", "test_total_cost", "perfect_top_decile_share"}
    assert read_contract(path, Evaluation, made_by="evaluate") == evaluation


def test_an_undefined_metric_is_null_in_the_file(params, tmp_path):
    """A constant test target has no R²: the evaluation holds None and the file null (JSON has no NaN)."""
    cfg = section(params, "train_linear", TrainLinearParams)
    train = toy(100, 1)
    test = toy(20, 2).assign(target_cost=50.0)
    model = fit(build_linear_pipeline(cfg, SPEC), train, SPEC)
    evaluation, _ = evaluate_models({"linear": model}, train, test, SPEC, top_share=0.1, deciles=5)
    assert evaluation.scores("linear").test.r2 is None
    write_contract(tmp_path / "evaluate.json", evaluation)
    assert json.loads((tmp_path / "evaluate.json").read_text())["linear"]["test"]["r2"] is None


def test_plot_files_and_importances(scored, tmp_path):
    models, _, test, _, tables = scored
    importance = permutation_importances(
        models["tree"], test[["age", "cost_prev1", "region"]], test["target_cost"], rows=50, repeats=2, seed=0
    )
    assert list(importance.columns) == ["feature", "importance", "std"] and len(importance) == 3
    assert importance["importance"].is_monotonic_decreasing
    again = permutation_importances(
        models["tree"], test[["age", "cost_prev1", "region"]], test["target_cost"], rows=50, repeats=2, seed=0
    )
    pd.testing.assert_frame_equal(importance, again)  # seeded
    by_model = importance_tables(models, test, SPEC, rows=50, repeats=2, seed=0)
    assert set(by_model) == {"importance_tree", "importance_linear"}
    pd.testing.assert_frame_equal(by_model["importance_tree"], importance.round({"importance": 6, "std": 6}))

    folder = tmp_path / "plots" / "evaluate"
    write_plots(folder, {**tables, **by_model}, ["tree", "linear"])
    write_plots(folder, {**tables, **by_model}, ["tree", "linear"])  # replaces the folder in place
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted([*(f"{t}.csv" for t in [*tables, *by_model]), "predicted_vs_actual.png"])
    assert [p.name for p in folder.parent.iterdir()] == ["evaluate"]  # no temporary left behind
    assert pd.read_csv(folder / "predictions.csv")["client_id"].tolist() == test["client_id"].tolist()


# --------------------------------------------------------------------------- bootstrap intervals


def noisy(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.gamma(0.5, 10_000.0, n)
    return y, 0.6 * y + 0.4 * y.mean() + rng.normal(0.0, 3000.0, n)


def test_intervals_contain_the_point_estimate_and_narrow_with_more_rows():
    widths = {}
    for n in (300, 5000):
        y, pred = noisy(n, seed=n)
        point = regression_metrics(y, pred)
        bounds = bootstrap_intervals(y, {"m": pred}, samples=400, interval=0.95, seed=1)["m"]
        for metric in ("r2", "rmse", "mae"):
            assert bounds[f"{metric}_low"] < point[metric] < bounds[f"{metric}_high"], (n, metric)
        widths[n] = {m: bounds[f"{m}_high"] - bounds[f"{m}_low"] for m in ("r2", "rmse", "mae")}
    for metric in ("r2", "rmse", "mae"):
        assert widths[5000][metric] < 0.5 * widths[300][metric], metric  # ~ 1/sqrt(rows): a quarter here


def test_intervals_are_seeded_and_shared_by_the_models():
    y, pred = noisy(500, seed=4)
    predictions = {"a": pred, "b": pred.copy(), "mean": np.full(len(y), y.mean())}
    first = bootstrap_intervals(y, predictions, samples=300, interval=0.9, seed=7)
    assert first == bootstrap_intervals(y, predictions, samples=300, interval=0.9, seed=7)
    assert first["a"] == first["b"]  # the same resamples for every model
    assert first != bootstrap_intervals(y, predictions, samples=300, interval=0.9, seed=8)
    wider = bootstrap_intervals(y, predictions, samples=300, interval=0.99, seed=7)
    assert wider["a"]["rmse_low"] < first["a"]["rmse_low"] < first["a"]["rmse_high"] < wider["a"]["rmse_high"]
    assert first["mean"]["r2_high"] <= 0.05  # the mean predictor explains nothing, resampled or not


def test_resampled_metrics_are_the_metrics_of_each_resample():
    y, pred = noisy(50, seed=5)
    indices = next(bootstrap_indices(len(y), 4, seed=0))
    resampled = resampled_metrics(y, pred, indices)
    for row, idx in enumerate(indices):
        one = regression_metrics(y[idx], pred[idx])
        for metric in ("r2", "mse", "rmse", "mae"):
            assert resampled[metric][row] == pytest.approx(one[metric], rel=1e-12)


def test_resamples_come_in_chunks_of_bounded_size():
    rows = 250_000
    chunks = list(bootstrap_indices(rows, 30, seed=0))
    assert sum(len(c) for c in chunks) == 30 and all(c.size <= RESAMPLE_BUDGET for c in chunks)
    assert all(c.shape[1] == rows and c.min() >= 0 and c.max() < rows for c in chunks)
