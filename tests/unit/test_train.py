"""The pipeline builders: the params pick the family and its settings; preprocessing and model are one object."""

import copy
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import ExtraTreesRegressor, HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import ElasticNet, Lasso, PoissonRegressor, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from medcost.core.errors import MedcostError
from medcost.core.features import FeatureSpec
from medcost.core.model_file import load_model, predict, save_model
from medcost.core.params import Section, TrainLinearParams, TrainTreeParams, section
from medcost.train import (
    build_linear_pipeline,
    build_tree_pipeline,
    describe,
    fit,
    fitted_regressor,
    log_with_dvclive,
    training_metrics,
)

HISTORY = ["cost_prev1", "cost_trend"]
SPEC = FeatureSpec(
    key=["client_id"],
    numeric=["age", "smoker", "bmi", *HISTORY],
    categorical=["region"],
    history=HISTORY,
    target="target_cost",
)


@pytest.fixture(scope="module")
def tree_cfg(params) -> TrainTreeParams:
    return section(params, "train_tree", TrainTreeParams).model_copy(
        update={"increasing": ["age", "smoker"], "min_samples_leaf": 5, "max_iter": 30}
    )


@pytest.fixture(scope="module")
def linear_cfg(params) -> TrainLinearParams:
    return section(params, "train_linear", TrainLinearParams)


def frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 85, n).astype(float)
    smoker = (rng.random(n) < 0.2).astype(float)
    smoker[::25] = np.nan
    bmi = rng.normal(28, 5, n)
    bmi[::17] = np.nan
    prev = np.where(rng.random(n) < 0.3, 0.0, rng.lognormal(7, 1, n))
    cost = np.round(np.exp(5 + 0.03 * age + 0.5 * np.nan_to_num(smoker)) * rng.gamma(1.0, 1.0, n) + 0.3 * prev, 2)
    return pd.DataFrame(
        {
            "client_id": np.arange(n),
            "age": age,
            "smoker": smoker,
            "bmi": bmi,
            "cost_prev1": prev,
            "cost_trend": prev - rng.lognormal(6, 1, n),
            "region": rng.choice(np.array(["north", "south", None], dtype=object), n).tolist(),
            "target_cost": cost,
        }
    )


def test_repository_model_params_are_valid(params):
    section(params, "train_tree", TrainTreeParams)
    section(params, "train_linear", TrainLinearParams)


@pytest.mark.parametrize(
    ("family", "estimator"),
    [
        ("hist_gradient_boosting", HistGradientBoostingRegressor),
        ("random_forest", RandomForestRegressor),
        ("extra_trees", ExtraTreesRegressor),
    ],
)
def test_tree_pipeline_family_and_settings(tree_cfg, family, estimator):
    cfg = tree_cfg.model_copy(update={"model": family, "seed": 11, "max_depth": 4, "n_estimators": 7})
    pipeline = build_tree_pipeline(cfg, SPEC)
    assert isinstance(pipeline, Pipeline) and list(pipeline.named_steps) == ["preprocess", "model"]
    regressor = pipeline.named_steps["model"].regressor
    assert isinstance(regressor, estimator)
    assert regressor.random_state == 11 and regressor.max_depth == 4 and regressor.min_samples_leaf == 5
    if family == "hist_gradient_boosting":
        assert regressor.max_iter == 30 and regressor.loss == "poisson" and regressor.early_stopping is False
        assert regressor.monotonic_cst == {"age": 1, "smoker": 1}
    else:
        assert regressor.n_estimators == 7 and regressor.n_jobs == cfg.n_jobs
    preprocess = pipeline.named_steps["preprocess"]
    encoder = dict((name, t) for name, t, _ in preprocess.transformers)["categorical"]
    assert isinstance(encoder, OneHotEncoder) and encoder.handle_unknown == "ignore"
    assert not any(isinstance(step, StandardScaler) for _, step in preprocess.transformers[0][1].steps)


@pytest.mark.parametrize(
    ("family", "estimator"),
    [("ridge", Ridge), ("lasso", Lasso), ("elastic_net", ElasticNet), ("poisson", PoissonRegressor)],
)
def test_linear_pipeline_family_and_settings(linear_cfg, family, estimator):
    cfg = linear_cfg.model_copy(update={"model": family, "alpha": 0.5, "l1_ratio": 0.3})
    pipeline = build_linear_pipeline(cfg, SPEC)
    regressor = pipeline.named_steps["model"].regressor
    assert isinstance(regressor, estimator) and regressor.alpha == 0.5
    if family == "elastic_net":
        assert regressor.l1_ratio == 0.3
    transformers = {name: (t, cols) for name, t, cols in pipeline.named_steps["preprocess"].transformers}
    assert transformers["history"][1] == HISTORY and "arcsinh" in transformers["history"][0].named_steps
    assert transformers["numeric"][1] == ["age", "smoker", "bmi"]
    assert isinstance(transformers["numeric"][0].named_steps["scale"], StandardScaler)
    assert transformers["categorical"][0].handle_unknown == "ignore"
    plain = build_linear_pipeline(cfg.model_copy(update={"log_features": False}), SPEC)
    assert "history" not in {name for name, _, _ in plain.named_steps["preprocess"].transformers}


def test_log_target_wraps_the_regressor(linear_cfg):
    pipeline = build_linear_pipeline(linear_cfg.model_copy(update={"model": "ridge", "log_target": True}), SPEC)
    inner = pipeline.named_steps["model"].regressor
    assert isinstance(inner, TransformedTargetRegressor)
    assert inner.func is np.log1p and inner.inverse_func is np.expm1 and isinstance(inner.regressor, Ridge)
    model = fit(pipeline, frame(), SPEC)
    assert predict(model, frame(50, seed=1)).min() >= 0


@pytest.mark.parametrize(
    ("name", "key", "value", "message"),
    [
        (
            "train_tree",
            "model",
            "xgboost",
            "train_tree.model = 'xgboost': Input should be 'hist_gradient_boosting', 'random_forest' or 'extra_trees'",
        ),
        ("train_tree", "learning_rate", 0, "train_tree.learning_rate = 0: Input should be greater than 0"),
        ("train_tree", "max_iter", 0, "train_tree.max_iter = 0: Input should be greater than or equal to 1"),
        (
            "train_linear",
            "model",
            "ols",
            "train_linear.model = 'ols': Input should be 'ridge', 'elastic_net', 'lasso' or 'poisson'",
        ),
        ("train_linear", "alpha", -1, "train_linear.alpha = -1: Input should be greater than or equal to 0"),
        ("train_linear", "l1_ratio", 2, "train_linear.l1_ratio = 2: Input should be less than or equal to 1"),
    ],
)
def test_bad_model_param_is_named_on_one_line(params, name, key, value, message):
    bad = copy.deepcopy(params)
    bad[name][key] = value
    models: dict[str, type[Section]] = {"train_tree": TrainTreeParams, "train_linear": TrainLinearParams}
    model = models[name]
    with pytest.raises(MedcostError) as err:
        section(bad, name, model)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_monotonic_column_must_be_a_model_input(tree_cfg):
    with pytest.raises(MedcostError, match="train_tree.increasing: smokes not among the numeric model inputs"):
        build_tree_pipeline(tree_cfg.model_copy(update={"increasing": ["smokes"]}), SPEC)


@pytest.mark.parametrize("kind", ["tree", "linear"])
def test_fit_returns_a_fitted_copy_and_handles_gaps_and_unknown_categories(tree_cfg, linear_cfg, kind):
    pipeline = build_tree_pipeline(tree_cfg, SPEC) if kind == "tree" else build_linear_pipeline(linear_cfg, SPEC)
    data = frame()
    before = data.copy()
    model = fit(pipeline, data, SPEC)
    pd.testing.assert_frame_equal(data, before)
    assert not hasattr(pipeline, "feature_names_in_") and model is not pipeline  # the argument stays unfitted
    odd = frame(5, seed=2).assign(region=["west", None, "north", "east", "south"])
    odd.loc[0, ["bmi", "age"]] = np.nan
    unchanged = odd.copy()
    predictions = predict(model, odd)
    pd.testing.assert_frame_equal(odd, unchanged)  # the imputer fills its own copy, never the caller's frame
    assert predictions.shape == (5,) and np.all(np.isfinite(predictions)) and predictions.min() >= 0
    again = fit(pipeline, data, SPEC)
    assert np.array_equal(predict(again, odd), predictions)  # seeded: the same fit twice


@pytest.mark.parametrize("kind", ["tree", "linear"])
def test_prediction_in_batches_is_the_prediction_of_all_rows_at_once(tree_cfg, linear_cfg, kind):
    """predict bounds memory by batches of rows; a row's prediction is its own, whatever batch it is in."""
    pipeline = build_tree_pipeline(tree_cfg, SPEC) if kind == "tree" else build_linear_pipeline(linear_cfg, SPEC)
    model = fit(pipeline, frame(), SPEC)
    rows = frame(103, seed=5)
    whole = predict(model, rows, batch_rows=1000)
    batched = predict(model, rows, batch_rows=10)  # 11 batches, the last of 3 rows
    assert batched.shape == (103,)
    if kind == "tree":
        assert np.array_equal(batched, whole)  # trees compare and add the same numbers: exact
    else:  # the linear model's dot products may run on other BLAS kernels for other batch shapes: last bits
        np.testing.assert_allclose(batched, whole, rtol=1e-12)
    assert predict(model, rows.iloc[:0]).shape == (0,)


def test_training_data_errors_name_the_problem(linear_cfg):
    pipeline = build_linear_pipeline(linear_cfg, SPEC)
    with pytest.raises(MedcostError, match="column\\(s\\) bmi missing"):
        fit(pipeline, frame().drop(columns=["bmi"]), SPEC)
    with pytest.raises(MedcostError, match="3 row\\(s\\) have no target_cost"):
        fit(pipeline, frame().assign(target_cost=lambda f: f["target_cost"].mask(f.index < 3)), SPEC)


def test_save_load_roundtrip_and_training_metrics(tmp_path, tree_cfg):
    model = fit(build_tree_pipeline(tree_cfg, SPEC), frame(), SPEC)
    path = tmp_path / "models" / "tree.pkl"
    save_model(model, path)
    loaded = load_model(path)
    assert np.array_equal(predict(loaded, frame(20, 3)), predict(model, frame(20, 3)))
    assert not list(path.parent.glob(".tree.pkl*"))  # no temporary left behind
    metrics = training_metrics(model, frame(), SPEC)
    assert set(metrics) == {"rows", "r2", "rmse", "mae", "total_ratio"} and metrics["rows"] == 300
    # 5 numeric + 2 missing-value indicators + 3 regions (one of them "missing")
    assert describe(model) == {"estimator": "HistGradientBoostingRegressor", "encoded_features": 10}
    with pytest.raises(MedcostError, match="model file not found"):
        load_model(tmp_path / "nope.pkl")
    (tmp_path / "other.pkl").write_bytes(pickle.dumps({"not": "a model"}))
    with pytest.raises(MedcostError, match="not a scikit-learn Pipeline"):
        load_model(tmp_path / "other.pkl")


def test_a_forest_trained_on_threads_predicts_the_same_bits_every_time(tree_cfg):
    cfg = tree_cfg.model_copy(update={"model": "random_forest", "n_estimators": 20, "n_jobs": 2})
    model = fit(build_tree_pipeline(cfg, SPEC), frame(), SPEC, n_threads=2)
    assert fitted_regressor(model).n_jobs == 1  # summing trees in thread-finishing order would change the last bits
    single = fit(build_tree_pipeline(cfg.model_copy(update={"n_jobs": 1}), SPEC), frame(), SPEC, n_threads=1)
    assert np.array_equal(predict(model, frame(50, 4)), predict(single, frame(50, 4)))


def test_dvclive_log_has_the_params_and_metrics_and_nothing_else(tmp_path):
    import json

    import yaml

    log_with_dvclive(tmp_path / "train_tree", {"model": "ridge", "alpha": 0.5}, {"rows": 300, "r2": 0.25})
    assert json.loads((tmp_path / "train_tree" / "metrics.json").read_text()) == {"rows": 300, "r2": 0.25}
    assert yaml.safe_load((tmp_path / "train_tree" / "params.yaml").read_text()) == {"model": "ridge", "alpha": 0.5}
    assert not (tmp_path / "train_tree" / "dvc.yaml").exists() and not (tmp_path / "dvc.yaml").exists()
