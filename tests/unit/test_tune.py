"""The tune stage: grouped folds, a reproducible seeded Optuna search within its budget, and the train stages' overlay."""

from __future__ import annotations

import argparse
import copy
import dataclasses
import itertools
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import PoissonRegressor, Ridge

from medcost.core.catalog import Catalog
from medcost.core.contracts import TunedSettings, TuneMetrics, read_contract, write_contract
from medcost.core.errors import MedcostError
from medcost.core.features import FeatureSpec
from medcost.core.io import write_parquet
from medcost.core.model_file import load_model
from medcost.core.params import TrainLinearParams, TrainTreeParams, TransformParams, TuneParams, section
from medcost.train import build_linear_pipeline, build_tree_pipeline, fit, fitted_regressor, tuned_params
from medcost.tune import group_folds, linear_family, read_cv_rows, sample_clients, tree_family, tune, tune_metrics
from stages import select as select_stage
from stages import train_linear, train_tree
from stages import tune as tune_stage


def training_rows(spec: FeatureSpec, clients: int = 120, years: int = 2, seed: int = 0) -> pd.DataFrame:
    """A train part like split writes: ``years`` rows per client (stacked cutoffs), every model input."""
    rng = np.random.default_rng(seed)
    n = clients * years
    data: dict[str, Any] = {"client_id": np.repeat(np.arange(1, clients + 1), years)}
    data["year"] = np.tile(np.arange(2024 - years + 1, 2025), clients)
    for column in spec.numeric:
        data[column] = rng.integers(0, 2, n).astype(float) if column in ("smoker", "diabetes") else rng.gamma(2, 2, n)
    for column in spec.categorical:
        data[column] = rng.choice(["a", "b", "c"], n)
    risk = np.exp(6 + 0.8 * data["smoker"] + 0.1 * data["bmi"])
    data[spec.target] = np.round(risk * rng.gamma(1.0, 1.0, n), 2)
    return pd.DataFrame(data)


@pytest.fixture(scope="module")
def spec(params) -> FeatureSpec:
    return FeatureSpec.from_params(section(params, "transform", TransformParams))


@pytest.fixture(scope="module")
def tune_cfg(params) -> TuneParams:
    """Few trials and folds, small ranges: a quick search."""
    cfg = section(params, "tune", TuneParams)
    tree = cfg.tree.model_copy(update={"max_iter": (5.0, 15.0), "min_samples_leaf": (5.0, 40.0)})
    return cfg.model_copy(update={"enabled": True, "trials": 4, "folds": 3, "seconds": None, "tree": tree})


def families(params, cfg: TuneParams) -> list:
    tree = section(params, "train_tree", TrainTreeParams).model_copy(update={"max_iter": 10, "min_samples_leaf": 20})
    linear = section(params, "train_linear", TrainLinearParams)
    return [
        tree_family(tree, cfg.tree, build_tree_pipeline, fit),
        linear_family(linear, cfg.linear, build_linear_pipeline, fit),
    ]


def client_groups(frame: pd.DataFrame) -> np.ndarray:
    return frame["client_id"].to_numpy()


# --------------------------------------------------------------------------- folds


def fold_of_row(splits: list) -> np.ndarray:
    fold = np.full(sum(len(scored) for _, scored in splits), -1)
    for number, (fitted_on, scored) in enumerate(splits):
        assert not set(fitted_on) & set(scored) and len(fitted_on) + len(scored) == len(fold)
        fold[scored] = number
    return fold


def test_folds_never_split_a_client():
    groups = np.repeat(np.arange(37), 3)[np.random.default_rng(1).permutation(37 * 3)]  # 3 rows each, shuffled
    folds = fold_of_row(group_folds(groups, 5, seed=4))
    assert (folds >= 0).all(), "every row is scored in one fold"
    per_client = pd.DataFrame({"client": groups, "fold": folds}).groupby("client")["fold"].nunique()
    assert (per_client == 1).all()
    clients_per_fold = pd.Series(folds).groupby(groups).first().value_counts()
    assert sorted(clients_per_fold.index) == [0, 1, 2, 3, 4] and clients_per_fold.max() - clients_per_fold.min() <= 1
    assert np.array_equal(folds, fold_of_row(group_folds(groups, 5, seed=4))), "seeded"
    assert not np.array_equal(folds, fold_of_row(group_folds(groups, 5, seed=5))), "the seed shuffles the clients"


def test_client_sample_keeps_whole_clients_within_max_rows():
    groups = np.repeat(np.arange(100), np.arange(100) % 3 + 1)  # 1-3 rows per client
    keep = sample_clients(groups, 50, seed=0)
    assert 45 <= keep.sum() <= 50
    kept = set(groups[keep])
    assert all(keep[groups == c].all() for c in kept) and not any(keep[groups == c].any() for c in set(groups) - kept)
    assert sample_clients(groups, 1000, seed=0).all()


def test_read_cv_rows_codes_clients_over_their_years(tmp_path: Path, spec: FeatureSpec):
    rows = training_rows(spec, clients=10, years=3)
    write_parquet(rows, tmp_path / "train.parquet")
    frame, groups = read_cv_rows(tmp_path / "train.parquet", spec)
    assert "client_id" not in frame.columns and len(frame) == 30
    assert np.array_equal(groups, rows["client_id"].to_numpy() - 1)


# --------------------------------------------------------------------------- the search


def test_search_is_reproducible_and_never_splits_a_client(params, spec: FeatureSpec, tune_cfg: TuneParams):
    frame = training_rows(spec)
    fams = families(params, tune_cfg)
    first = tune(fams, frame, client_groups(frame), spec, tune_cfg)
    second = tune(fams, frame.copy(), client_groups(frame), spec, tune_cfg)
    assert first.model_dump() == second.model_dump()  # exact: same data, seed, one thread
    for name in ("tree", "linear"):
        found = first.family(name)
        assert [t.number for t in found.trials] == [0, 1, 2, 3] and found.stopped_by == "trials"
        assert found.clients == 120 and found.rows == 240 and found.folds == 3
        assert len({repr(t.settings) for t in found.trials}) == 4, "each trial tries other settings"
        assert all((t.scores["rmse"].std or 0.0) > 0 for t in found.trials)  # a spread over the folds
        best = min(found.trials, key=lambda t: (t.scores["rmse"].mean or math.inf, t.number))
        assert found.best == best.number and found.best_settings == best.settings
    assert first.family("tree").trials[0].settings["max_iter"] == 10  # trial 0: the train params as they are
    other = tune(fams, frame, client_groups(frame), spec, tune_cfg.model_copy(update={"seed": 43}))
    assert other.family("tree").trials[1].settings != first.family("tree").trials[1].settings


def test_tpe_suggestions_past_the_random_startup_are_reproducible(params, spec: FeatureSpec, tune_cfg: TuneParams):
    frame = training_rows(spec, clients=60)
    cfg = tune_cfg.model_copy(update={"trials": 14})  # TPE's first 10 trials are its seeded random startup
    linear = families(params, cfg)[1:]
    first = tune(linear, frame, client_groups(frame), spec, cfg).family("linear")
    second = tune(linear, frame.copy(), client_groups(frame), spec, cfg).family("linear")
    assert first == second and len(first.trials) == 14
    shorter = tune(linear, frame, client_groups(frame), spec, cfg.model_copy(update={"trials": 12})).family("linear")
    assert shorter.trials == first.trials[:12], "a search of n trials is the first n of a longer one"


def test_seconds_budget_stops_early_and_gives_the_shorter_search(params, spec: FeatureSpec, tune_cfg: TuneParams):
    frame = training_rows(spec, clients=60)
    linear = families(params, tune_cfg)[1]  # quick, but trial 1's folds take 3 x 0.5 s: past tune.seconds = 1
    fits = itertools.count()

    def slow_fit(*args: Any) -> Any:
        if next(fits) >= tune_cfg.folds:
            time.sleep(0.5)
        return fit(*args)

    slow = dataclasses.replace(linear, fit=slow_fit)
    cut = tune([slow], frame, client_groups(frame), spec, tune_cfg.model_copy(update={"seconds": 1.0}))
    found = cut.family("linear")
    assert found.stopped_by == "seconds" and len(found.trials) == 2 and found.trials_budget == 4
    assert tune_metrics(cut).families["linear"].stopped_by == "seconds"
    short = tune([linear], frame, client_groups(frame), spec, tune_cfg.model_copy(update={"trials": 2}))
    assert short.family("linear").stopped_by == "trials"
    assert found.trials == short.family("linear").trials and found.best_settings == short.family("linear").best_settings


def test_trial_0_enqueued_is_the_train_params_in_the_space(params, tune_cfg: TuneParams):
    import optuna

    for family in families(params, tune_cfg):
        assert family.trial0 is not None
        assert family.suggest(optuna.trial.FixedTrial(family.trial0)) == family.current  # what the sampler learns
    assert families(params, tune_cfg)[1].trial0 == {"model": "poisson", "alpha_poisson": 1.0}


def test_r2_picks_the_highest_and_trial_0_outside_the_space_is_still_the_params(
    params, spec: FeatureSpec, tune_cfg: TuneParams
):
    frame = training_rows(spec, clients=60)
    linear = section(params, "train_linear", TrainLinearParams).model_copy(update={"model": "lasso", "alpha": 3.0})
    family = linear_family(linear, tune_cfg.linear, build_linear_pipeline, fit)  # lasso: not in tune.linear.models
    assert family.trial0 is None
    found = tune([family], frame, client_groups(frame), spec, tune_cfg.model_copy(update={"metric": "r2"}))
    trials = found.family("linear").trials
    assert trials[0].settings == {"model": "lasso", "alpha": 3.0}
    assert all(t.settings["model"] in tune_cfg.linear.models for t in trials[1:])
    best = max(trials, key=lambda t: (t.scores["r2"].mean or -math.inf, -t.number))
    assert found.family("linear").best == best.number


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("trials", 0, r"^params\.yaml: tune\.trials = 0: .*greater than or equal to 1"),
        ("folds", 1, r"^params\.yaml: tune\.folds = 1: .*greater than or equal to 2"),
        ("seconds", 0, r"^params\.yaml: tune\.seconds = 0: "),
        ("metric", "mape", r"^params\.yaml: tune\.metric = 'mape': "),
    ],
)
def test_bad_param_is_one_line(params, key: str, value: Any, message: str):
    bad = copy.deepcopy(params)
    bad["tune"][key] = value
    with pytest.raises(MedcostError, match=message) as exc:
        section(bad, "tune", TuneParams)
    assert "\n" not in str(exc.value)


def test_bad_search_space_is_one_line(params):
    bad = copy.deepcopy(params)
    bad["tune"]["linear"]["models"] = ["poisson", "lasso"]
    with pytest.raises(MedcostError, match=r"tune\.linear.*alpha: no range for lasso") as exc:
        section(bad, "tune", TuneParams)
    assert "\n" not in str(exc.value)


def test_more_folds_than_clients_is_one_line(params, spec: FeatureSpec, tune_cfg: TuneParams):
    frame = training_rows(spec, clients=4, years=3)
    with pytest.raises(MedcostError, match=r"^tune\.folds = 5: more folds than the 4 client\(s\) in the train part$"):
        tune(families(params, tune_cfg), frame, client_groups(frame), spec, tune_cfg.model_copy(update={"folds": 5}))


# --------------------------------------------------------------------------- the stages


def stage_params(params: dict[str, Any], tmp_path: Path, **tune_update: Any) -> dict[str, Any]:
    out = copy.deepcopy(params)
    out["paths"] = {key: str(tmp_path / value) for key, value in params["paths"].items()}
    out["train_tree"].update(max_iter=10, min_samples_leaf=20)
    out["tune"].update(
        trials=3, folds=3, seconds=None, tree={**out["tune"]["tree"], "max_iter": [5, 15]}, **tune_update
    )
    return out


def run(module: Any, params: dict[str, Any]) -> None:
    module.main(params, argparse.Namespace())


def test_disabled_tune_writes_that_it_is_off_without_reading_train(params, tmp_path: Path):
    cfg = stage_params(params, tmp_path, enabled=False)
    started = time.perf_counter()
    run(tune_stage, cfg)  # no train part exists: it is not read
    assert time.perf_counter() - started < 0.5
    catalog = Catalog.from_params(cfg)
    assert read_contract(catalog.tuned, TunedSettings) == TunedSettings(enabled=False, families={})
    assert read_contract(catalog.tune_metrics, TuneMetrics).model_dump() == {"enabled": False, "families": {}}


def test_train_stages_overlay_the_tuned_settings_only_when_enabled(params, spec: FeatureSpec, tmp_path: Path):
    cfg = stage_params(params, tmp_path, enabled=True)
    cfg["tune"]["linear"]["models"] = ["ridge"]  # the tuned linear model differs from train_linear.model (poisson)
    catalog = Catalog.from_params(cfg)
    write_parquet(training_rows(spec), catalog.train)
    rows = training_rows(spec)
    write_parquet(rows[rows["year"] == rows["year"].max()], catalog.scoring)  # select: keep what does not drift
    run(select_stage, cfg)
    run(tune_stage, cfg)
    tuned = read_contract(catalog.tuned, TunedSettings)
    metrics = read_contract(catalog.tune_metrics, TuneMetrics)
    assert metrics.enabled and set(metrics.families) == {"tree", "linear"}
    for name, found in metrics.families.items():  # best and default with their spread over the folds
        assert found.trials == 3 and found.stopped_by == "trials" and (found.best.std or 0) > 0
        assert found.best == tuned.family(name).trial(tuned.family(name).best).scores["rmse"]
        assert (found.best.mean or 0) <= (found.default.mean or 0)
    tree_best = tuned.family("tree").best_settings
    # trial 0 (poisson) may win; force a tuned file whose best is a ridge trial to see the overlay
    linear = tuned.family("linear")
    ridge = next(t for t in linear.trials if t.settings["model"] == "ridge")
    forced = tuned.model_copy(
        update={
            "families": {
                **tuned.families,
                "linear": linear.model_copy(update={"best": ridge.number, "best_settings": ridge.settings}),
            }
        }
    )
    write_contract(catalog.tuned, forced)

    run(train_tree, cfg)
    run(train_linear, cfg)
    hgb = fitted_regressor(load_model(catalog.model("tree")))
    assert {k: getattr(hgb, k) for k in tree_best} == tree_best
    regressor = fitted_regressor(load_model(catalog.model("linear")))
    assert isinstance(regressor, Ridge) and regressor.alpha == ridge.settings["alpha"]
    logged = (catalog.dvclive("train_linear") / "params.yaml").read_text()
    assert "model: ridge" in logged and "tuned: true" in logged

    cfg["tune"]["enabled"] = False  # the same tuned file, tuning switched off: the params as they are
    run(train_tree, cfg)
    run(train_linear, cfg)
    hgb = fitted_regressor(load_model(catalog.model("tree")))
    assert hgb.max_iter == 10 and hgb.min_samples_leaf == 20
    assert isinstance(fitted_regressor(load_model(catalog.model("linear"))), PoissonRegressor)


def test_enabled_with_a_file_written_while_off_is_one_line(params):
    cfg = section(params, "train_tree", TrainTreeParams)
    off = TunedSettings(enabled=False, families={})
    assert tuned_params(cfg, "train_tree", "tree", off, False, "models/tuned.json") is cfg
    with pytest.raises(
        MedcostError, match=r"^tune\.enabled is true but models/tuned\.json was written with tuning off"
    ):
        tuned_params(cfg, "train_tree", "tree", off, True, "models/tuned.json")
