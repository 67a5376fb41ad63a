"""The seeded demo source database: insured clients and their claims, with the true cost.

``generate`` writes two tables, ``clients`` and ``claims``, to any SQLAlchemy URL and
writes each enrolled client-year's *true expected cost* to a Parquet file beside the
database (never inside it), so a benchmark can tell how close a model comes to the best
possible prediction.

The generating process (all vectorised numpy, in blocks of clients):

* an insured adult population (18-85 at ``first_year``) with sex, region, plan, smoking,
  a right-skewed BMI, children and chronic conditions whose odds rise with age, BMI and
  smoking; most clients enrolled before the first year, some join, some leave
  (``enrolled_to`` is the last covered day, inclusive; NULL = still enrolled);
* a persistent personal risk: a fixed frailty (with a long tail of low utilisers) plus an
  AR(1) yearly component, and a Markov "severe episode" state (cancer treatment,
  dialysis...) that raises frequency, shifts the mix and makes drugs costlier;
* a Poisson number of claims per client-year (rate driven by age, BMI, smoking,
  conditions, region, plan and the personal risk, times the fraction of the year
  enrolled), a risk-dependent category mix (sicker: more inpatient) and lognormal
  severities with a rare catastrophic inpatient tail; claims are paid 0-60 days after
  service (mostly within three weeks), so some December claims are paid the next January;
* the true expected cost ``E[total | everything the generator knows]`` computed
  analytically as ``rate x enrolled fraction x sum_c p_c E[amount_c]``;
* a few percent of dirty or missing values in ``clients`` (NULL or mistyped BMI, odd
  case and whitespace in categories, NULL smoker and children), so cleaning is exercised.

Randomness comes from ``np.random.SeedSequence(seed)``: block ``i`` of ``SEED_BLOCK``
clients always uses the ``i``-th child seed, so the same seed gives the same rows
whatever ``chunk_clients`` is, and a smaller population is a prefix of a larger one.

Command line: ``python -m medcost.demo_data [--url URL] [--clients N] ... [--if-missing]``.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    create_engine,
    event,
    inspect,
)
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from medcost.errors import MedcostError

log = logging.getLogger(__name__)

SEXES = ("female", "male")
REGIONS = ("northeast", "northwest", "southeast", "southwest")
PLANS = ("bronze", "silver", "gold", "platinum")
CATEGORIES = ("inpatient", "outpatient", "emergency", "pharmacy", "primary_care")
CONDITIONS = ("diabetes", "hypertension", "heart_disease", "copd")

SEED_BLOCK = 5_000
"""Clients per random stream: the unit of reproducibility (independent of chunk size)."""

INSERT_BATCH = 50_000
"""Rows per executemany / COPY batch."""

CLIENT_COLUMNS = (
    "client_id", "birth_date", "sex", "region", "plan", "smoker", "bmi", "children",
    *CONDITIONS, "enrolled_from", "enrolled_to",
)
CLAIM_COLUMNS = ("claim_id", "client_id", "service_date", "paid_date", "category", "amount")
TRUTH_COLUMNS = ("client_id", "year", "expected_cost")


# --------------------------------------------------------------------------- schema


def build_metadata() -> MetaData:
    """A fresh ``MetaData`` with the ``clients`` and ``claims`` tables (no indexes).

    The indexes (:func:`build_indexes`) are created after the bulk load, which is faster.
    """
    metadata = MetaData()
    Table(
        "clients",
        metadata,
        Column("client_id", Integer, primary_key=True, autoincrement=False),
        Column("birth_date", Date, nullable=False),
        Column("sex", String(20)),
        Column("region", String(20)),
        Column("plan", String(20)),
        Column("smoker", Boolean),
        Column("bmi", Float),
        Column("children", Integer),
        Column("diabetes", Boolean, nullable=False),
        Column("hypertension", Boolean, nullable=False),
        Column("heart_disease", Boolean, nullable=False),
        Column("copd", Boolean, nullable=False),
        Column("enrolled_from", Date, nullable=False),
        Column("enrolled_to", Date),
    )
    Table(
        "claims",
        metadata,
        # BIGINT on servers (tens of millions of claims); INTEGER (the rowid) on SQLite.
        Column("claim_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
        Column("client_id", Integer, nullable=False),
        Column("service_date", Date, nullable=False),
        Column("paid_date", Date, nullable=False),
        Column("category", String(20), nullable=False),
        Column("amount", Numeric(12, 2), nullable=False),
    )
    return metadata


def build_indexes(metadata: MetaData) -> list[Index]:
    """The secondary indexes on ``claims`` (client lookups and the paid-date window)."""
    claims = metadata.tables["claims"]
    return [
        Index("ix_claims_client_id", claims.c.client_id),
        Index("ix_claims_paid_date", claims.c.paid_date),
    ]


# ------------------------------------------------------------------ generating process


@dataclass(frozen=True)
class Process:
    """The constants of the generating process (calibrated against MEPS; see bench/README.md)."""

    # population at first_year: age bands and their shares (working + retired insured)
    age_bands: tuple[tuple[int, int], ...] = ((18, 25), (25, 35), (35, 45), (45, 55), (55, 65), (65, 75), (75, 86))
    age_shares: tuple[float, ...] = (0.10, 0.17, 0.17, 0.17, 0.17, 0.14, 0.08)
    female_share: float = 0.51
    region_shares: tuple[float, ...] = (0.22, 0.23, 0.31, 0.24)
    plan_shares: tuple[float, ...] = (0.25, 0.40, 0.25, 0.10)
    # enrolment
    enrolled_before: float = 0.80        # share enrolled before first_year
    tenure_years: float = 4.0            # mean years enrolled before first_year
    leave_rate: float = 0.08             # yearly hazard of leaving
    # claim frequency: log rate = base + age + bmi + smoking + conditions + ... + risk
    base_log_rate: float = 0.6
    age_slope: float = 0.009             # per year of age
    bmi_slope: float = 0.02
    smoker_effect: float = 0.25
    condition_effects: tuple[float, ...] = (0.35, 0.15, 0.40, 0.35)
    young_female_effect: float = 0.20    # maternity and gynaecology, under 45
    region_effects: tuple[float, ...] = (0.08, -0.06, 0.04, -0.04)
    plan_effects: tuple[float, ...] = (-0.22, 0.0, 0.12, 0.22)
    frailty_sd: float = 0.30             # fixed personal risk: normal part...
    frailty_low: float = 1.3             # ...minus an exponential (a long tail of low utilisers)
    ar_sd: float = 0.25                  # stationary sd of the yearly AR(1) risk
    ar_rho: float = 0.6
    # a severe episode (cancer treatment, dialysis, transplant...): a Markov state per year
    severe_logit: float = -6.3           # yearly odds of entering, at 40, without conditions
    severe_age: float = 0.02
    severe_conditions: tuple[float, ...] = (0.3, 0.2, 0.6, 0.5)
    severe_risk: float = 0.4             # per unit of frailty + AR risk
    severe_stay: float = 0.66            # probability an episode carries into the next year
    severe_rate: float = 0.8             # added to the log claim rate
    severe_mix: tuple[float, ...] = (0.8, 1.0, 0.3, 0.8, 0.0)  # added to the category logits
    severe_sev: tuple[float, ...] = (0.0, 0.7, 0.0, 1.8, 0.0)  # added to the log severities (specialty drugs...)
    # category mix: softmax(mix_base + mix_risk * (log rate - base_log_rate))
    mix_base: tuple[float, ...] = (-3.5, -0.65, -2.45, 0.45, 0.0)
    mix_risk: tuple[float, ...] = (0.30, 0.10, 0.20, 0.05, -0.20)
    # severity: lognormal(mu, sigma) per category, times exp(sev_age * (age - 40))
    sev_mu: tuple[float, ...] = (9.6, 6.9, 7.1, 4.6, 5.4)
    sev_sigma: tuple[float, ...] = (0.95, 1.1, 0.9, 1.6, 0.6)
    sev_age: float = 0.006
    catastrophic_p: float = 0.006        # share of inpatient claims that are catastrophic
    catastrophic_mu: float = 11.9
    catastrophic_sigma: float = 0.8
    # dirty values in clients
    bmi_null: float = 0.03
    bmi_error: float = 0.005
    odd_text: float = 0.02
    smoker_null: float = 0.01
    children_null: float = 0.005


PROCESS = Process()


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _days(year: int, month: int = 1, day: int = 1) -> int:
    """Days since 1970-01-01."""
    return int(np.datetime64(f"{year:04d}-{month:02d}-{day:02d}", "D").astype(np.int64))


def _month_start(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _month_end(days: np.ndarray) -> np.ndarray:
    months = days.astype("datetime64[D]").astype("datetime64[M]") + 1
    return months.astype("datetime64[D]").astype(np.int64) - 1


@dataclass
class Block:
    """One block of simulated clients: column arrays for each table (claims without ids)."""

    clients: dict[str, np.ndarray]
    claims: dict[str, np.ndarray]
    truth: dict[str, np.ndarray]


def simulate_block(
    rng: np.random.Generator, first_id: int, n: int, first_year: int, years: int, process: Process = PROCESS
) -> Block:
    """Simulate ``n`` clients (ids ``first_id..``) over ``years`` years with one random stream.

    Dates are int64 days since 1970-01-01; NULLs are NaN (floats) or a ``*_null`` mask.
    """
    p = process
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    year_start = np.array([_days(first_year + t) for t in range(years + 1)], dtype=np.int64)
    window_start, window_end = year_start[0], year_start[-1] - 1

    # --- demographics at first_year
    band = rng.choice(len(p.age_bands), size=n, p=np.asarray(p.age_shares) / sum(p.age_shares))
    low = np.array([b[0] for b in p.age_bands])[band]
    high = np.array([b[1] for b in p.age_bands])[band]
    age0 = low + rng.random(n) * (high - low)
    birth = window_start - np.round(age0 * 365.25).astype(np.int64)
    female = rng.random(n) < p.female_share
    region = rng.choice(4, size=n, p=np.asarray(p.region_shares) / sum(p.region_shares))
    # richer plans a little more common with age
    plan_logits = np.log(np.asarray(p.plan_shares))[None, :] + np.outer((age0 - 45) / 20, [-0.3, 0.0, 0.15, 0.3])
    plan = _categorical(rng, _softmax(plan_logits))
    smoker = rng.random(n) < _sigmoid(-1.45 + 0.40 * ~female - 0.025 * (age0 - 40))
    bmi = 15.0 + np.exp(rng.normal(np.log(12.5) + 0.004 * (age0 - 40), 0.33))
    bmi = np.clip(np.round(bmi, 1), 15.0, 65.0)
    children = np.minimum(5, rng.poisson(1.7 * np.exp(-(((age0 - 38) / 13) ** 2)) + 0.05))
    b, s = bmi - 27.0, smoker.astype(float)
    a = age0 - 18
    diabetes = rng.random(n) < _sigmoid(-4.4 + 0.055 * a + 0.09 * b + 0.20 * s)
    hypertension = rng.random(n) < _sigmoid(-3.0 + 0.060 * a + 0.07 * b + 0.20 * s)
    heart = rng.random(n) < _sigmoid(-5.8 + 0.070 * a + 0.03 * b + 0.60 * s + 0.5 * diabetes + 0.5 * hypertension)
    copd = rng.random(n) < _sigmoid(-5.6 + 0.050 * a + 0.02 * b + 1.80 * s)

    # --- enrolment: enrolled_from is a month start, enrolled_to a month end (inclusive)
    before = rng.random(n) < p.enrolled_before
    tenure = np.floor(rng.exponential(p.tenure_years * 365.25, n)).astype(np.int64)
    adult = birth + np.int64(round(18 * 365.25))
    from_before = np.maximum(window_start - 1 - tenure, adult)
    join_year = rng.integers(0, years, n)
    join_month = np.where(rng.random(n) < 0.4, 1, rng.integers(1, 13, n))
    from_join = (
        (np.datetime64(f"{first_year:04d}-01", "M") + (join_year * 12 + join_month - 1).astype("timedelta64[M]"))
        .astype("datetime64[D]")
        .astype(np.int64)
    )
    enrolled_from = _month_start(np.where(before, from_before, from_join))
    enrolled_from = np.where(before, np.minimum(enrolled_from, window_start - 1), enrolled_from)
    covered_from = np.maximum(enrolled_from, window_start)
    leave = covered_from + np.floor(rng.exponential(365.25 / p.leave_rate, n)).astype(np.int64)
    leave = _month_end(leave)
    left = leave <= window_end
    enrolled_to = np.where(left, leave, window_end)  # the last covered day inside the window

    # --- exposure per client-year
    ys, ye = year_start[:-1][None, :], year_start[1:][None, :] - 1
    first_day = np.maximum(ys, covered_from[:, None])
    last_day = np.minimum(ye, enrolled_to[:, None])
    exposed_days = np.maximum(0, last_day - first_day + 1)
    fraction = exposed_days / (ye - ys + 1)

    # --- personal risk: fixed frailty + stationary AR(1)
    frailty = rng.normal(0.0, p.frailty_sd, n) - rng.exponential(1.0, n) * p.frailty_low + p.frailty_low
    ar = np.empty((n, years))
    ar[:, 0] = rng.normal(0.0, p.ar_sd, n)
    innovation_sd = p.ar_sd * np.sqrt(1 - p.ar_rho**2)
    for t in range(1, years):
        ar[:, t] = p.ar_rho * ar[:, t - 1] + rng.normal(0.0, innovation_sd, n)

    age = age0[:, None] + np.arange(years)[None, :] + 0.5  # mid-year age
    conditions = np.column_stack([diabetes, hypertension, heart, copd]).astype(float)
    enter = _sigmoid(
        p.severe_logit
        + p.severe_age * (age - 40)
        + (conditions @ np.asarray(p.severe_conditions))[:, None]
        + p.severe_risk * (frailty[:, None] + ar)
    )
    severe = np.empty((n, years), dtype=bool)
    u = rng.random((n, years))
    severe[:, 0] = u[:, 0] < enter[:, 0] / (1 - p.severe_stay + enter[:, 0])  # stationary start
    for t in range(1, years):
        severe[:, t] = np.where(severe[:, t - 1], u[:, t] < p.severe_stay, u[:, t] < enter[:, t])
    log_rate = (
        p.base_log_rate
        + p.age_slope * (age - 40)
        + p.bmi_slope * np.clip(bmi - 27, -8, 20)[:, None]
        + (p.smoker_effect * s)[:, None]
        + (conditions @ np.asarray(p.condition_effects))[:, None]
        + p.young_female_effect * (female[:, None] & (age < 45))
        + np.asarray(p.region_effects)[region][:, None]
        + np.asarray(p.plan_effects)[plan][:, None]
        + frailty[:, None]
        + ar
    )
    rate = np.exp(log_rate + p.severe_rate * severe)
    mix = _softmax(
        np.asarray(p.mix_base)
        + np.asarray(p.mix_risk) * (log_rate - p.base_log_rate)[..., None]
        + np.asarray(p.severe_mix) * severe[..., None]
    )
    sev_scale = np.exp(p.sev_age * (age - 40))[..., None] * np.exp(np.asarray(p.severe_sev) * severe[..., None])
    mean_amount = np.exp(np.asarray(p.sev_mu) + np.asarray(p.sev_sigma) ** 2 / 2)
    mean_amount[0] = (1 - p.catastrophic_p) * mean_amount[0] + p.catastrophic_p * np.exp(
        p.catastrophic_mu + p.catastrophic_sigma**2 / 2
    )
    expected_claim = (mix * sev_scale) @ mean_amount
    lam = rate * fraction
    expected_cost = lam * expected_claim

    # --- claims
    counts = rng.poisson(lam)
    cell = np.repeat(np.arange(n * years), counts.ravel())
    m = cell.size
    who, t = cell // years, cell % years
    service = first_day[who, t] + np.floor(rng.random(m) * exposed_days[who, t]).astype(np.int64)
    category = _categorical(rng, mix.reshape(n * years, -1)[cell])
    z = rng.standard_normal(m)
    amount = np.exp(np.asarray(p.sev_mu)[category] + np.asarray(p.sev_sigma)[category] * z)
    catastrophic = (category == 0) & (rng.random(m) < p.catastrophic_p)
    amount[catastrophic] = np.exp(p.catastrophic_mu + p.catastrophic_sigma * rng.standard_normal(catastrophic.sum()))
    amount = np.round(amount * sev_scale[who, t, category], 2)
    # payment lag: pharmacy within days, others mostly under three weeks, a few up to ~60 days
    pharmacy = category == CATEGORIES.index("pharmacy")
    lag = np.where(pharmacy, rng.exponential(1.5, m), rng.gamma(2.0, 4.0, m))
    late = ~pharmacy & (rng.random(m) < 0.07)
    lag = np.where(late, 21 + rng.random(m) * 40, lag)
    paid = service + np.minimum(np.floor(lag), 60).astype(np.int64)
    order = np.lexsort((category, service, who))

    # --- what the database sees: dirty values on top of the clean truth
    sex_text = _dirty_text(rng, np.where(female, "female", "male").astype(object), p.odd_text)
    region_text = _dirty_text(rng, np.asarray(REGIONS, dtype=object)[region], p.odd_text)
    plan_text = _dirty_text(rng, np.asarray(PLANS, dtype=object)[plan], p.odd_text)
    bmi_db = bmi.copy()
    bmi_db[rng.random(n) < p.bmi_null] = np.nan
    error = rng.random(n) < p.bmi_error
    typo = np.where(rng.random(n) < 0.5, 0.0, np.round(bmi * 10, 0))  # zero, or a slipped decimal
    bmi_db = np.where(error & ~np.isnan(bmi_db), typo, bmi_db)

    enrolled = exposed_days > 0
    cy_who, cy_t = np.nonzero(enrolled)
    return Block(
        clients={
            "client_id": ids,
            "birth_date": birth,
            "sex": sex_text,
            "region": region_text,
            "plan": plan_text,
            "smoker": smoker,
            "smoker_null": rng.random(n) < p.smoker_null,
            "bmi": bmi_db,
            "children": children.astype(np.int64),
            "children_null": rng.random(n) < p.children_null,
            "diabetes": diabetes,
            "hypertension": hypertension,
            "heart_disease": heart,
            "copd": copd,
            "enrolled_from": enrolled_from,
            "enrolled_to": enrolled_to,
            "enrolled_to_null": ~left,
        },
        claims={
            "client_id": ids[who][order],
            "service_date": service[order],
            "paid_date": paid[order],
            "category": category[order].astype(np.int8),
            "amount": amount[order],
        },
        truth={
            "client_id": ids[cy_who],
            "year": (first_year + cy_t).astype(np.int64),
            "expected_cost": expected_cost[cy_who, cy_t],
        },
    )


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One draw per row of ``probs`` (rows sum to 1)."""
    cum = np.cumsum(probs, axis=-1)
    u = rng.random(probs.shape[0])[:, None]
    return np.minimum((u > cum).sum(axis=-1), probs.shape[-1] - 1)


def _dirty_text(rng: np.random.Generator, values: np.ndarray, share: float) -> np.ndarray:
    """Mistype a share of values: Upper/Title case, CamelCase compass names, stray spaces."""
    out = values.copy()
    hit = np.nonzero(rng.random(values.size) < share)[0]
    kinds = rng.integers(0, 4, hit.size)
    for i, kind in zip(hit.tolist(), kinds.tolist()):
        v = out[i]
        if kind == 0:
            out[i] = v.upper()
        elif kind == 1:
            out[i] = v.title().replace("east", "East").replace("west", "West")
        elif kind == 2:
            out[i] = v.title() + " "
        else:
            out[i] = " " + v
    return out


def iter_blocks(
    clients: int, first_year: int, years: int, seed: int, process: Process = PROCESS
) -> Iterator[Block]:
    """Yield the population block by block (``SEED_BLOCK`` clients each, ids from 1)."""
    n_blocks = -(-clients // SEED_BLOCK)
    for i, child in enumerate(np.random.SeedSequence(seed).spawn(n_blocks)):
        first = i * SEED_BLOCK
        yield simulate_block(
            np.random.default_rng(child), first + 1, min(SEED_BLOCK, clients - first), first_year, years, process
        )


# ------------------------------------------------------------------------------ writing


def _iso(days: np.ndarray) -> np.ndarray:
    """'YYYY-MM-DD' strings (what SQLAlchemy's Date stores on SQLite), via a lookup table."""
    if days.size == 0:
        return np.empty(0, dtype=object)
    low = int(days.min())
    table = np.arange(low, int(days.max()) + 1).astype("datetime64[D]").astype(str).astype(object)
    return table[days - low]


def _dates(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype(object)


def _with_nulls(values: np.ndarray, null: np.ndarray | None) -> np.ndarray:
    out = values.astype(object)
    if null is not None:
        out[null] = None
    return out


def _client_columns(c: dict[str, np.ndarray], date: Callable[[np.ndarray], np.ndarray]) -> list[np.ndarray]:
    """The clients columns in ``CLIENT_COLUMNS`` order, as object arrays with None for NULL."""
    return [
        c["client_id"].astype(object),
        date(c["birth_date"]),
        c["sex"],
        c["region"],
        c["plan"],
        _with_nulls(c["smoker"], c["smoker_null"]),
        _with_nulls(c["bmi"], np.isnan(c["bmi"])),
        _with_nulls(c["children"], c["children_null"]),
        c["diabetes"].astype(object),
        c["hypertension"].astype(object),
        c["heart_disease"].astype(object),
        c["copd"].astype(object),
        date(c["enrolled_from"]),
        _with_nulls(date(c["enrolled_to"]), c["enrolled_to_null"]),
    ]


def _claim_columns(
    k: dict[str, np.ndarray], first_claim_id: int, date: Callable[[np.ndarray], np.ndarray]
) -> list[np.ndarray]:
    names = np.asarray(CATEGORIES, dtype=object)
    return [
        np.arange(first_claim_id, first_claim_id + k["client_id"].size, dtype=np.int64).astype(object),
        k["client_id"].astype(object),
        date(k["service_date"]),
        date(k["paid_date"]),
        names[k["category"]],
        k["amount"].astype(object),
    ]


def _insert_mode(dialect: str, driver: str) -> str:
    """How rows are inserted: 'sqlite' (raw executemany), 'copy' (PostgreSQL COPY) or 'core'."""
    if dialect == "postgresql" and driver == "psycopg2":
        return "copy"
    if dialect == "sqlite" and driver == "pysqlite":
        return "sqlite"
    return "core"


class _Writer:
    """Bulk inserts for one connection: raw executemany on SQLite, COPY on psycopg2,
    SQLAlchemy Core executemany elsewhere."""

    def __init__(self, conn: Connection, metadata: MetaData) -> None:
        self.conn = conn
        self.metadata = metadata
        self.mode = _insert_mode(conn.dialect.name, conn.dialect.driver)
        self.date: Callable[[np.ndarray], np.ndarray] = _iso if self.mode in ("copy", "sqlite") else _dates

    def write(self, table: str, names: Sequence[str], columns: list[np.ndarray]) -> None:
        rows = columns[0].size
        for start in range(0, rows, INSERT_BATCH):
            batch = [col[start : start + INSERT_BATCH] for col in columns]
            getattr(self, f"_write_{self.mode}")(table, names, batch)

    def _quoted(self, table: str, names: Sequence[str]) -> str:
        quote = self.conn.dialect.identifier_preparer.quote
        return f"{quote(table)} ({', '.join(quote(n) for n in names)})"

    def _write_sqlite(self, table: str, names: Sequence[str], batch: list[np.ndarray]) -> None:
        sql = f"INSERT INTO {self._quoted(table, names)} VALUES ({', '.join('?' * len(names))})"
        self.conn.exec_driver_sql(sql, list(zip(*(col.tolist() for col in batch))))

    def _write_core(self, table: str, names: Sequence[str], batch: list[np.ndarray]) -> None:
        lists = [col.tolist() for col in batch]
        self.conn.execute(self.metadata.tables[table].insert(), [dict(zip(names, row)) for row in zip(*lists)])

    def _write_copy(self, table: str, names: Sequence[str], batch: list[np.ndarray]) -> None:
        import io

        def text(col: np.ndarray) -> list[str]:
            return ["\\N" if v is None else str(v) for v in col.tolist()]

        buf = io.StringIO("\n".join("\t".join(row) for row in zip(*(text(c) for c in batch))) + "\n")
        cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.copy_expert(f"COPY {self._quoted(table, names)} FROM STDIN", buf)
        finally:
            cursor.close()


def _sqlite_file(url: URL) -> Path | None:
    """The database file of a sqlite URL, or None (not SQLite, or in memory)."""
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def mask_url(url: str | URL) -> str:
    """The URL with its password replaced by ``***`` (safe to log)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r"(//[^/@]*?:)[^/@]*@", r"\1***@", str(url))


def _parse_url(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError:
        raise MedcostError(f"not a valid SQLAlchemy URL: {mask_url(url)}") from None


def _engine(url: URL) -> Engine:
    try:
        engine = create_engine(url)
    except (ArgumentError, ImportError, SQLAlchemyError) as exc:
        raise MedcostError(f"{mask_url(url)}: cannot create an engine: {exc}") from None
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _fast_sqlite(dbapi_conn: Any, _record: Any) -> None:  # a fresh temp file: no journal needed
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=OFF")
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-8192")
            cursor.close()

    return engine


def _temp_beside(path: Path, temps: list[Path]) -> Path:
    """Create an empty hidden temporary file beside ``path`` (same filesystem: atomic rename)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise MedcostError(f"cannot write {path}: {exc.strerror or exc}") from None
    os.close(fd)
    temps.append(Path(name))
    return temps[-1]


def _check_sqlite_target(path: Path) -> None:
    """Refuse to replace a SQLite file that holds tables other than ours."""
    if not path.exists():
        return
    engine = create_engine(URL.create("sqlite", database=str(path)))
    try:
        tables = set(inspect(engine).get_table_names())
    except SQLAlchemyError:
        raise MedcostError(f"{path}: exists and is not a SQLite database; refusing to replace it") from None
    finally:
        engine.dispose()
    other = sorted(tables - {"clients", "claims"})
    if other:
        raise MedcostError(f"{path}: holds other tables ({', '.join(other)}); refusing to replace it")


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
    target = _parse_url(url)
    shown = mask_url(target)
    db_file = _sqlite_file(target)
    truth_path = Path(truth_path)
    if db_file is not None and truth_path.resolve() == db_file.resolve():
        raise MedcostError(f"{truth_path}: the truth file cannot be the database file")
    log.info(
        "generating %d clients x %d years (%d-%d, seed %d) into %s",
        clients, years, first_year, first_year + years - 1, seed, shown,
    )

    temps: list[Path] = []
    engine: Engine | None = None
    try:
        write_url = target
        if db_file is not None:
            _check_sqlite_target(db_file)
            tmp_db = _temp_beside(db_file, temps)
            write_url = target.set(database=str(tmp_db))
        tmp_truth = _temp_beside(truth_path, temps)
        engine = _engine(write_url)
        summary = _load(engine, tmp_truth, clients, first_year, years, seed, chunk_clients, progress, shown)
        engine.dispose()
        if db_file is not None:
            os.replace(tmp_db, db_file)
        os.replace(tmp_truth, truth_path)
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc
        raise MedcostError(f"{shown}: {' '.join(str(reason).split())}") from None
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
        summary["clients"], summary["claims"], summary["client_years"], summary["seconds"],
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
        total=clients, unit="client", unit_scale=True, desc="demo_data",
        disable=not progress or not sys.stderr.isatty(),
    )
    try:
        with engine.begin() as conn, pq.ParquetWriter(truth_file, truth_schema) as truth_writer:
            metadata.drop_all(conn)
            metadata.create_all(conn)
            writer = _Writer(conn, metadata)
            truth: list[dict[str, np.ndarray]] = []
            pending = 0
            for block in iter_blocks(clients, first_year, years, seed):
                size = block.clients["client_id"].size
                writer.write("clients", CLIENT_COLUMNS, _client_columns(block.clients, writer.date))
                writer.write("claims", CLAIM_COLUMNS, _claim_columns(block.claims, n_claims + 1, writer.date))
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
    finally:
        bar.close()
    return {"clients": clients, "claims": n_claims, "client_years": n_truth}


def _truth_table(parts: list[dict[str, np.ndarray]], schema: Any) -> Any:
    import pyarrow as pa

    return pa.table({k: np.concatenate([part[k] for part in parts]) for k in TRUTH_COLUMNS}, schema=schema)


# ------------------------------------------------------------------------ realism check


def _shares(values: np.ndarray) -> dict[str, float]:
    total = values.sum()
    ranked = np.sort(values)[::-1]
    n = ranked.size

    def top(q: float) -> float:
        return float(ranked[: max(1, int(round(q * n)))].sum() / total)

    return {
        "top1_share": top(0.01),
        "top5_share": top(0.05),
        "top10_share": top(0.10),
        "bottom50_share": float(ranked[n - n // 2 :].sum() / total),
        "zero_share": float(np.mean(values == 0)),
    }


def realism_report(url: str, truth_path: str | Path) -> dict[str, Any]:
    """Compare a generated database with the published MEPS figures (see DESIGN.md).

    Annual cost per enrolled client-year = the sum of its claims by service year. Returns
    concentration (top 1%/5% and bottom 50% shares, zero share), persistence between
    consecutive years, the age gradient, means, and the R-squared of the true expected cost
    and of a simple history-only linear model against the actual totals. It loads the
    claims into memory: meant for up to a few hundred thousand clients.
    """
    import pandas as pd

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            people = pd.read_sql_query("SELECT client_id, birth_date FROM clients", conn)
            claims = pd.read_sql_query("SELECT client_id, service_date, amount FROM claims", conn)
    finally:
        engine.dispose()
    truth = pd.read_parquet(truth_path)
    claims["year"] = pd.to_datetime(claims["service_date"]).dt.year
    claims["amount"] = claims["amount"].astype(float)
    totals = claims.groupby(["client_id", "year"]).agg(cost=("amount", "sum"), n=("amount", "size")).reset_index()
    cy = truth.merge(totals, on=["client_id", "year"], how="left").fillna({"cost": 0.0, "n": 0})
    birth_year = pd.to_datetime(people.set_index("client_id")["birth_date"]).dt.year
    cy["age"] = cy["year"] - cy["client_id"].map(birth_year)

    yearly = [_shares(g["cost"].to_numpy()) for _, g in cy.groupby("year")]
    report: dict[str, Any] = {k: float(np.mean([y[k] for y in yearly])) for k in yearly[0]}
    report["mean_cost"] = float(cy["cost"].mean())
    report["mean_claims"] = float(cy["n"].mean())
    bands = pd.cut(cy["age"], [0, 35, 45, 55, 65, 200], right=False, labels=["18-34", "35-44", "45-54", "55-64", "65+"])
    by_age = cy.groupby(bands, observed=True)["cost"].mean()
    report["mean_cost_by_age"] = {str(k): round(float(v), 0) for k, v in by_age.items()}
    report["age_ratio_65_vs_18_34"] = float(by_age["65+"] / by_age["18-34"])

    # persistence: ranks within a year, for clients enrolled both years
    cy["rank"] = cy.groupby("year")["cost"].rank(pct=True, method="first")
    nxt = cy[["client_id", "year", "rank", "cost", "n"]].assign(year=cy["year"] - 1)
    pair = cy.merge(nxt, on=["client_id", "year"], suffixes=("", "_next"))
    bottom = pair["rank"] <= 0.5
    top1 = pair["rank"] > 0.99
    report["stay_bottom50"] = float((pair.loc[bottom, "rank_next"] <= 0.5).mean())
    report["stay_top1"] = float((pair.loc[top1, "rank_next"] > 0.99).mean())
    report["stay_top5"] = float((pair.loc[pair["rank"] > 0.95, "rank_next"] > 0.95).mean())

    def r2(y: np.ndarray, yhat: np.ndarray) -> float:
        return float(1 - np.sum((y - yhat) ** 2) / np.sum((y - y.mean()) ** 2))

    report["r2_truth"] = r2(cy["cost"].to_numpy(), cy["expected_cost"].to_numpy())
    # a history-only benchmark: OLS of next year's total on this year's, fitted on half the clients
    pair = pair.merge(cy[["client_id", "year", "expected_cost"]].assign(year=cy["year"] - 1),
                      on=["client_id", "year"], suffixes=("", "_next"))
    x = np.column_stack([
        np.ones(len(pair)), pair["cost"], np.log1p(pair["cost"]), pair["n"], pair["age"], pair["age"] ** 2 / 100,
    ])
    y = pair["cost_next"].to_numpy()
    fit = (pair["client_id"] % 2 == 0).to_numpy()
    beta, *_ = np.linalg.lstsq(x[fit], y[fit], rcond=None)
    report["r2_history_ols"] = r2(y[~fit], x[~fit] @ beta)
    report["r2_truth_next"] = r2(y[~fit], pair["expected_cost_next"].to_numpy()[~fit])
    report["client_years"] = int(len(cy))
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in report.items()}


# ------------------------------------------------------------------------ command line


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m medcost.demo_data",
        description="Generate the seeded demo source database and its true expected costs.",
    )
    parser.add_argument("--url", help="SQLAlchemy URL to write to (default: sqlite:///<paths.source_db>)")
    parser.add_argument("--clients", type=int, help="number of clients (default: demo.clients)")
    parser.add_argument("--seed", type=int, help="random seed (default: demo.seed)")
    parser.add_argument("--years", type=int, help="years simulated (default: demo.years)")
    parser.add_argument("--first-year", type=int, help="first simulated year (default: demo.first_year)")
    parser.add_argument("--truth", help="Parquet file of true expected costs (default: paths.truth)")
    parser.add_argument("--params", default="params.yaml", help="params file (default: params.yaml)")
    parser.add_argument("--chunk-clients", type=int, default=50_000, help="clients generated per chunk")
    parser.add_argument(
        "--if-missing", action="store_true",
        help="do nothing if the database already exists (or, without --url, if MEDCOST_SOURCE_URL is set)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def _exists(url: str) -> bool:
    target = _parse_url(url)
    db_file = _sqlite_file(target)
    if db_file is not None:
        return db_file.exists()
    engine = _engine(target)
    try:
        names = set(inspect(engine).get_table_names())
    except SQLAlchemyError as exc:
        raise MedcostError(f"{mask_url(target)}: cannot connect: {' '.join(str(exc).split())}") from None
    finally:
        engine.dispose()
    return {"clients", "claims"} <= names


def main(argv: Sequence[str] | None = None) -> dict[str, Any] | None:
    """Run the command line; returns the summary (None if ``--if-missing`` skipped)."""
    from medcost.cli import load_dotenv_file
    from medcost.config import DemoParams, read_params, section

    args = _parse_args(argv)
    load_dotenv_file()  # MEDCOST_SOURCE_URL may live in .env
    params = read_params(args.params)
    demo = section(params, "demo", DemoParams, args.params)
    paths = params.get("paths") or {}
    external = os.environ.get("MEDCOST_SOURCE_URL")
    if args.url:
        url = args.url
    else:
        if args.if_missing and external:
            log.info("MEDCOST_SOURCE_URL is set: the pipeline reads %s; no demo database needed", mask_url(external))
            return None
        if not paths.get("source_db"):
            raise MedcostError(f"{args.params}: paths.source_db is missing (or pass --url)")
        url = f"sqlite:///{paths['source_db']}"
        if external:
            log.warning("MEDCOST_SOURCE_URL is set: the pipeline reads %s, not %s", mask_url(external), url)
    truth = args.truth or paths.get("truth")
    if not truth:
        raise MedcostError(f"{args.params}: paths.truth is missing (or pass --truth)")
    if args.if_missing and _exists(url):
        log.info("%s already exists: nothing to do (--if-missing)", mask_url(url))
        if not Path(truth).exists():
            log.warning("%s is missing: delete the database and rerun to regenerate both", truth)
        return None
    return generate(
        url,
        clients=args.clients if args.clients is not None else demo.clients,
        first_year=args.first_year if args.first_year is not None else demo.first_year,
        years=args.years if args.years is not None else demo.years,
        seed=args.seed if args.seed is not None else demo.seed,
        truth_path=truth,
        chunk_clients=args.chunk_clients,
        progress=not args.no_progress,
    )


def _run() -> None:
    """``python -m medcost.demo_data``: a MedcostError is one line on stderr and exit 1."""
    from medcost.cli import configure_logging, load_dotenv_file

    configure_logging()
    load_dotenv_file()
    try:
        main()
    except MedcostError as exc:
        print(f"error: demo_data: {' '.join(str(exc).split())}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("error: demo_data: interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    # run the imported module, so loggers are named medcost.demo_data, not __main__
    from medcost import demo_data

    demo_data._run()
