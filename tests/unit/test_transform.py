"""Point-in-time features: nothing from on or after the cutoff leaks into a feature; DuckDB and pandas agree.

The behaviour tests run on every engine (``engine`` parameter): pandas on the frames, DuckDB and
Spark on the same frames written as the extract writes them (Parquet with the declared column
types). Spark's comparison with DuckDB on the demo data: tests/data/test_spark_transform.py.
"""

import datetime as dt
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from medcost.core.errors import MedcostError
from medcost.core.features import FeatureSpec
from medcost.core.params import ExtractParams, TransformParams, section
from medcost.extract.convert import arrow_schema
from medcost.transform import (
    Cutoff,
    build_feature_table,
    client_features,
    duckdb_feature_table,
    duckdb_features,
    spark_features,
    write_feature_table,
)
from tests.unit.test_extract import run_extract

CUTOFF = dt.date(2025, 1, 1)
ENGINES = ["pandas", "duckdb"]
BEHAVIOUR_ENGINES = [*ENGINES, pytest.param("spark", marks=pytest.mark.spark)]


@pytest.fixture(scope="module")
def cfg(transform_cfg: TransformParams) -> TransformParams:
    return transform_cfg


@pytest.fixture
def features(params, cfg, tmp_path, request):
    """``client_features`` of the engine under test: (clients, claims, cutoff, target_end=None) -> frame."""
    engine = request.param

    def run(clients: pd.DataFrame, claims: pd.DataFrame, cutoff: dt.date, target_end: dt.date | None = None):
        if engine == "pandas":
            return client_features(clients, claims, cutoff, cfg, target_end=target_end)
        paths = write_raw(params, clients, claims, tmp_path)
        run_sql = spark_features if engine == "spark" else duckdb_features
        return run_sql(paths["clients"], paths["claims"], [Cutoff(cutoff, target_end)], cfg)

    return run


def write_raw(params: dict, clients: pd.DataFrame, claims: pd.DataFrame, folder: Path) -> dict[str, Path]:
    """The frames as extract writes them: ``<folder>/<table>.parquet`` with the declared column types."""
    tables = section(params, "extract", ExtractParams).tables
    paths = {}
    for name, frame in (("clients", clients), ("claims", claims)):
        paths[name] = folder / f"{name}.parquet"
        schema = arrow_schema({c: t for c, t in tables[name].columns.items() if c in frame.columns})
        pq.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False), paths[name])
    return paths


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


@pytest.mark.parametrize("features", BEHAVIOUR_ENGINES, indirect=True)
def test_features_by_hand(cfg, features):
    out = features(clients_frame(), claims_frame(), CUTOFF, target_end=dt.date(2026, 1, 1)).set_index("client_id")
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


@pytest.mark.parametrize("features", BEHAVIOUR_ENGINES[1:], indirect=True)
def test_sql_engines_sum_amounts_in_exact_cents_whatever_the_order(features):
    """0.1 + 0.2 + 0.3 is 0.6000000000000001 in doubles and 0.3 + 0.2 + 0.1 is 0.6: summed as doubles, a
    parallel engine's features change in the last bit from run to run (and dvc.lock with them)."""
    claims = pd.DataFrame(
        [(i, 3, dt.date(2025, 3, 1), dt.date(2025, 3, 2), "pharmacy", a) for i, a in enumerate([0.1, 0.2, 0.3], 1)],
        columns=["claim_id", "client_id", "service_date", "paid_date", "category", "amount"],
    )
    sums = [
        features(clients_frame(), rows, dt.date(2026, 1, 1)).set_index("client_id").loc[3, "cost_prev1"]
        for rows in (claims, claims.iloc[::-1])
    ]
    assert sums == [0.6, 0.6]


@pytest.mark.parametrize("features", BEHAVIOUR_ENGINES, indirect=True)
def test_a_claim_after_the_cutoff_never_changes_any_feature(features):
    """Add claims serviced on/after the cutoff, or serviced before but paid on/after it: features stay equal."""
    base = features(clients_frame(), claims_frame(), CUTOFF)
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
    after = features(clients_frame(), late, CUTOFF)
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


@pytest.mark.parametrize("features", BEHAVIOUR_ENGINES, indirect=True)
def test_a_client_without_key_is_skipped_not_crashed(features):
    clients = clients_frame()
    clients["client_id"] = clients["client_id"].astype("Int64")
    clients.loc[0, "client_id"] = pd.NA
    out = features(clients, claims_frame(), CUTOFF)
    assert list(out["client_id"]) == [2, 3]


@pytest.mark.parametrize("features", BEHAVIOUR_ENGINES, indirect=True)
def test_a_claim_without_amount_counts_but_costs_nothing(cfg, features, caplog):
    """A last-year claim with a missing amount, and one in an unlisted category: counted, 0 cost, a warning."""
    claims = claims_frame()
    extra = pd.DataFrame(
        [
            (80, 3, dt.date(2024, 5, 1), dt.date(2024, 5, 2), "pharmacy", None),
            (81, 2, dt.date(2024, 9, 1), dt.date(2024, 9, 2), " Dental", 40.0),
        ],
        columns=claims.columns,
    )
    with caplog.at_level(logging.WARNING):
        out = features(clients_frame(), pd.concat([claims, extra], ignore_index=True), CUTOFF).set_index("client_id")
    assert out.loc[3, "claims_prev1"] == 1 and out.loc[3, "cost_prev1"] == 0 and out.loc[3, "cost_prev1_pharmacy"] == 0
    assert out.loc[2, "claims_prev1"] == 2 and out.loc[2, "cost_prev1"] == 240.0
    assert out.loc[2, "cost_prev1_primary_care"] == 200.0
    assert "1 claim(s) in categories not listed in transform.claim_categories: dental" in caplog.text


def test_engines_agree_on_demo_data(small_source, params, cfg, tmp_path):
    """The stage's file by DuckDB reads back as pandas' feature table: same columns, dtypes, rows and order.

    Integers, dates and text are compared exactly; floats within 1e-9 relative: DuckDB sums exact
    cents, pandas adds the doubles in row order, so sums may differ in the last bits.
    """
    run_extract(small_source["url"], params, tmp_path)
    as_of = section(params, "extract", ExtractParams).as_of
    clients, claims = tmp_path / "clients.parquet", tmp_path / "claims.parquet"
    files = {}
    for engine in ENGINES:
        files[engine] = tmp_path / f"features-{engine}.parquet"
        write_feature_table(clients, claims, as_of, cfg.model_copy(update={"engine": engine}), files[engine])
    reference, duck = pd.read_parquet(files["pandas"]), pd.read_parquet(files["duckdb"])
    assert list(duck.columns) == list(reference.columns)
    assert duck.dtypes.to_dict() == reference.dtypes.to_dict()
    assert len(duck) == len(reference) > 1000
    floats = [c for c in reference.columns if reference[c].dtype.kind == "f"]
    exact = [c for c in reference.columns if c not in floats]
    pd.testing.assert_frame_equal(duck[exact], reference[exact], check_exact=True)
    for column in floats:
        np.testing.assert_allclose(duck[column], reference[column], rtol=1e-9, atol=0, equal_nan=True, err_msg=column)
    assert set(exact) == {"client_id", "year", "cutoff_date", *cfg.categorical}
    # the in-memory result is the same table
    pd.testing.assert_frame_equal(duckdb_feature_table(clients, claims, as_of, cfg), duck)


def test_duckdb_names_a_missing_column_and_file(cfg, tmp_path):
    clients = tmp_path / "clients.parquet"
    pq.write_table(pa.Table.from_pandas(clients_frame().drop(columns=["bmi"]), preserve_index=False), clients)
    with pytest.raises(MedcostError, match=r"^clients: column\(s\) bmi missing \(needed by transform params\)$"):
        duckdb_features(clients, tmp_path / "claims.parquet", [Cutoff(CUTOFF)], cfg)
    pq.write_table(pa.Table.from_pandas(clients_frame(), preserve_index=False), clients)
    with pytest.raises(MedcostError, match=r"claims.parquet: file not found \(run the extract stage first\)$"):
        duckdb_features(clients, tmp_path / "claims.parquet", [Cutoff(CUTOFF)], cfg)


@pytest.mark.parametrize("engine", BEHAVIOUR_ENGINES)
def test_no_client_on_the_training_cutoff_stops_and_writes_nothing(params, cfg, engine, tmp_path):
    paths = write_raw(params, clients_frame(), claims_frame(), tmp_path)
    out = tmp_path / "features.parquet"
    with pytest.raises(
        MedcostError, match=r"^transform: no client was enrolled on 2010-01-01 \(the training cutoff\)$"
    ):
        write_feature_table(
            paths["clients"], paths["claims"], dt.date(2011, 1, 1), cfg.model_copy(update={"engine": engine}), out
        )
    assert not out.exists() and list(tmp_path.glob(".features*")) == []
