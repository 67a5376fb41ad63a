"""Point-in-time features: nothing from on or after the cutoff leaks into a feature."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from medcost.core.features import FeatureSpec
from medcost.core.params import ExtractParams, TransformParams, section
from medcost.transform import build_feature_table, client_features
from tests.unit.test_extract import run_extract

CUTOFF = dt.date(2025, 1, 1)


@pytest.fixture(scope="module")
def cfg(params) -> TransformParams:
    return section(params, "transform", TransformParams)


def clients_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "client_id": [1, 2, 3, 4],
            "birth_date": [dt.date(1960, 1, 1), dt.date(1990, 6, 15), dt.date(1980, 1, 2), dt.date(1975, 3, 3)],
            "sex": ["female", " Male", None, "male"],
            "region": ["SouthEast ", "northwest", "northeast", "southwest"],
            "plan": ["gold", "silver", "bronze", "platinum"],
            "smoker": [True, False, None, False],
            "bmi": [31.0, 0.0, None, 24.0],
            "children": [2, 0, 1, 3],
            "diabetes": [True, False, False, False],
            "hypertension": [True, False, False, False],
            "heart_disease": [False, False, False, False],
            "copd": [False, False, False, False],
            "enrolled_from": [dt.date(2015, 1, 1), dt.date(2024, 7, 1), dt.date(2018, 1, 1), dt.date(2016, 1, 1)],
            "enrolled_to": [None, None, None, dt.date(2024, 12, 31)],  # client 4 left before the cutoff
        }
    )


def claims_frame() -> pd.DataFrame:
    rows = [
        (1, dt.date(2024, 3, 1), dt.date(2024, 3, 10), "inpatient", 10000.0),
        (1, dt.date(2023, 5, 1), dt.date(2023, 5, 2), "pharmacy", 100.0),
        (2, dt.date(2024, 8, 1), dt.date(2024, 8, 5), "primary_care", 200.0),
        (1, dt.date(2025, 2, 1), dt.date(2025, 2, 3), "emergency", 700.0),  # target year
        (2, dt.date(2025, 12, 20), dt.date(2025, 12, 29), "outpatient", 50.0),  # target year
    ]
    frame = pd.DataFrame(rows, columns=["client_id", "service_date", "paid_date", "category", "amount"])
    frame.insert(0, "claim_id", range(1, len(frame) + 1))
    return frame


def test_features_by_hand(cfg):
    out = client_features(clients_frame(), claims_frame(), CUTOFF, cfg, target_end=dt.date(2026, 1, 1)).set_index(
        "client_id"
    )
    assert list(out.index) == [1, 2, 3]  # client 4 left before the cutoff
    assert out.loc[1, "age"] == 65 and out.loc[2, "age"] == 34 and out.loc[3, "age"] == 44
    assert out.loc[1, "cost_prev1"] == 10000.0 and out.loc[1, "cost_prev2"] == 100.0
    assert out.loc[1, "cost_prev1_inpatient"] == 10000.0 and out.loc[1, "claims_prev1"] == 1
    assert out.loc[1, "cost_trend"] == 9900.0
    assert out.loc[1, cfg.target] == 700.0 and out.loc[2, cfg.target] == 50.0 and out.loc[3, cfg.target] == 0.0
    assert out.loc[2, "months_enrolled_prev"] == pytest.approx(6.05, abs=0.05)
    # missing values: documented policy
    assert out.loc[1, "region"] == "southeast" and out.loc[2, "sex"] == "male" and out.loc[3, "sex"] is None
    assert np.isnan(out.loc[2, "bmi"])  # 0.0 is an entry error, outside valid_ranges
    assert np.isnan(out.loc[3, "smoker"]) and out.loc[1, "smoker"] == 1.0
    assert out.loc[3, "cost_prev1"] == 0.0  # no claims = no cost


def test_a_claim_after_the_cutoff_never_changes_any_feature(cfg):
    """Add claims serviced on/after the cutoff, or serviced before but paid on/after it: features stay equal."""
    base = client_features(clients_frame(), claims_frame(), CUTOFF, cfg)
    late = pd.concat(
        [
            claims_frame(),
            pd.DataFrame(
                [
                    (90, 1, dt.date(2025, 1, 1), dt.date(2025, 1, 1), "inpatient", 50000.0),
                    (91, 3, dt.date(2026, 5, 1), dt.date(2026, 5, 2), "pharmacy", 10.0),
                    (92, 2, dt.date(2024, 12, 30), dt.date(2025, 1, 4), "emergency", 900.0),  # paid after the cutoff
                ],
                columns=claims_frame().columns,
            ),
        ],
        ignore_index=True,
    )
    after = client_features(clients_frame(), late, CUTOFF, cfg)
    pd.testing.assert_frame_equal(base, after)


def test_inputs_are_not_modified(cfg):
    clients, claims = clients_frame(), claims_frame()
    before = (clients.copy(), claims.copy())
    build_feature_table(clients, claims, dt.date(2026, 1, 1), cfg)
    pd.testing.assert_frame_equal(clients, before[0])
    pd.testing.assert_frame_equal(claims, before[1])


def test_feature_table_on_generated_data(small_source, params, cfg, tmp_path):
    run_extract(small_source["url"], params, tmp_path)
    as_of = section(params, "extract", ExtractParams).as_of
    table = build_feature_table(
        pd.read_parquet(tmp_path / "clients.parquet"), pd.read_parquet(tmp_path / "claims.parquet"), as_of, cfg
    )
    spec = FeatureSpec.from_params(cfg)
    assert set(table["year"]) == {as_of.year - 1, as_of.year}
    assert not table.duplicated(cfg.key).any()
    train, score = table[table["year"] == as_of.year - 1], table[table["year"] == as_of.year]
    assert train[cfg.target].notna().all() and score[cfg.target].isna().all()
    assert set(spec.inputs) | {spec.target, *spec.key} <= set(table.columns)
    assert (train[cfg.target] == 0).mean() > 0.02  # some clients have no claims
    # the scoring snapshot's last-year history is the training year's target (same claims, one year on)
    both = train.merge(score, on="client_id", suffixes=("_train", "_score"))
    assert np.allclose(both[f"{cfg.target}_train"], both["cost_prev1_score"])


def test_a_client_without_key_is_skipped_not_crashed(cfg):
    clients = clients_frame()
    clients["client_id"] = clients["client_id"].astype("Int64")
    clients.loc[0, "client_id"] = pd.NA
    out = client_features(clients, claims_frame(), CUTOFF, cfg)
    assert list(out["client_id"]) == [2, 3]
