"""The backtest: its metrics on hand-computed cases, and that scoring year Y never uses data from Y or later.

The leak tests plant future data and watch the year-Y fit: targets of year Y and later altered in
the stacked rows, and claims of year Y (one serviced in Y, one serviced before Y but paid in Y) added
to a raw source that the pandas reference transform turns into the feature rows.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pytest

from medcost.backtest import (
    Fit,
    Predictor,
    cutoff_rows,
    mean_scores,
    needed_years,
    r2_table,
    run_backtest,
    year_rows,
)
from medcost.core.contracts import Backtest, BacktestScores, read_contract, write_contract
from medcost.core.errors import MedcostError
from medcost.core.features import FeatureSpec
from medcost.core.metrics import capped_r2, cost_scores, gains_gini, predictive_ratios
from medcost.core.model_file import predict
from medcost.core.params import TrainLinearParams, TrainTreeParams, TransformParams, section
from medcost.train import build_linear_pipeline, build_tree_pipeline, fit
from medcost.transform import build_feature_table, snapshot_cutoffs, transform_summary
from medcost.transform.features import backtest_cutoffs, warn_short_history

AS_OF = dt.date(2026, 1, 1)

# ----------------------------------------------------------------------------- metrics, by hand


def test_gains_gini_by_hand():
    # ranked right: the gains curve passes (.25, .75), (.5, 1), (.75, 1), (1, 1): area .8125, Gini 2 x .8125 - 1
    assert gains_gini([0, 0, 10, 30], [1, 2, 3, 4]) == pytest.approx(0.625)
    assert gains_gini([0, 0, 10, 30], [4, 3, 2, 1]) == pytest.approx(-0.625)  # ranked backwards
    assert gains_gini([0, 0, 10, 30], [7, 7, 7, 7]) == pytest.approx(0.0)  # no ranking: the diagonal
    # ties enter together, pro rata: the top half holds (0 + 30) / 40; area .5 x .375 + .5 x .875 = .625
    assert gains_gini([0, 10, 0, 30], [1, 1, 2, 2]) == pytest.approx(0.25)
    assert gains_gini([30, 0, 10, 0], [2, 1, 1, 2]) == pytest.approx(0.25)  # row order does not matter
    assert np.isnan(gains_gini([0, 0], [1, 2]))


def test_capped_r2_caps_actual_and_predicted():
    # capped at 150: actual [0, 100], predicted [0, 150]: MSE 1250, variance 2500, R² 0.5
    assert capped_r2([0, 100], [0, 300], cap=150) == pytest.approx(0.5)
    # above the cap both are 250: a perfect capped fit whatever the uncapped error
    assert capped_r2([0, 100, 200, 400], [0, 100, 200, 300], cap=250) == pytest.approx(1.0)
    with pytest.raises(MedcostError, match="evaluate.cap"):
        capped_r2([0, 1], [0, 1], cap=0)


def test_predictive_ratio_per_decile_of_predicted_cost_by_hand():
    # ranked by prediction: the low half (predicted 1, 2) cost 4 + 3; the high half (3, 4) cost 2 + 1
    assert predictive_ratios([4, 3, 2, 1], [1, 2, 3, 4], groups=2) == pytest.approx([3 / 7, 7 / 3])
    ratios = predictive_ratios([0, 0, 5, 5], [1, 2, 3, 4], groups=2)
    assert np.isnan(ratios[0]) and ratios[1] == pytest.approx(7 / 10)  # no actual cost: undefined
    # ties share one group whatever their actual cost: a constant prediction is all in the middle group
    tied = predictive_ratios([4, 3, 2, 1], [5, 5, 5, 5], groups=3)
    assert np.isnan(tied[0]) and tied[1] == pytest.approx(2.0) and np.isnan(tied[2])
    assert predictive_ratios([1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1], groups=3) == pytest.approx([3 / 11, 1.0, 11 / 3])


def test_scores_and_their_mean_over_years():
    year = cost_scores(np.array([0.0, 0.0, 10.0, 30.0]), np.array([1.0, 2.0, 3.0, 4.0]), cap=20.0, deciles=2)
    assert year.gini == pytest.approx(0.625) and year.total_ratio == pytest.approx(0.25)
    assert year.mae == pytest.approx((1 + 2 + 7 + 26) / 4) and year.predictive_ratio["2"] == pytest.approx(7 / 40)
    assert year.r2_capped == pytest.approx(1 - ((1 + 4 + 49 + 256) / 4) / 68.75)  # capped actual: 0, 0, 10, 20
    assert year.rmse is not None
    other = year.model_copy(update={"r2": None, "rmse": 2 * year.rmse, "predictive_ratio": {"1": None, "2": 1.0}})
    mean = mean_scores({"2024": year, "2025": other})
    assert mean.rmse == pytest.approx(1.5 * year.rmse) and mean.r2 == year.r2  # an undefined value is left out
    assert mean.predictive_ratio == {"1": None, "2": pytest.approx((7 / 40 + 1) / 2)}


# ----------------------------------------------------------------------------- a source to backtest


def raw_source(clients: int = 400, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clients enrolled from 2019 on, and their claims of 2019-2025 (costlier for smokers and the chronically ill)."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, clients + 1)
    flags = {f: rng.random(clients) < 0.2 for f in ("smoker", "diabetes", "hypertension", "heart_disease", "copd")}
    people = pd.DataFrame(
        {
            "client_id": ids,
            "birth_date": pd.Timestamp("1950-01-01") + pd.to_timedelta(rng.integers(0, 20_000, clients), unit="D"),
            "sex": rng.choice(["female", "male"], clients),
            "region": rng.choice(["northeast", "northwest", "southeast", "southwest"], clients),
            "plan": rng.choice(["bronze", "silver", "gold", "platinum"], clients),
            **flags,
            "bmi": rng.normal(27, 4, clients),
            "children": rng.integers(0, 4, clients),
            "enrolled_from": pd.Timestamp("2019-01-01"),
            "enrolled_to": pd.NaT,
        }
    )
    risk = 1 + 2 * flags["smoker"] + 3 * flags["diabetes"] + rng.gamma(1.0, 1.0, clients)  # persistent
    rows = []
    for year in range(2019, 2026):
        counts = rng.poisson(risk)
        client = np.repeat(ids, counts)
        service = pd.Timestamp(f"{year}-01-01") + pd.to_timedelta(rng.integers(0, 365, len(client)), unit="D")
        rows.append(
            pd.DataFrame(
                {
                    "client_id": client,
                    "service_date": service,
                    "paid_date": service + pd.to_timedelta(rng.integers(0, 60, len(client)), unit="D"),
                    "category": rng.choice(["inpatient", "outpatient", "pharmacy"], len(client)),
                    "amount": rng.lognormal(6, 1.2, len(client)),
                }
            )
        )
    claims = pd.concat(rows, ignore_index=True)
    claims.insert(0, "claim_id", np.arange(1, len(claims) + 1))
    return people, claims


@pytest.fixture(scope="module")
def setup(params: dict[str, Any]) -> dict[str, Any]:
    cfg = section(params, "transform", TransformParams).model_copy(update={"engine": "pandas"})
    people, claims = raw_source()
    return {
        "cfg": cfg,
        "spec": FeatureSpec.from_params(cfg),
        "people": people,
        "claims": claims,
        "rows": build_feature_table(people, claims, AS_OF, cfg, backtest_years=2),  # cutoffs 2023-2025, 2026
        "tree": section(params, "train_tree", TrainTreeParams),
        "linear": section(params, "train_linear", TrainLinearParams),
    }


class Spy:
    """A real family (the train stage's fit of its pipeline) that records what it was fitted on and predicted."""

    def __init__(self, pipeline: Any, spec: FeatureSpec) -> None:
        self.pipeline, self.spec = pipeline, spec
        self.fitted: list[pd.DataFrame] = []
        self.predicted: list[np.ndarray] = []

    def __call__(self, train: pd.DataFrame) -> Predictor:
        self.fitted.append(train.copy())
        model = fit(self.pipeline, train, self.spec, n_threads=1)

        def predictor(rows: pd.DataFrame) -> np.ndarray:
            out = predict(model, rows)
            self.predicted.append(out)
            return out

        return predictor


def spies(setup: dict[str, Any]) -> dict[str, Spy]:
    spec = setup["spec"]
    return {
        "tree": Spy(build_tree_pipeline(setup["tree"], spec), spec),
        "linear": Spy(build_linear_pipeline(setup["linear"], spec), spec),
    }


def backtested(setup: dict[str, Any], rows: pd.DataFrame, families: Mapping[str, Fit]) -> Backtest:
    return run_backtest(rows, families, [2024, 2025], 1, setup["spec"], cap=250_000.0, deciles=10)


# ----------------------------------------------------------------------------- no data of year Y or later


def test_scoring_y_trains_on_the_cutoffs_before_y_only(setup):
    rows, spec = setup["rows"], setup["spec"]
    assert sorted(rows["year"].unique()) == [2023, 2024, 2025, 2026]
    family = spies(setup)["tree"]
    result = backtested(setup, rows, {"tree": family})
    # one fit per year, on the inputs and target of the cutoff before it
    assert [len(f) for f in family.fitted] == [(rows["year"] == 2023).sum(), (rows["year"] == 2024).sum()]
    assert list(family.fitted[0].columns) == [*spec.inputs, spec.target]
    assert result.data.rows["2024"].test == (rows["year"] == 2024).sum()
    assert set(result.models) == {"tree", "baseline"} and result.data.years == [2024, 2025]
    assert result.models["tree"].mean.r2 == pytest.approx(
        np.mean([float(result.models["tree"].years[y].r2 or 0.0) for y in ("2024", "2025")])
    )


def test_altered_targets_of_year_y_and_later_leave_the_year_y_model_unchanged(setup):
    rows, spec = setup["rows"], setup["spec"]
    planted = rows.copy()
    future = planted["year"] >= 2024
    planted.loc[future, spec.target] = planted.loc[future, spec.target] * 10 + 1e6
    extra = planted.loc[planted["year"] == 2025].assign(year=2027)  # a whole cutoff from the future, too
    planted = pd.concat([planted, extra], ignore_index=True)
    before, after = spies(setup), spies(setup)
    clean, dirty = backtested(setup, rows, before), backtested(setup, planted, after)
    for name in before:
        pd.testing.assert_frame_equal(before[name].fitted[0], after[name].fitted[0])
        np.testing.assert_array_equal(before[name].predicted[0], after[name].predicted[0])  # the same model for 2024
        assert not before[name].fitted[1].equals(after[name].fitted[1])  # 2025's fit sees 2024's (altered) targets
    assert clean.models["tree"].years["2024"].r2 != dirty.models["tree"].years["2024"].r2  # only the actuals moved


def test_a_planted_future_claim_changes_nothing_in_the_year_y_fit_or_predictions(setup):
    people, claims, cfg = setup["people"], setup["claims"], setup["cfg"]
    client = int(people["client_id"].iloc[0])
    planted = pd.DataFrame(
        {
            "claim_id": [10**9, 10**9 + 1],
            "client_id": [client, client + 1],
            "service_date": pd.to_datetime(["2024-03-01", "2023-12-20"]),  # in Y; and before Y but paid in Y
            "paid_date": pd.to_datetime(["2024-04-01", "2024-01-15"]),
            "category": ["inpatient", "inpatient"],
            "amount": [5_000_000.0, 3_000_000.0],
        }
    )
    rows = build_feature_table(people, pd.concat([claims, planted], ignore_index=True), AS_OF, cfg, backtest_years=2)
    changed = rows.loc[(rows["year"] == 2025) & (rows["client_id"] == client), "cost_prev1"].iloc[0]
    assert changed > 5_000_000.0  # the claims reached the table: 2025's history holds them
    before, after = spies(setup), spies(setup)
    backtested(setup, setup["rows"], before)
    backtested(setup, rows, after)
    for name in before:
        pd.testing.assert_frame_equal(before[name].fitted[0], after[name].fitted[0])  # 2024's model: as before
        np.testing.assert_array_equal(before[name].predicted[0], after[name].predicted[0])
        assert not before[name].fitted[1].equals(after[name].fitted[1])


# ----------------------------------------------------------------------------- rows, files and errors


def test_a_missing_cutoff_is_a_one_line_error(setup):
    rows = setup["rows"]
    with pytest.raises(MedcostError, match="no rows for 2022, needed to score 2023"):
        year_rows(rows, 2023, 1, setup["spec"])
    assert needed_years([2024, 2025], 2) == [2022, 2023, 2024, 2025]


def test_the_published_rows_of_the_cutoffs_and_the_files(setup, tmp_path):
    import pyarrow as pa
    import pyarrow.dataset as ds

    rows, spec = setup["rows"], setup["spec"]
    table = pa.Table.from_pandas(rows, preserve_index=False)
    for data in (table, ds.dataset(table)):
        read = cutoff_rows(data, [2024, 2025], spec)
        assert sorted(read["year"].unique()) == [2024, 2025] and len(read) == rows["year"].isin([2024, 2025]).sum()
    with pytest.raises(MedcostError, match="column\\(s\\) age missing"):
        cutoff_rows(table.drop_columns(["age"]), [2024], spec)
    result = backtested(setup, rows, {})
    write_contract(tmp_path / "backtest.json", result)
    assert read_contract(tmp_path / "backtest.json", Backtest).models["baseline"].years.keys() == {"2024", "2025"}
    plot = r2_table(result, ["tree", "linear", "baseline"])
    assert list(plot.columns) == ["year", "tree", "linear", "baseline"] and plot["year"].tolist() == [2024, 2025]
    assert plot["tree"].isna().all() and (plot["baseline"] <= 0).all()  # the mean of 2023 is no better than 2024's
    empty = run_backtest(rows, {}, [], 1, spec, cap=250_000.0)
    assert empty.models == {} and r2_table(empty, ["tree"]).empty
    assert isinstance(empty.data.rows, dict) and BacktestScores.model_fields


# ----------------------------------------------------------------------------- transform's earlier cutoffs


def test_transform_builds_the_backtest_cutoffs_before_the_training_ones_and_names_their_short_history(setup, caplog):
    cfg = setup["cfg"]
    cutoffs = snapshot_cutoffs(AS_OF, 1, 3)
    assert [c.on.year for c in cutoffs] == [2022, 2023, 2024, 2025, 2026] and cutoffs[-1].target_end is None
    assert [c.on.year for c in backtest_cutoffs(cutoffs, 1)] == [2022, 2023, 2024]
    rows = {2022: 5, 2023: 5, 2024: 5, 2025: 5, 2026: 4}
    summary = transform_summary(rows, dt.date(2021, 1, 1), AS_OF, cfg, backtest_years=3)
    assert summary.training_years == [2025] and summary.backtest_cutoffs == [2022, 2023, 2024]
    assert summary.short_history == [] and summary.history_years["2022"] == 1  # the training year has its 3 years
    with caplog.at_level(logging.WARNING, logger="medcost.transform.features"):
        warn_short_history(dt.date(2021, 1, 1), cutoffs, cfg)
    assert caplog.messages == [
        "transform: the claims start in 2021 (the first paid claim), so backtest years 2022, 2023 have 1, 2 of "
        "transform.lookback_years = 3 years of claims history: the backtest trains and scores there on less history "
        "than the model has now (its scores there are lower than they would be)"
    ]
    assert transform_summary(rows, dt.date(2021, 1, 1), AS_OF, cfg).backtest_cutoffs == []  # none by default
