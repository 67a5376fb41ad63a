"""The generating process: a seeded block of clients simulated over the years, as column arrays (all vectorised numpy).

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
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from medcost.demo_data.process import PROCESS, Process
from medcost.demo_data.schema import CATEGORIES, PLANS, REGIONS

SEED_BLOCK = 5_000
"""Clients per random stream: the unit of reproducibility (independent of chunk size)."""


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
    who, when = cell // years, cell % years  # client and year of each claim
    service = first_day[who, when] + np.floor(rng.random(m) * exposed_days[who, when]).astype(np.int64)
    category = _categorical(rng, mix.reshape(n * years, -1)[cell])
    z = rng.standard_normal(m)
    amount = np.exp(np.asarray(p.sev_mu)[category] + np.asarray(p.sev_sigma)[category] * z)
    catastrophic = (category == 0) & (rng.random(m) < p.catastrophic_p)
    amount[catastrophic] = np.exp(p.catastrophic_mu + p.catastrophic_sigma * rng.standard_normal(catastrophic.sum()))
    amount = np.round(amount * sev_scale[who, when, category], 2)
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


def iter_blocks(clients: int, first_year: int, years: int, seed: int, process: Process = PROCESS) -> Iterator[Block]:
    """Yield the population block by block (``SEED_BLOCK`` clients each, ids from 1)."""
    n_blocks = -(-clients // SEED_BLOCK)
    for i, child in enumerate(np.random.SeedSequence(seed).spawn(n_blocks)):
        first = i * SEED_BLOCK
        yield simulate_block(
            np.random.default_rng(child), first + 1, min(SEED_BLOCK, clients - first), first_year, years, process
        )
