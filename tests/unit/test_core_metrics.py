"""The shared regression metrics and the rounding of metric files, against values computed by hand on tiny arrays."""

import json
import math

import numpy as np
import pytest

from medcost.core.errors import MedcostError
from medcost.core.metrics import regression_metrics, top_share_captured
from medcost.core.numbers import round_floats

Y = [0.0, 10.0, 20.0, 30.0, 140.0]
P = [5.0, 10.0, 30.0, 20.0, 100.0]


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


def test_round_floats_six_significant_digits_nested():
    data = {
        "a": 123456789.0,
        "b": [0.000123456789, np.float64(2.0 / 3.0)],
        "c": {"d": np.int64(3), "e": 0.0},
        "f": float("nan"),
        "g": "text",
    }
    out = round_floats(data)
    assert out["a"] == 123457000.0 and out["b"] == [0.000123457, 0.666667]
    assert out["c"] == {"d": 3, "e": 0.0} and isinstance(out["c"]["d"], int)
    assert math.isnan(out["f"]) and out["g"] == "text"
    json.dumps(out)  # plain types only
