"""The input rules from params and the per-row check; the served model's answer; the server's message cleaning."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from medcost.core.errors import MedcostError
from medcost.core.inputs import InputRules, check_rows, first_rejection
from medcost.core.params import TransformParams, ValidateParams, section
from medcost.core.served_model import NOT_FINITE, answer
from medcost.serve import client_message, strict_json
from tests.registry_support import feature_spec, input_rules, make_frame, repo_params


def rows(n: int = 4) -> pd.DataFrame:
    """Valid feature rows (the model inputs only)."""
    return make_frame(n, seed=11)[feature_spec().inputs].reset_index(drop=True)


def test_the_rules_come_from_the_params():
    rules = input_rules()
    assert list(rules.columns) == feature_spec().inputs
    age, bmi, smoker = rules.columns["age"], rules.columns["bmi"], rules.columns["smoker"]
    assert (age.low, age.high, age.source) == (0.0, 120.0, "validate.age")
    assert (bmi.low, bmi.high, bmi.source) == (12.0, 70.0, "transform.valid_ranges")
    assert smoker.allowed == [0.0, 1.0] and rules.columns["region"].values == [
        "northeast",
        "northwest",
        "southeast",
        "southwest",
    ]
    assert rules.columns["cost_prev1"].low == 0.0 and rules.columns["cost_trend"].low is None
    assert InputRules.model_validate_json(rules.model_dump_json()) == rules  # stored with the model as JSON


def test_a_categorical_column_without_allowed_values_is_a_params_error():
    params = repo_params()
    transform = section(params, "transform", TransformParams)
    validate = section(params, "validate", ValidateParams)
    sets = {k: v for k, v in validate.value_sets.items() if k != "plan"}
    with pytest.raises(MedcostError, match="validate.value_sets has no allowed values for column plan"):
        InputRules.from_params(transform, validate.model_copy(update={"value_sets": sets}))


def test_valid_rows_and_missing_values_pass():
    frame = rows()
    frame.loc[0, ["age", "bmi"]] = np.nan
    frame.loc[1, "sex"] = None
    frame.loc[2, "cost_trend"] = -5000.0  # a fall in cost
    assert check_rows(frame, input_rules()) == [None] * 4


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("age", 1e12, "age = 1e+12: above 120 (validate.age)"),
        ("age", -3.0, "age = -3: below 0 (validate.age)"),
        ("age", np.inf, "age = inf: not a finite number"),
        ("bmi", 500.0, "bmi = 500: above 70 (transform.valid_ranges)"),
        ("smoker", 2.0, "smoker = 2: not one of 0, 1 (transform.flags)"),
        ("cost_prev1", -1.0, "cost_prev1 = -1: below 0 (never negative, validate.max_history_cost)"),
        ("cost_prev2", 1e9, "cost_prev2 = 1000000000: above 5e+07 (never negative, validate.max_history_cost)"),
        ("months_enrolled_prev", 13.0, "months_enrolled_prev = 13: above 12 (the definition of months_enrolled_prev)"),
        ("age", "old", "age = 'old': not a number"),
        (
            "region",
            "mars",
            "region = 'mars': not one of northeast, northwest, southeast, southwest (validate.value_sets)",
        ),
        ("sex", "Male", "sex = 'Male': not one of female, male (validate.value_sets)"),
    ],
)
def test_a_bad_value_is_named_with_its_column_and_rule(column, value, expected):
    frame = rows().astype({column: object})
    frame.loc[2, column] = value
    assert check_rows(frame, input_rules()) == [None, None, expected, None]


def test_every_reason_of_a_row_is_given_and_the_first_rejection_is_found():
    frame = rows(3)
    frame.index = [10, 20, 30]  # the check goes by position, not by index
    frame.loc[30, "age"] = -1.0
    frame.loc[30, "bmi"] = 5.0
    errors = check_rows(frame, input_rules())
    assert errors[:2] == [None, None]
    assert errors[2] == "bmi = 5: below 12 (transform.valid_ranges); age = -1: below 0 (validate.age)"
    assert first_rejection(errors) == (1, 2, errors[2])
    assert first_rejection([None, None]) is None


def test_a_missing_column_is_an_error_of_the_whole_frame():
    with pytest.raises(MedcostError, match=r"column\(s\) bmi missing"):
        check_rows(rows().drop(columns=["bmi"]), input_rules())


def test_the_answer_predicts_only_valid_rows_and_never_answers_nan(data):
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.dummy import DummyRegressor

    frame = rows(3)
    frame.loc[1, "age"] = 1e12
    got = answer(data["good"], input_rules(), frame)
    assert list(got.columns) == ["predicted_cost", "error"]
    expected = data["good"].predict(frame.iloc[[0, 2]])
    assert got["predicted_cost"][0] == pytest.approx(expected[0]) and got["predicted_cost"][2] == pytest.approx(
        expected[1]
    )
    assert got["predicted_cost"][1] is None and got["error"][1] == "age = 1e+12: above 120 (validate.age)"
    assert got["error"][0] is None and got["error"][2] is None

    overflowing = TransformedTargetRegressor(  # predicts exp(1000): infinity
        DummyRegressor(strategy="constant", constant=1000.0), func=np.log1p, inverse_func=np.exp, check_inverse=False
    ).fit(frame, np.ones(3))
    with np.errstate(over="ignore"):
        got = answer(overflowing, input_rules(), frame)
    assert got["predicted_cost"].tolist() == [None, None, None]
    assert got["error"].tolist() == [NOT_FINITE, "age = 1e+12: above 120 (validate.age)", NOT_FINITE]
    records = json.dumps(got.to_dict(orient="records"), allow_nan=False)  # strict JSON
    assert "NaN" not in records and "Infinity" not in records
    assert answer(data["good"], input_rules(), frame.iloc[:0]).empty


def test_client_messages_keep_the_reason_and_drop_data_and_paths():
    message = (
        "Failed to predict data '   age\n0  1.0'. \nError: Failed to enforce schema of data '   age' with schema "
        "'...'. Error: Model is missing inputs ['bmi']."
    )
    assert client_message(message) == "Model is missing inputs ['bmi']."
    echoed = "Invalid input. Ensure that input is a valid JSON formatted string. Error: 'x'\nInput: \n{secret body"
    assert client_message(echoed) == "Invalid input. Ensure that input is a valid JSON formatted string. Error: 'x'"
    shown = client_message('File "/srv/app/.venv/lib/python3.11/site-packages/x.py", line 3 in C:\\app\\y.py')
    assert "/srv" not in shown and "site-packages" not in shown and "C:\\" not in shown and "<path>" in shown
    assert len(client_message("x" * 1000)) == 300


def test_strict_json_refuses_nan_and_infinity():
    assert strict_json('{"predictions": [{"predicted_cost": 1.5, "error": null}]}')
    assert not strict_json('{"predictions": [NaN]}') and not strict_json("[Infinity]") and not strict_json("{")
