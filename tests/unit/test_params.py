"""Params are checked before any work starts, with one line naming the param."""

import copy
from pathlib import Path

import pytest
from pydantic import BaseModel

from medcost.core.errors import MedcostError
from medcost.core.params import (
    ExtractParams,
    LoadParams,
    TrainTreeParams,
    TransformParams,
    ValidateParams,
    read_params,
    section,
)
from medcost.core.params_check import check_params

ROOT = Path(__file__).resolve().parents[2]


def test_repository_params_are_valid(params):
    section(params, "extract", ExtractParams)
    section(params, "transform", TransformParams)
    section(params, "load", LoadParams)


@pytest.mark.parametrize(
    ("name", "key", "value", "message"),
    [
        ("transform", "lookback_years", 0, "transform.lookback_years = 0: Input should be greater than or equal to 1"),
        ("transform", "lookback_years", "three", "transform.lookback_years = 'three': Input should be a valid integer"),
        ("transform", "engine", "polars", "transform.engine = 'polars': Input should be 'duckdb', 'spark' or 'pandas'"),
        ("extract", "as_of", "2026-03-15", "extract.as_of = '2026-03-15': Value error, must be a 1 January"),
        ("extract", "chunk_rows", 10, "extract.chunk_rows = 10: Input should be greater than or equal to 100"),
        ("extract", "reader", "fast", "extract.reader = 'fast': Input should be 'auto', 'arrow' or 'sqlalchemy'"),
        ("load", "backend", "s3", "load.backend = 's3': Input should be 'deltalake' or 'hopsworks'"),
    ],
)
def test_bad_param_is_named_on_one_line(params, name, key, value, message):
    bad = copy.deepcopy(params)
    bad[name][key] = value
    models: dict[str, type[BaseModel]] = {"transform": TransformParams, "extract": ExtractParams, "load": LoadParams}
    with pytest.raises(MedcostError) as err:
        section(bad, name, models[name])
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_unknown_key_is_a_typo_and_names_the_near_miss(params):
    bad = copy.deepcopy(params)
    bad["train_tree"]["max_iterr"] = bad["train_tree"].pop("max_iter")  # the typo also leaves max_iter missing
    with pytest.raises(MedcostError) as err:
        section(bad, "train_tree", TrainTreeParams)
    assert str(err.value) == (
        "params.yaml: unknown key train_tree.max_iterr (did you mean max_iter?): edit the train_tree section"
    )
    nested = copy.deepcopy(params)
    nested["validate"]["target"]["quantile"] = nested["validate"]["target"].pop("quantiles")
    with pytest.raises(MedcostError, match=r"unknown key validate.target.quantile \(did you mean quantiles\?\)"):
        section(nested, "validate", ValidateParams)
    far = copy.deepcopy(params)
    far["load"]["zzz"] = 1
    with pytest.raises(
        MedcostError, match=r"unknown key load.zzz \(known keys: backend, table, hopsworks_version, duckdb\)"
    ):
        section(far, "load", LoadParams)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda p: p["train_tree"]["increasing"].append("health"),
            "train_tree.increasing: health is not a numeric model input (smoker, ",
        ),
        (
            lambda p: p["validate"]["value_sets"].update(health=["good"]),
            "validate.value_sets: health is not in transform.categorical (sex, region, plan)",
        ),
        (
            lambda p: p["validate"]["null_rates"].update({"clients.bmx": 0.1}),
            "validate.null_rates.clients.bmx: clients has no column 'bmx'",
        ),
        (
            lambda p: p["transform"]["flags"].append("asthma"),
            "transform.flags: asthma is not a column of extract.tables.clients.columns (client_id, ",
        ),
        (
            lambda p: p["validate_metrics"]["models"].append("xgboost"),
            "validate_metrics.models: xgboost is not a trained model (tree, linear)",
        ),
        (lambda p: p["split"].update(seeds=1), "unknown key split.seeds (did you mean seed?): edit the split section"),
        (
            lambda p: (  # no backtest: 3 + 3 years of claims, 5 extracted
                p["transform"].update(training_years=3),
                p["backtest"].update(years=0),
                p["validate_metrics"].update(min_backtest_r2=None),
                p["extract"].update(history_years=5),
            ),
            "extract.history_years = 5 is shorter than transform.lookback_years + transform.training_years = 6: "
            "the training cutoff 2023 needs claims from 2020 (set extract.history_years to at least 6)",
        ),
        (
            lambda p: p["backtest"].update(years=3),  # 3 + 1 + 3 (backtest) years of claims, 5 extracted
            "extract.history_years = 5 is shorter than transform.lookback_years + transform.training_years + "
            "backtest.years = 7: the earliest cutoff (of the backtest) 2022 needs claims from 2019 (set "
            "extract.history_years to at least 7 or lower backtest.years)",
        ),
        (
            lambda p: p["validate_metrics"].update(min_backtest_r2=0.0),  # backtest.years is 0 by default
            "validate_metrics.min_backtest_r2 is set but backtest.years = 0 (no backtest to gate): set it to null",
        ),
    ],
)
def test_the_whole_file_is_checked_across_sections(params, change, message):
    bad = copy.deepcopy(params)
    change(bad)
    with pytest.raises(MedcostError) as err:
        check_params(bad)
    assert str(err.value).startswith(f"params.yaml: {message}") and "\n" not in str(err.value)


def test_params_are_checked_before_the_source_is_touched(params, tmp_path, monkeypatch):
    import argparse

    from stages import fingerprint

    bad = copy.deepcopy(params)
    bad["train_tree"]["increasing"].append("health")
    monkeypatch.setenv("MEDCOST_SOURCE_URL", "postgresql+psycopg2://nobody:secret@127.0.0.1:1/none")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(MedcostError, match="train_tree.increasing: health"):
        fingerprint.main(bad, argparse.Namespace(params="params.yaml"))
    assert list(tmp_path.iterdir()) == []  # nothing written, no connection tried
    check_params(params)  # the repository's own params pass


def test_reversed_range_is_rejected(params):
    bad = copy.deepcopy(params)
    bad["transform"]["valid_ranges"]["bmi"] = [70, 12]
    with pytest.raises(MedcostError, match="valid_ranges.bmi"):
        section(bad, "transform", TransformParams)


def test_missing_or_broken_params_file(tmp_path):
    with pytest.raises(MedcostError, match="file not found"):
        read_params(tmp_path / "nope.yaml")
    broken = tmp_path / "params.yaml"
    broken.write_text("extract: [unclosed\n")
    with pytest.raises(MedcostError, match="not valid YAML"):
        read_params(broken)


def test_derived_years(params):
    cfg = section(params, "extract", ExtractParams)
    assert (cfg.target_year, cfg.scoring_year) == (cfg.as_of.year - 1, cfg.as_of.year)
    assert cfg.history_start.year == cfg.as_of.year - cfg.history_years
    assert cfg.training_years(1) == [cfg.target_year] and cfg.training_years(3) == [2023, 2024, 2025]
    assert section(params, "transform", TransformParams).training_years == 1  # the default: one cutoff, as before


def set_with_dvc(tmp_path, *overrides: str) -> tuple[str, str]:
    """params.yaml before and after DVC's own `-S` writer (what `dvc exp run -S` calls) applied ``overrides``."""
    from dvc.utils.hydra import apply_overrides

    committed = (ROOT / "params.yaml").read_text()
    copy = tmp_path / "params.yaml"
    copy.write_text(committed)
    apply_overrides(copy, list(overrides))
    return committed, copy.read_text()


def test_dvc_set_param_rewrites_params_yaml_to_the_same_text(tmp_path):
    # DVC's writer replaces every value and list of the file (not only the one set): setting a value to
    # itself shows that comments, key order, block lists and nulls all survive the rewrite
    committed, after = set_with_dvc(tmp_path, "train_tree.max_iter=100")
    assert after == committed


@pytest.mark.parametrize(
    ("override", "old", "new"),
    [
        ("train_tree.max_iter=300", "  max_iter: 100             #", "  max_iter: 300             #"),
        ("train_tree.max_depth=6", "  max_depth:                #", "  max_depth: 6              #"),
        ("validate_metrics.min_r2=null", "  min_r2: 0.10                  #", "  min_r2:                       #"),
        ("split.min_test_rows=500", "  min_test_rows: 1000\n", "  min_test_rows: 500\n"),  # below comment lines
    ],
)
def test_dvc_set_param_changes_that_one_value_only(tmp_path, override, old, new):
    committed, after = set_with_dvc(tmp_path, override)
    assert committed.count(old) == 1
    assert after == committed.replace(old, new)
