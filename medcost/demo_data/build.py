"""Generating the demo source: the simulated blocks written to the database and the true costs to Parquet, atomically.

The true expected cost of each enrolled client-year goes to a Parquet file beside the
database (never inside it), so a benchmark can tell how close a model comes to the best
possible prediction.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from medcost.core.errors import MedcostError, summarise
from medcost.core.secrets import mask_url
from medcost.demo_data.schema import CLAIM_COLUMNS, CLIENT_COLUMNS, TRUTH_COLUMNS, build_indexes, build_metadata
from medcost.demo_data.simulate import iter_blocks
from medcost.demo_data.target import check_sqlite_target, make_engine, parse_url, sqlite_file, temp_beside
from medcost.demo_data.writer import Writer, claim_columns, client_columns

log = logging.getLogger(__name__)


def generate(
    url: str,
    *,
    clients: int,
    first_year: int,
    years: int,
    seed: int,
    truth_path: str | Path,
    chunk_clients: int = 50_000,
    progress: bool = True,
) -> dict[str, Any]:
    """Write a seeded demo population to ``url`` and its true expected costs to ``truth_path``.

    Drops and recreates the tables ``clients`` and ``claims``. A SQLite file is built in a
    temporary file beside it and renamed into place at the end; on other databases the
    whole load is one transaction. ``truth_path`` (Parquet: client_id, year, expected_cost;
    one row per client-year with at least one enrolled day) is written atomically too.

    Returns a summary: clients, claims, client_years, seconds, url (password masked), truth.
    """
    if clients < 1 or years < 1 or chunk_clients < 1:
        raise MedcostError(f"clients ({clients}), years ({years}) and chunk_clients ({chunk_clients}) must be >= 1")
    if not 1900 <= first_year <= 9000:
        raise MedcostError(f"first_year = {first_year}: expected a year between 1900 and 9000")
    started = time.perf_counter()
    target = parse_url(url)
    shown = mask_url(target)
    db_file = sqlite_file(target)
    truth_path = Path(truth_path)
    if db_file is not None and truth_path.resolve() == db_file.resolve():
        raise MedcostError(f"{truth_path}: the truth file cannot be the database file")
    log.info(
        "generating %d clients x %d years (%d-%d, seed %d) into %s",
        clients,
        years,
        first_year,
        first_year + years - 1,
        seed,
        shown,
    )

    temps: list[Path] = []
    engine: Engine | None = None
    try:
        write_url = target
        if db_file is not None:
            check_sqlite_target(db_file)
            tmp_db = temp_beside(db_file, temps)
            write_url = target.set(database=str(tmp_db))
        tmp_truth = temp_beside(truth_path, temps)
        engine = make_engine(write_url)
        summary = _load(engine, tmp_truth, clients, first_year, years, seed, chunk_clients, progress, shown)
        engine.dispose()
        if db_file is not None:
            os.replace(tmp_db, db_file)
        os.replace(tmp_truth, truth_path)
    except SQLAlchemyError as exc:
        raise MedcostError(f"{shown}: {summarise(exc)}") from None
    except OSError as exc:
        raise MedcostError(f"cannot write {exc.filename or truth_path}: {exc.strerror or exc}") from None
    finally:
        if engine is not None:
            engine.dispose()
        for leftover in temps:
            leftover.unlink(missing_ok=True)
    summary.update(seconds=round(time.perf_counter() - started, 2), url=shown, truth=str(truth_path))
    log.info(
        "wrote %d clients, %d claims, %d client-years of truth in %.1fs",
        summary["clients"],
        summary["claims"],
        summary["client_years"],
        summary["seconds"],
    )
    return summary


def _load(
    engine: Engine,
    truth_file: Path,
    clients: int,
    first_year: int,
    years: int,
    seed: int,
    chunk_clients: int,
    progress: bool,
    shown: str,
) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from tqdm import tqdm

    metadata = build_metadata()
    truth_schema = pa.schema([("client_id", pa.int64()), ("year", pa.int64()), ("expected_cost", pa.float64())])
    n_claims = n_truth = 0
    bar = tqdm(
        total=clients,
        unit="client",
        unit_scale=True,
        desc="demo_data",
        disable=not progress or not sys.stderr.isatty(),
    )
    try:
        with engine.begin() as conn, pq.ParquetWriter(truth_file, truth_schema) as truth_writer:
            metadata.drop_all(conn)
            metadata.create_all(conn)
            writer = Writer(conn, metadata)
            truth: list[dict[str, np.ndarray]] = []
            pending = 0
            for block in iter_blocks(clients, first_year, years, seed):
                size = block.clients["client_id"].size
                writer.write("clients", CLIENT_COLUMNS, client_columns(block.clients, writer.date))
                writer.write("claims", CLAIM_COLUMNS, claim_columns(block.claims, n_claims + 1, writer.date))
                n_claims += block.claims["client_id"].size
                n_truth += block.truth["client_id"].size
                truth.append(block.truth)
                pending += size
                del block
                if pending >= chunk_clients:  # one Parquet row group per chunk
                    truth_writer.write_table(_truth_table(truth, truth_schema))
                    truth, pending = [], 0
                bar.update(size)
            if truth:
                truth_writer.write_table(_truth_table(truth, truth_schema))
            log.debug("creating indexes on claims in %s", shown)
            for index in build_indexes(metadata):
                index.create(conn)
            if conn.dialect.name in ("postgresql", "mysql", "mariadb"):
                # the planner's statistics, as the server's own maintenance gathers them soon after a bulk
                # load: without them PostgreSQL sorts the extract's 19M claims at 1M clients on disk
                conn.execute(
                    text(
                        "ANALYZE TABLE clients, claims"
                        if conn.dialect.name != "postgresql"
                        else "ANALYZE clients, claims"
                    )
                )
    finally:
        bar.close()
    return {"clients": clients, "claims": n_claims, "client_years": n_truth}


def _truth_table(parts: list[dict[str, np.ndarray]], schema: Any) -> Any:
    import pyarrow as pa

    return pa.table({k: np.concatenate([part[k] for part in parts]) for k in TRUTH_COLUMNS}, schema=schema)
