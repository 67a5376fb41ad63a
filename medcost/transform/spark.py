"""The feature table computed by Spark (``transform.engine: spark``) from the one SQL definition, locally or on a cluster.

Spark reads the Parquet extract into temporary views ``clients`` and ``claims`` and runs
:func:`medcost.transform.sql.feature_sql` in its dialect, the text DuckDB runs in its own; the
per-client rows come back to the driver as Arrow and leave as the table every engine gives
(:mod:`medcost.transform.result`). The session comes from ``transform.spark``: ``master``
(``local[2]`` by default: Spark inside this process's JVM, no cluster), the driver's memory,
the shuffle partitions, a scratch folder and any other setting in ``conf``. Nothing is
downloaded at start (no ``spark.jars.packages``), the web UI is off, and Spark's own output
(its JVM's stdout and stderr, and its log at ``log_level``) goes to ``<local_dir>/driver.log``,
not into the stage's output. PySpark is an optional install (``make setup-spark``).
"""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from medcost.core.errors import MedcostError, summarise
from medcost.core.params import SparkParams, TransformParams
from medcost.transform.features import CLAIM_COLUMNS, client_columns, snapshot_cutoffs, warn_short_history
from medcost.transform.result import (
    check_parquet,
    checked_feature_table,
    to_frame,
    warn_unknown_categories,
    write_batches,
)
from medcost.transform.sql import Cutoff, feature_sql, first_paid_sql, unknown_categories_sql

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

NOT_INSTALLED = (
    "transform.engine = spark needs PySpark, which is not installed: run make setup-spark"
    " (or set transform.engine: duckdb)"
)

LOG4J = """\
rootLogger.level = {level}
rootLogger.appenderRef.stderr.ref = stderr
appender.stderr.type = Console
appender.stderr.name = stderr
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = %d{{yy/MM/dd HH:mm:ss}} %p %c{{1}}: %m%n%ex
"""
"""Spark's log4j2 configuration: its log at ``transform.spark.log_level`` on the JVM's stderr (driver.log)."""

BATCH_ROWS = 131_072
"""Feature rows per batch from the collected Arrow table to the Parquet writer."""


def _value(value: str | int | float | bool) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def spark_conf(settings: SparkParams, local_dir: Path) -> dict[str, str]:
    """The Spark settings of a run: ``transform.spark``'s, then its ``conf`` (scratch, log config in ``local_dir``)."""
    conf = {
        "spark.master": settings.master,
        "spark.app.name": "medcost-transform",
        "spark.driver.memory": settings.driver_memory,
        "spark.sql.shuffle.partitions": str(settings.shuffle_partitions),
        "spark.local.dir": str(local_dir),
        "spark.sql.warehouse.dir": str(local_dir / "warehouse"),  # created only if a table were saved
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile=file:{local_dir / 'log4j2.properties'}",
    }
    if settings.master.startswith("local"):  # no cluster: bind to the loopback, whatever the host's name resolves to
        conf |= {"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"}
    for key, value in settings.conf.items():
        joined = key == "spark.driver.extraJavaOptions"  # ours (the log config) and the user's
        conf[key] = f"{conf[key]} {_value(value)}" if joined else _value(value)
    return conf


@contextmanager
def spark_session(settings: SparkParams) -> Iterator[SparkSession]:
    """A Spark session of ``settings``, stopped on exit; Spark's errors become one line naming its log."""
    try:
        from pyspark import SparkConf, SparkContext
        from pyspark.java_gateway import launch_gateway
        from pyspark.sql import SparkSession
    except ImportError:
        raise MedcostError(NOT_INSTALLED) from None
    logging.getLogger("py4j").setLevel(logging.WARNING)  # py4j logs every connection at INFO
    local_dir = Path(settings.local_dir).resolve()
    local_dir.mkdir(parents=True, exist_ok=True)
    (local_dir / "log4j2.properties").write_text(LOG4J.format(level=settings.log_level))
    driver_log = local_dir / "driver.log"
    conf = SparkConf(loadDefaults=False).setAll(list(spark_conf(settings, local_dir).items()))
    with _spark_errors(driver_log):
        gateway = None
        if SparkContext._gateway is None:  # the first session of this process starts the JVM, its output to the log
            with driver_log.open("w") as output:
                gateway = launch_gateway(conf, popen_kwargs={"stdout": output, "stderr": subprocess.STDOUT})
        context = SparkContext(conf=conf, gateway=gateway)
        log.info("spark: %s, Spark %s (its log: %s)", settings.master, context.version, driver_log)
        session = SparkSession.builder.getOrCreate()
    try:
        with _spark_errors(driver_log):
            yield session
    finally:
        session.stop()


@contextmanager
def _spark_errors(driver_log: Path) -> Iterator[None]:
    """Spark's and py4j's exceptions as one line: the first line of the message, and where Spark's log is."""
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    try:
        yield
    except PySparkException as exc:
        if exc.getCondition() == "JAVA_GATEWAY_EXITED":
            raise MedcostError(
                "transform.engine = spark: Spark's Java process did not start (Spark 4 needs Java 17 or 21 on PATH"
                f" or in JAVA_HOME); its output: {driver_log}"
            ) from None
        raise MedcostError(f"transform (spark): {summarise(exc)} (Spark's log: {driver_log})") from None
    except Py4JError as exc:
        raise MedcostError(f"transform (spark): {summarise(exc)} (Spark's log: {driver_log})") from None


def _result(
    clients: Path, claims: Path, cutoffs: Sequence[Cutoff], cfg: TransformParams
) -> tuple[pa.Table, dt.date | None]:
    """The feature rows of ``cutoffs``, sorted by year and client, collected from Spark as one Arrow table; the
    first paid date."""
    check_parquet(Path(clients), "clients", client_columns(cfg))  # before Spark starts: a missing file fails fast
    check_parquet(Path(claims), "claims", CLAIM_COLUMNS)
    with spark_session(cfg.spark) as session:
        for name, path in (("clients", clients), ("claims", claims)):
            session.read.parquet(str(Path(path).resolve())).createOrReplaceTempView(name)
        first_paid = session.sql(first_paid_sql()).collect()[0][0]
        warn_short_history(first_paid, cutoffs, cfg)
        rows = session.sql(unknown_categories_sql(cfg, cutoffs, dialect="spark")).collect()
        warn_unknown_categories([(r[0], r[1], r[2]) for r in rows], cutoffs)
        return session.sql(feature_sql(cfg, cutoffs, dialect="spark")).toArrow(), first_paid


def spark_features(clients: Path, claims: Path, cutoffs: Sequence[Cutoff], cfg: TransformParams) -> pd.DataFrame:
    """The feature rows of ``cutoffs`` from the Parquet files ``clients`` and ``claims``, by Spark."""
    return to_frame(_result(clients, claims, cutoffs, cfg)[0])


def spark_feature_table(
    clients: Path, claims: Path, as_of: dt.date, cfg: TransformParams, backtest_years: int = 0
) -> pd.DataFrame:
    """Training rows and scoring snapshot, as :func:`medcost.transform.features.build_feature_table`, by Spark."""
    return checked_feature_table(spark_features, clients, claims, as_of, cfg, backtest_years)


def write_spark_feature_table(
    clients: Path, claims: Path, as_of: dt.date, cfg: TransformParams, out: Path, backtest_years: int = 0
) -> tuple[dict[int, int], dt.date | None]:
    """The feature table of :func:`spark_feature_table` written to ``out`` atomically; the rows per year and the
    first paid date."""
    cutoffs = snapshot_cutoffs(as_of, cfg.training_years, backtest_years)
    result, first_paid = _result(clients, claims, cutoffs, cfg)
    return write_batches(result.to_reader(BATCH_ROWS), cutoffs, out), first_paid
