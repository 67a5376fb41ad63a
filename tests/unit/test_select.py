"""Feature selection: an injected shift is dropped with its reason and score, so are constant, quasi-constant and
duplicated inputs, nothing else; the train stages then fit on the kept inputs only (real pipelines, real files)."""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from medcost.core.contracts import FeatureSelection, SelectSummary, read_contract
from medcost.core.errors import MedcostError
from medcost.core.features import FeatureSpec
from medcost.core.model_file import load_model, predict
from medcost.core.params import TransformParams, section
from medcost.core.params_check import check_params
from medcost.core.params_select import SelectParams
from medcost.evaluate import importance_tables
from medcost.promote.signature import input_types
from medcost.report.selection import selection_markdown
from medcost.select import select_features, selection_summary
from stages import select as select_stage
from stages import train_linear as train_linear_stage
from stages import train_tree as train_tree_stage
from stages import tune as tune_stage

SPEC = FeatureSpec(
    key=["client_id", "year"],
    numeric=["smoker", "bmi", "age", "tenure_years", "cost_prev1"],
    categorical=["region"],
    history=["cost_prev1"],
    target="target_cost",
)
CFG = SelectParams(
    enabled=True,
    max_std_shift=0.5,
    max_psi=0.25,
    quasi_constant_share=0.99,
    calendar_features=["age", "tenure_years"],
    psi_bins=10,
    psi_epsilon=1e-4,
    max_rows=500_000,
    seed=42,
)


def part(n: int, year: int, seed: int, with_target: bool = True) -> pd.DataFrame:
    """Rows of one year; the calendar features (age, tenure) of a later year are a year higher."""
    rng = np.random.default_rng(seed)
    later = year - 2025
    frame = pd.DataFrame(
        {
            "client_id": np.arange(n),
            "year": year,
            "smoker": (rng.random(n) < 0.2).astype(float),
            "bmi": rng.normal(28.0, 5.0, n),
            "age": rng.integers(18, 85, n).astype(float) + later,
            "tenure_years": rng.integers(0, 5, n).astype(float) + later,
            "cost_prev1": np.where(rng.random(n) < 0.3, 0.0, rng.lognormal(7, 1, n)),
            "region": rng.choice(np.array(["north", "south", "east", None], dtype=object), n).tolist(),
        }
    )
    frame.loc[::23, "bmi"] = np.nan
    if with_target:
        frame["target_cost"] = np.round(rng.gamma(1.0, 1.0, n) * (500 + 0.5 * frame["cost_prev1"]), 2)
    return frame


@pytest.fixture(scope="module")
def parts() -> tuple[pd.DataFrame, pd.DataFrame]:
    return part(3000, 2025, seed=1), part(3000, 2026, seed=2, with_target=False)


def test_an_injected_shift_drops_exactly_that_feature_with_its_reason_and_score(parts):
    train, scoring = parts
    shifted = scoring.copy()
    shifted["bmi"] = shifted["bmi"] + 3 * train["bmi"].std(ddof=0)
    before = (train.copy(), shifted.copy())
    selection = select_features(train, shifted, SPEC, CFG)
    assert selection.dropped == ["bmi"]
    assert selection.kept == [c for c in SPEC.inputs if c != "bmi"]
    bmi = selection.features["bmi"]
    assert not bmi.kept and bmi.reasons == ["std_shift", "psi"]
    assert bmi.std_shift == pytest.approx(3.0, abs=0.1)
    assert bmi.psi is not None and bmi.psi > 5
    for name in selection.kept:
        choice = selection.features[name]
        assert choice.kept and choice.reasons == [] and choice.duplicate_of is None, name
        assert choice.psi is not None and choice.psi < 0.02, name
    assert selection_summary(selection) == SelectSummary(kept=5, dropped=1, dropped_features={"bmi": "std_shift, psi"})
    # the inputs are not modified
    pd.testing.assert_frame_equal(train, before[0])
    pd.testing.assert_frame_equal(shifted, before[1])


def test_without_a_shift_nothing_is_dropped_and_the_calendar_features_are_compared_a_year_on(parts):
    train, scoring = parts
    selection = select_features(train, scoring, SPEC, CFG)
    assert selection.dropped == [] and selection.kept == SPEC.inputs
    assert selection.features["tenure_years"].std_shift == pytest.approx(0.0, abs=0.1)
    # compared as they are, tenure (0-4 years, std 1.4) has moved by a year: 0.7 std
    plain = select_features(train, scoring, SPEC, CFG.model_copy(update={"calendar_features": []}))
    assert plain.dropped == ["tenure_years"]
    assert plain.features["tenure_years"].std_shift == pytest.approx(1 / np.sqrt(2), abs=0.05)


def test_constant_quasi_constant_and_duplicated_inputs_are_dropped_and_nothing_else(parts):
    train, scoring = (frame.copy() for frame in parts)
    rng = np.random.default_rng(3)
    for frame in (train, scoring):
        n = len(frame)
        frame["plan_code"] = 7.0  # constant
        frame["rare_flag"] = np.where(np.arange(n) % 200 == 0, 1.0, 0.0)  # one value in 99.5% of rows
        frame["common_flag"] = (rng.random(n) < 0.03).astype(float)  # 97%: informative enough, kept
        frame["bmi_again"] = frame["bmi"]  # the same values as bmi, NaN where bmi is
        frame["region_again"] = frame["region"]
    spec = SPEC.model_copy(
        update={
            "numeric": [*SPEC.numeric, "plan_code", "rare_flag", "common_flag", "bmi_again"],
            "categorical": [*SPEC.categorical, "region_again"],
        }
    )
    selection = select_features(train, scoring, spec, CFG)
    assert selection.dropped == ["plan_code", "rare_flag", "bmi_again", "region_again"]
    got = {c: (selection.features[c].reasons, selection.features[c].duplicate_of) for c in selection.dropped}
    assert got == {
        "plan_code": (["constant"], None),
        "rare_flag": (["quasi_constant"], None),
        "bmi_again": (["duplicate"], "bmi"),
        "region_again": (["duplicate"], "region"),
    }
    assert selection.features["rare_flag"].top_share == pytest.approx(0.995, abs=1e-3)
    assert selection.features["plan_code"].top_share == 1.0
    assert selection.kept == [*SPEC.numeric, "common_flag", *SPEC.categorical]


def test_disabled_keeps_every_input_but_records_the_reasons(parts):
    train, scoring = parts
    shifted = scoring.assign(bmi=scoring["bmi"] + 10.0)
    selection = select_features(train, shifted, SPEC, CFG.model_copy(update={"enabled": False}))
    assert selection.kept == SPEC.inputs and selection.dropped == []
    assert selection.features["bmi"].kept and selection.features["bmi"].reasons == ["std_shift", "psi"]


def test_everything_dropped_or_a_missing_column_is_one_line_naming_the_cause(parts):
    train, scoring = parts
    tight = CFG.model_copy(update={"max_psi": 1e-9, "max_std_shift": 1e-9})
    with pytest.raises(MedcostError, match=r"every model input would be dropped \(select.max_std_shift = 1e-09"):
        select_features(train, scoring, SPEC, tight)
    with pytest.raises(MedcostError, match="the scoring part lacks column.s. bmi"):
        select_features(train, scoring.drop(columns="bmi"), SPEC, CFG)


def test_restricting_a_spec_keeps_its_order_and_refuses_a_selection_of_other_inputs(parts):
    train, scoring = parts
    selection = select_features(train, scoring.assign(cost_prev1=scoring["cost_prev1"] * 5), SPEC, CFG)
    restricted = selection.restrict(SPEC)
    assert restricted.inputs == ["smoker", "bmi", "age", "tenure_years", "region"]
    assert restricted.history == [] and restricted.key == SPEC.key and restricted.target == SPEC.target
    other = SPEC.model_copy(update={"numeric": [*SPEC.numeric, "children"]})
    with pytest.raises(MedcostError, match=r"made for other model inputs \(children\).*rerun select"):
        selection.restrict(other)


def test_the_report_table_lists_the_dropped_inputs_first_with_the_score_that_decided(parts):
    train, scoring = parts
    selection = select_features(train, scoring.assign(bmi=scoring["bmi"] + 15.0), SPEC, CFG)
    lines = selection_markdown(selection)
    assert lines[0].startswith("5 of 6 model inputs kept, 1 dropped (limits: std shift 0.5, PSI 0.25")
    bmi = selection.features["bmi"]
    assert bmi.std_shift is not None and bmi.psi is not None and bmi.top_share is not None
    shift, psi, top = f"{bmi.std_shift:.3f}", f"{bmi.psi:.3f}", f"{bmi.top_share:.3f}"
    assert lines[4] == f"| bmi | numeric | {shift} | {psi} | {top} | no | std shift {shift}, PSI {psi} |"
    assert [line.split(" | ")[0] for line in lines[5:]] == [f"| {c}" for c in selection.kept]
    assert selection_markdown(None) == [
        "No selection file in the workspace (run the pipeline: the select stage writes it)."
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda p: p["select"].update(calendar_features=["age", "birth_year"]),
            "params.yaml: select.calendar_features: birth_year is not a numeric model input",
        ),
        (lambda p: p["select"].update(max_psi=0), "params.yaml: select.max_psi = 0: Input should be greater than 0"),
    ],
)
def test_bad_select_params_are_one_line_naming_the_key(params, change, message):
    bad = copy.deepcopy(params)
    change(bad)
    with pytest.raises(MedcostError) as err:
        check_params(bad)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


# ------------------------------------------------------------------ the stages, on the repository's feature spec


def full_part(spec: FeatureSpec, flags: list[str], n: int, year: int, seed: int) -> pd.DataFrame:
    """Rows with every model input of the repository's spec (and the key, and the target for training rows)."""
    rng = np.random.default_rng(seed)
    data: dict[str, Any] = {"client_id": np.arange(n), "year": year}
    for column in spec.numeric:
        data[column] = (rng.random(n) < 0.2).astype(float) if column in flags else rng.lognormal(3, 0.5, n)
    for column in spec.categorical:
        data[column] = rng.choice(["a", "b", "c"], n)
    frame = pd.DataFrame(data)
    frame["age"] += year - 2025  # calendar features of the snapshot are a year on
    frame["tenure_years"] += year - 2025
    if year == 2025:
        frame[spec.target] = np.round(rng.gamma(1.0, 1.0, n) * (300 + 20 * frame["age"] + 2000 * frame["smoker"]), 2)
    return frame


def test_the_train_stages_fit_only_on_the_kept_inputs(params, tmp_path: Path):
    run = copy.deepcopy(params)
    run["paths"] = {key: str(tmp_path / value) for key, value in params["paths"].items()}
    transform = section(params, "transform", TransformParams)
    spec = FeatureSpec.from_params(transform)
    train = full_part(spec, transform.flags, 1200, 2025, seed=4)
    scoring = full_part(spec, transform.flags, 800, 2026, seed=5)
    scoring["smoker"] = (np.random.default_rng(6).random(len(scoring)) < 0.8).astype(float)  # 0.2 -> 0.8: 1.5 std
    Path(run["paths"]["train"]).parent.mkdir(parents=True)
    train.to_parquet(run["paths"]["train"])
    scoring.to_parquet(run["paths"]["scoring"])

    select_stage.main(run, argparse.Namespace())
    selection = read_contract(run["paths"]["selection"], FeatureSelection)
    assert selection.dropped == ["smoker"] and selection.features["smoker"].reasons == ["std_shift", "psi"]
    summary = json.loads((Path(run["paths"]["metrics"]) / "select.json").read_text())
    assert summary == {"kept": len(spec.inputs) - 1, "dropped": 1, "dropped_features": {"smoker": "std_shift, psi"}}

    tune_stage.main(run, argparse.Namespace())  # tune.enabled false: the train stages use their params
    train_tree_stage.main(run, argparse.Namespace())  # smoker is in train_tree.increasing: its constraint goes
    train_linear_stage.main(run, argparse.Namespace())
    kept = [c for c in spec.inputs if c != "smoker"]
    test = full_part(spec, transform.flags, 300, 2025, seed=7)
    for name in ("tree", "linear"):
        model = load_model(Path(run["paths"]["models"]) / f"{name}.pkl")
        assert list(model.feature_names_in_) == kept, name
        # the downstream stages read the model's own columns: a frame without smoker predicts the same
        full = predict(model, test)
        assert np.allclose(predict(model, test.drop(columns="smoker")), full) and (full >= 0).all()
        assert list(input_types(model, spec)) == kept  # the served model's signature
        table = importance_tables({name: model}, test, spec, rows=100, repeats=1, seed=0)[f"importance_{name}"]
        assert sorted(table["feature"]) == sorted(kept)
