"""An in-memory DuckDB connection bounded by the params' memory limit, spill folder and threads (transform and validate)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from medcost.core.params import DuckDBParams

if TYPE_CHECKING:
    import duckdb


def connect(settings: DuckDBParams) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the params' memory limit, spill folder and threads."""
    import duckdb

    # DuckDB makes the spill folder itself, only when it spills, and removes it on close; not its parents
    Path(settings.temp_directory).parent.mkdir(parents=True, exist_ok=True)
    # preserve_insertion_order stays on: with it off, DuckDB 2.0.1 returned an ORDER BY result unsorted
    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": settings.memory_limit,
        "temp_directory": settings.temp_directory,
    }
    if settings.threads is not None:
        config["threads"] = settings.threads
    con = duckdb.connect(":memory:", config=config)
    con.execute("SET enable_progress_bar = false")  # a stage's output is its log (a session option)
    return con
