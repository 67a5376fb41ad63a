"""Spark (``transform.engine: spark``, local mode) runs the one SQL definition and gives DuckDB's feature table.

The tests marked ``spark`` start a real Spark in local mode (PySpark from ``make setup-spark``,
Java 17); under CI a missing PySpark fails them instead of skipping (tests/conftest.py). The
rest check what needs no Spark: its settings, the params' errors, the missing-PySpark error.
"""

from __future__ import annotations

import copy
import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from medcost.core.errors import MedcostError
from medcost.core.params import ExtractParams, TransformParams, section
from medcost.transform import Cutoff, duckdb_features, spark_feature_table, spark_features, write_feature_table
from medcost.transform.spark import NOT_INSTALLED, spark_conf
from tests.unit.test_extract import ROOT, run_extract
from tests.unit.test_transform import claims_frame, clients_frame, write_raw

CUTOFF = dt.date(2025, 1, 1)


@pytest.fixture(scope="module")
def cfg(transform_cfg: TransformParams) -> TransformParams:
    return transform_cfg


def assert_same_table(spark: pd.DataFrame, duck: pd.DataFrame) -> None:
    """Same columns, dtypes, rows and order; integers, dates and text exact, floats within 1e-9 relative.

    The engines sum the same amounts in different orders (both in parallel), so a sum may differ
    in its last bits; every other value is computed the same way from the same inputs.
    """
    assert list(spark.columns) == list(duck.columns)
    assert spark.dtypes.to_dict() == duck.dtypes.to_dict()
    assert len(spark) == len(duck)
    floats = [c for c in duck.columns if duck[c].dtype.kind == "f"]
    exact = [c for c in duck.columns if c not in floats]
    pd.testing.assert_frame_equal(spark[exact], duck[exact], check_exact=True)
    for column in floats:
        np.testing.assert_allclose(spark[column], duck[column], rtol=1e-9, atol=0, equal_nan=True, err_msg=column)


@pytest.mark.spark
@pytest.mark.parametrize("training_years", [1, 2])
def test_spark_gives_duckdbs_feature_table_on_demo_data(small_source, params, cfg, tmp_path, training_years):
    """The stage's file by Spark reads back as DuckDB's: every column, its dtype and every row, in order (and the
    same summary: rows per year, first paid date), with one training year or several."""
    run_extract(small_source["url"], params, tmp_path)
    as_of = section(params, "extract", ExtractParams).as_of
    cfg = cfg.model_copy(update={"training_years": training_years})
    clients, claims = tmp_path / "clients.parquet", tmp_path / "claims.parquet"
    files, summaries = {}, {}
    for engine in ("duckdb", "spark"):
        files[engine] = tmp_path / f"features-{engine}.parquet"
        summaries[engine] = write_feature_table(
            clients, claims, as_of, cfg.model_copy(update={"engine": engine}), files[engine]
        )
    assert summaries["spark"] == summaries["duckdb"]
    duck, spark = pd.read_parquet(files["duckdb"]), pd.read_parquet(files["spark"])
    assert len(duck) > 1000 and set(duck["year"]) == set(range(as_of.year - training_years, as_of.year + 1))
    assert_same_table(spark, duck)
    assert (spark["cost_prev1"] > 0).any() and spark[cfg.target].notna().any()  # not a table of zeros and nulls
    # the in-memory result is the same table, and both files have the same Arrow schema
    pd.testing.assert_frame_equal(spark_feature_table(clients, claims, as_of, cfg), spark)
    import pyarrow.parquet as pq

    assert pq.read_schema(files["spark"]).remove_metadata() == pq.read_schema(files["duckdb"]).remove_metadata()


@pytest.mark.spark
def test_category_names_and_whitespace_spelled_alike_in_both_dialects(params, cfg, tmp_path):
    """A quote and a backslash in a category name, and every ASCII space around a value, mean the same in both SQLs.

    Spark reads ``'a''b'`` as ``'ab'`` and takes backslash escapes; Java's ``\\v`` is every vertical
    whitespace: the dialects spell them apart, so both engines compare with the same text.
    """
    odd = ["inpatient", "o'brien", "back\\slash", "pharmacy"]
    cfg = cfg.model_copy(update={"claim_categories": odd})
    claims = claims_frame()
    extra = pd.DataFrame(
        [
            (70, 3, dt.date(2024, 5, 1), dt.date(2024, 5, 2), " O'Brien", 11.0),
            (71, 3, dt.date(2024, 5, 3), dt.date(2024, 5, 4), "back\\slash\t", 13.0),
            (72, 2, dt.date(2024, 6, 1), dt.date(2024, 6, 2), "\x0bPharmacy\f\r\n", 17.0),
            (73, 2, dt.date(2024, 6, 3), dt.date(2024, 6, 4), "\u2028pharmacy", 19.0),  # not ASCII: stays
        ],
        columns=claims.columns,
    )
    paths = write_raw(params, clients_frame(), pd.concat([claims, extra], ignore_index=True), tmp_path)
    cutoffs = [Cutoff(CUTOFF, target_end=dt.date(2026, 1, 1))]
    duck = duckdb_features(paths["clients"], paths["claims"], cutoffs, cfg)
    spark = spark_features(paths["clients"], paths["claims"], cutoffs, cfg)
    assert_same_table(spark, duck)
    out = spark.set_index("client_id")
    assert out.loc[3, "cost_prev1_o'brien"] == 11.0 and out.loc[3, "cost_prev1_back\\slash"] == 13.0
    assert out.loc[2, "cost_prev1_pharmacy"] == 17.0 and out.loc[2, "cost_prev1"] == 236.0


def test_without_pyspark_the_error_names_the_param_and_the_setup(params, cfg, tmp_path, monkeypatch):
    paths = write_raw(params, clients_frame(), claims_frame(), tmp_path)
    for name in [m for m in sys.modules if m == "pyspark" or m.startswith("pyspark.")] or ["pyspark"]:
        monkeypatch.setitem(sys.modules, name, None)  # import pyspark now raises ImportError, as when not installed
    out = tmp_path / "features.parquet"
    with pytest.raises(MedcostError) as err:
        write_feature_table(
            paths["clients"], paths["claims"], dt.date(2026, 1, 1), cfg.model_copy(update={"engine": "spark"}), out
        )
    assert str(err.value) == NOT_INSTALLED
    assert "transform.engine" in NOT_INSTALLED and "make setup-spark" in NOT_INSTALLED and "\n" not in NOT_INSTALLED
    assert not out.exists()


@pytest.mark.spark
def test_without_java_the_error_says_spark_needs_java(params, cfg, tmp_path):
    """A fresh process (no JVM yet) whose JAVA_HOME names no Java: one line, what Spark needs, where its output is."""
    paths = write_raw(params, clients_frame(), claims_frame(), tmp_path)
    code = (
        "import datetime as dt, sys\n"
        "from medcost.core.errors import MedcostError\n"
        "from medcost.core.params import TransformParams\n"
        "from medcost.transform import Cutoff, spark_features\n"
        f"cfg = TransformParams.model_validate_json({cfg.model_dump_json()!r})\n"
        "try:\n"
        f"    spark_features({str(paths['clients'])!r}, {str(paths['claims'])!r}, [Cutoff(dt.date(2025, 1, 1))], cfg)\n"
        "except MedcostError as exc:\n"
        "    print(exc)\n"
        "    sys.exit(3)\n"
    )
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "JAVA_HOME": str(tmp_path / "no-java")}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 3, result.stderr
    line = result.stdout.strip()
    assert line.startswith("transform.engine = spark: Spark's Java process did not start (Spark 4 needs Java 17")
    assert line.endswith(f"its output: {Path(cfg.spark.local_dir) / 'driver.log'}") and "\n" not in line


def test_spark_settings_keep_runs_offline_and_quiet(cfg):
    scratch = Path(cfg.spark.local_dir)
    settings = cfg.spark.model_copy(update={"conf": {"spark.driver.extraJavaOptions": "-Dx=1", "spark.foo": True}})
    conf = spark_conf(settings, scratch)
    assert conf["spark.master"] == "local[2]" and conf["spark.driver.memory"] == cfg.spark.driver_memory
    assert conf["spark.ui.enabled"] == "false" and conf["spark.ui.showConsoleProgress"] == "false"
    assert conf["spark.local.dir"] == str(scratch) and conf["spark.sql.shuffle.partitions"] == "8"
    assert conf["spark.driver.extraJavaOptions"] == f"-Dlog4j2.configurationFile=file:{scratch}/log4j2.properties -Dx=1"
    assert conf["spark.foo"] == "true" and not any(k.startswith("spark.jars") for k in conf)
    assert conf["spark.driver.host"] == "127.0.0.1"  # local mode
    on_cluster = spark_conf(settings.model_copy(update={"master": "spark://head:7077"}), scratch)
    assert "spark.driver.host" not in on_cluster


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("driver_memory", "2GB", "transform.spark.driver_memory = '2GB': String should match pattern"),
        ("conf", {"spark.master": "local[4]"}, "spark.master: set transform.spark.master instead"),
        (
            "conf",
            {"spark.jars.packages": "io.delta:delta-spark_2.13:4.0.0"},
            "spark.jars.packages: runs never download",
        ),
        ("conf", {"executor.memory": "4g"}, "executor.memory: not a Spark setting (they start with spark.)"),
        ("shuffle_partitions", 0, "transform.spark.shuffle_partitions = 0: Input should be greater than or equal to 1"),
    ],
)
def test_bad_spark_params_are_named_on_one_line(params, key, value, message):
    bad = copy.deepcopy(params)
    bad["transform"]["spark"][key] = value
    with pytest.raises(MedcostError) as err:
        section(bad, "transform", TransformParams)
    assert message in str(err.value) and "transform.spark" in str(err.value) and "\n" not in str(err.value)
