"""Params of the transform's SQL engines: DuckDB's resources, and where Spark runs and with what."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from medcost.core.params_base import Section


class DuckDBParams(Section):
    """transform.duckdb: the engine's resources (it spills to ``temp_directory`` beyond ``memory_limit``)."""

    memory_limit: str = Field(pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$")  # e.g. 3GB
    temp_directory: str = Field(min_length=1)  # relative to the repository (gitignored), created when needed
    threads: int | None = Field(ge=1, le=256)  # null: one per core


SPARK_OWNED = {
    "spark.master": "master",
    "spark.driver.memory": "driver_memory",
    "spark.sql.shuffle.partitions": "shuffle_partitions",
    "spark.local.dir": "local_dir",
}
"""Spark settings that have their own key in transform.spark (setting them in ``conf`` too would be ambiguous)."""

SPARK_DOWNLOADS = ("spark.jars.packages", "spark.jars.repositories", "spark.jars.ivySettings")
"""Settings that make Spark fetch jars from Maven at start: runs never download (put jars on the cluster instead)."""


class SparkParams(Section):
    """transform.spark: where Spark runs (engine: spark) and with what; ``conf`` holds any other Spark setting."""

    master: str = Field(min_length=1)  # local[2] (this machine, 2 threads), spark://host:7077, yarn, k8s://...
    driver_memory: str = Field(pattern=r"^\d+[kmgt]$")  # Spark's JVM size, e.g. 2g; in local mode all of Spark's memory
    shuffle_partitions: int = Field(ge=1, le=100_000)  # spark.sql.shuffle.partitions
    local_dir: str = Field(min_length=1)  # scratch and shuffle files, relative to the repository (gitignored)
    log_level: Literal["ERROR", "WARN", "INFO", "DEBUG"]  # of Spark's own log, written to <local_dir>/driver.log
    conf: dict[str, str | int | float | bool]  # further Spark settings, e.g. spark.executor.memory: 4g

    @field_validator("conf")
    @classmethod
    def _no_owned_or_downloading_keys(
        cls, value: dict[str, str | int | float | bool]
    ) -> dict[str, str | int | float | bool]:
        for key in value:
            if not key.startswith("spark."):
                raise ValueError(f"{key}: not a Spark setting (they start with spark.)")
            if key in SPARK_OWNED:
                raise ValueError(f"{key}: set transform.spark.{SPARK_OWNED[key]} instead")
            if key in SPARK_DOWNLOADS:
                raise ValueError(
                    f"{key}: runs never download jars (put them on the cluster's classpath, or list local files in spark.jars)"
                )
        return value
