"""What a user of the predictions relies on, checked on the default models (params.yaml as shipped).

Both default pipelines are trained on the small demo source (1,500 clients) and asked
what-if questions: all else equal, an older client or a smoker must not be predicted to
cost less; no prediction is negative; the order of the rows or columns changes nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from medcost.core.features import FeatureSpec
from medcost.core.metrics import regression_metrics
from medcost.core.model_file import predict
from medcost.core.params import TrainLinearParams, section
from medcost.train import build_linear_pipeline, fit

MODELS = ("tree", "linear")


@pytest.fixture(scope="module")
def population(small_features: dict[str, Any]) -> pd.DataFrame:
    """The scoring snapshot: the clients the champion predicts next."""
    return small_features["scoring"]


@pytest.mark.parametrize("name", MODELS)
def test_predicted_cost_rises_with_age(default_models, population, name):
    model = default_models[name]
    now = predict(model, population)
    older = predict(model, population.assign(age=population["age"] + 10))
    assert np.all(older >= now - 1e-9), "a client predicted to cost less ten years older, all else equal"
    young = predict(model, population.assign(age=30.0))
    old = predict(model, population.assign(age=70.0))
    assert old.mean() > 1.1 * young.mean()


@pytest.mark.parametrize("name", MODELS)
def test_smokers_are_predicted_to_cost_more(default_models, population, name):
    model = default_models[name]
    non_smoker = predict(model, population.assign(smoker=0.0))
    smoker = predict(model, population.assign(smoker=1.0))
    assert np.all(smoker >= non_smoker - 1e-9), "a smoker predicted to cost less than the same non-smoker"
    assert smoker.mean() > non_smoker.mean()


def odd_clients(population: pd.DataFrame, spec: FeatureSpec) -> pd.DataFrame:
    """Edge cases: no history at all, huge history, everything missing, unseen categories."""
    base = population.head(4).copy().reset_index(drop=True)
    numeric = spec.numeric
    base.loc[0, numeric] = 0.0
    base.loc[1, [c for c in numeric if c.startswith("cost_prev") or c == "claims_prev1"]] = 5e6
    base.loc[1, "cost_trend"] = -5e6
    base.loc[2, numeric] = np.nan
    base.loc[2, spec.categorical] = None
    base.loc[3, spec.categorical] = "never-seen"
    return base


@pytest.mark.parametrize("name", MODELS)
def test_no_negative_predictions(default_models, small_features, population, name):
    model = default_models[name]
    for frame in (population, small_features["test"], odd_clients(population, small_features["spec"])):
        predictions = predict(model, frame)
        assert np.all(np.isfinite(predictions)) and predictions.min() >= 0.0


def test_a_linear_model_that_would_go_negative_is_clipped_at_zero(small_features, params, population):
    """Ridge on the raw target extrapolates below zero for some clients; the pipeline clips it."""
    cfg = section(params, "train_linear", TrainLinearParams).model_copy(
        update={"model": "ridge", "alpha": 1.0, "log_features": False}
    )
    spec = small_features["spec"]
    model = fit(build_linear_pipeline(cfg, spec), small_features["train"], spec)
    odd = odd_clients(population, spec)
    odd.loc[0, "age"] = 18.0
    raw = model.named_steps["model"].regressor_.predict(
        model.named_steps["preprocess"].transform(odd[model.feature_names_in_])
    )
    assert raw.min() < 0, "the check needs a client the raw ridge predicts below zero"
    assert predict(model, odd).min() == 0.0


@pytest.mark.parametrize("name", MODELS)
def test_predictions_do_not_depend_on_row_or_column_order(default_models, population, name):
    model = default_models[name]
    expected = predict(model, population)
    order = np.random.default_rng(0).permutation(len(population))
    shuffled = population.iloc[order][list(reversed(population.columns))]
    if name == "tree":
        # each row walks the same trees and sums the same leaf values in the same order: exact
        assert np.array_equal(predict(model, shuffled), expected[order])
    else:
        # the linear model's X @ coef is a BLAS product: its kernels (OpenBLAS on AVX-512, say) may sum a row's
        # terms in an order that depends on where the row sits in a block, so a row can differ in the last bit
        np.testing.assert_allclose(predict(model, shuffled), expected[order], rtol=1e-12, atol=0)
    # a small batch alone predicts as within the whole population (to the last bits of BLAS rounding)
    assert np.allclose(predict(model, population.iloc[order[:7]]), expected[order[:7]], rtol=1e-10, atol=0)


@pytest.mark.parametrize("name", MODELS)
def test_default_models_beat_the_mean_predictor(default_models, small_features, name):
    test, train = small_features["test"], small_features["train"]
    target = small_features["spec"].target
    y = test[target].to_numpy()
    baseline = regression_metrics(y, np.full(len(y), train[target].mean()))
    metrics = regression_metrics(y, predict(default_models[name], test))
    assert metrics["rmse"] < 0.95 * baseline["rmse"]
    assert metrics["top_decile_share"] > 0.25  # a constant predictor finds 10% of the cost in its "top decile"
    assert 0.8 < metrics["total_ratio"] < 1.25
