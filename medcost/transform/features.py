"""Point-in-time features: one row per client enrolled on a cutoff date (1 January).

For a cutoff year Y, features use only claims serviced and paid before 1 January Y; the
target is the client's total claims serviced in Y and paid by its end (as known on 1 January
Y + 1, so an older year's target does not hold late payments the last year's cannot). The training rows use the last
``transform.training_years`` complete years (``as_of`` year - 1 and the years before it, one
cutoff each); the scoring snapshot is the same features at cutoff ``as_of``, without a target:
the population the champion predicts next.

Missing values, documented once here:
- categorical columns are trimmed and lower-cased; missing stays missing;
- flags become 1.0/0.0, missing stays NaN;
- numeric columns outside ``valid_ranges`` (entry errors such as a BMI of 0) become NaN;
- the model pipelines impute what is missing (median / most frequent), so a
  missing value never silently turns into a real-looking one here;
- claim aggregates of a client with no claims are 0: no claim means no cost.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from medcost.core.errors import MedcostError
from medcost.core.features import CUTOFF_COLUMN, history_columns
from medcost.core.params import TransformParams
from medcost.transform.sql import Cutoff

log = logging.getLogger(__name__)


CLAIM_COLUMNS = ("client_id", "service_date", "paid_date", "category", "amount")
"""The claims columns the features read."""


def client_columns(cfg: TransformParams) -> list[str]:
    """The clients columns the features read."""
    return ["client_id", "birth_date", "enrolled_from", "enrolled_to", *cfg.categorical, *cfg.flags, *cfg.numeric]


def require(present: Iterable[str], table: str, columns: Iterable[str]) -> None:
    """Raise one line naming the ``columns`` of ``table`` that are not ``present``."""
    have = set(present)
    missing = [c for c in columns if c not in have]
    if missing:
        raise MedcostError(f"{table}: column(s) {', '.join(missing)} missing (needed by transform params)")


def snapshot_cutoffs(as_of: dt.date, training_years: int = 1, backtest_years: int = 0) -> list[Cutoff]:
    """The cutoffs with a target, oldest first (1 January of each of the ``training_years + backtest_years``
    years before ``as_of``, each with its year's target), then the scoring one (``as_of``, no target).

    The last ``training_years`` of them are the training cutoffs; the ``backtest_years`` before them
    only the backtest reads (it trains on earlier cutoffs than split does).
    """
    count = training_years + backtest_years
    days = [as_of.replace(year=as_of.year - back) for back in range(count, 0, -1)]
    return [*(Cutoff(day, target_end=day.replace(year=day.year + 1)) for day in days), Cutoff(as_of)]


def backtest_cutoffs(cutoffs: Sequence[Cutoff], training_years: int) -> list[Cutoff]:
    """The cutoffs of :func:`snapshot_cutoffs` before its ``training_years`` training ones (backtest only)."""
    with_target = [c for c in cutoffs if c.target_end is not None]
    return with_target[: max(0, len(with_target) - training_years)]


def _years(years: Sequence[int]) -> str:
    return f"year {years[0]}" if len(years) == 1 else f"years {', '.join(map(str, years))}"


def check_rows(rows: Mapping[int, int], columns: int, cutoffs: Sequence[Cutoff]) -> None:
    """Raise if a cutoff has no client (``rows``: feature rows per year); log the table's size."""
    *training, score = cutoffs
    training_role = "the training cutoff" if len(training) == 1 else "a training cutoff"
    for cutoff, role in [*((c, training_role) for c in training), (score, "the scoring cutoff")]:
        if rows.get(cutoff.on.year, 0) == 0:
            raise MedcostError(f"transform: no client was enrolled on {cutoff.on} ({role})")
    years = [c.on.year for c in training]
    log.info(
        "features: %d training rows (%s), %d scoring rows (year %d), %d columns",
        sum(rows[y] for y in years),
        _years(years),
        rows[score.on.year],
        score.on.year,
        columns,
    )


def history_years(first_paid: dt.date | None, cutoffs: Sequence[Cutoff], lookback_years: int) -> dict[int, int]:
    """The years of claims history each cutoff has (at most ``lookback_years``), from the data: the claims are
    complete from the year of the first paid claim on (a claim is paid on or after its service date)."""
    start = first_paid.year if first_paid is not None else max(c.on.year for c in cutoffs)
    return {c.on.year: max(0, min(lookback_years, c.on.year - start)) for c in cutoffs}


def short_history(
    history: Mapping[int, int], cutoffs: Sequence[Cutoff], lookback_years: int, skip: Sequence[Cutoff] = ()
) -> list[int]:
    """The years of the cutoffs with a target (not in ``skip``) with less than ``lookback_years`` of ``history``."""
    return [
        c.on.year for c in cutoffs if c.target_end is not None and c not in skip and history[c.on.year] < lookback_years
    ]


def warn_short_history(first_paid: dt.date | None, cutoffs: Sequence[Cutoff], cfg: TransformParams) -> None:
    """One warning line naming the training years whose claims history is shorter than ``transform.lookback_years``.

    Their oldest history years hold no claims while the scoring snapshot's hold some, so drift
    would flag those features later without saying why.
    """
    history = history_years(first_paid, cutoffs, cfg.lookback_years)
    backtest = backtest_cutoffs(cutoffs, cfg.training_years)
    short = short_history(history, cutoffs, cfg.lookback_years, skip=backtest)
    early = short_history(history, backtest, cfg.lookback_years)
    if early:
        log.warning(
            "transform: the claims start in %s (the first paid claim), so backtest %s %s %s of "
            "transform.lookback_years = %d years of claims history: the backtest trains and scores there on less "
            "history than the model has now (its scores there are lower than they would be)",
            first_paid.year if first_paid is not None else "no year (there are none)",
            _years(early),
            "has" if len(early) == 1 else "have",
            ", ".join(str(history[y]) for y in early),
            cfg.lookback_years,
        )
    if short:
        scoring = "".join(f" (scoring {c.on.year}: {history[c.on.year]})" for c in cutoffs if c.target_end is None)
        log.warning(
            "transform: the claims start in %s (the first paid claim), so training %s %s %s of "
            "transform.lookback_years = %d years of claims history%s: the older cost_prev* are 0 for every client "
            "there, and drift will flag them; lower transform.lookback_years or transform.training_years, or use a "
            "source with older claims",
            first_paid.year if first_paid is not None else "no year (there are none)",
            _years(short),
            "has" if len(short) == 1 else "have",
            ", ".join(str(history[y]) for y in short),
            cfg.lookback_years,
            scoring,
        )


def _years_between(start: pd.Series, end: pd.Timestamp) -> pd.Series:
    """Whole years from each ``start`` date to ``end`` (an age on a birthday counts)."""
    years = end.year - start.dt.year
    before_birthday = (start.dt.month > end.month) | ((start.dt.month == end.month) & (start.dt.day > end.day))
    return (years - before_birthday.astype(int)).astype("float64")


def _enrolled_months(
    start: pd.Series, end: pd.Series, period_start: pd.Timestamp, period_end: pd.Timestamp
) -> pd.Series:
    overlap_start = start.clip(lower=period_start)
    overlap_end = end.fillna(period_end).clip(upper=period_end)
    days = (overlap_end - overlap_start).dt.days.clip(lower=0)
    return (days / (period_end - period_start).days * 12).round(2)


def client_features(
    clients: pd.DataFrame,
    claims: pd.DataFrame,
    cutoff: dt.date,
    cfg: TransformParams,
    target_end: dt.date | None = None,
) -> pd.DataFrame:
    """Features for every client enrolled on ``cutoff``, from data known before it.

    With ``target_end``, adds the target: total claims serviced in [cutoff, target_end) and paid before target_end.
    Inputs are not modified.
    """
    require(clients.columns, "clients", client_columns(cfg))
    require(claims.columns, "claims", CLAIM_COLUMNS)
    cut = pd.Timestamp(cutoff)
    enrolled_from = pd.to_datetime(clients["enrolled_from"])
    enrolled_to = pd.to_datetime(clients["enrolled_to"])
    # A client without a key cannot get features; validate's raw suite reports such rows.
    on_cutoff = clients["client_id"].notna() & (enrolled_from <= cut) & (enrolled_to.isna() | (enrolled_to > cut))
    people = clients.loc[on_cutoff]

    out = pd.DataFrame({"client_id": people["client_id"].astype("int64").to_numpy()})
    out["year"] = np.int64(cut.year)
    out[CUTOFF_COLUMN] = cut.date()  # a date: event time of the feature row
    for column in cfg.categorical:
        cleaned = people[column].astype("string").str.strip().str.lower()
        out[column] = cleaned.to_numpy(dtype=object, na_value=None)
    for column in cfg.flags:
        out[column] = people[column].map({True: 1.0, False: 0.0}, na_action="ignore").astype("float64").to_numpy()
    for column in cfg.numeric:
        values = pd.to_numeric(people[column], errors="coerce").astype("float64")
        if column in cfg.valid_ranges:
            low, high = cfg.valid_ranges[column]
            values = values.where(values.between(low, high))
        out[column] = values.to_numpy()
    out["age"] = _years_between(pd.to_datetime(people["birth_date"]), cut).to_numpy()
    out["tenure_years"] = ((cut - enrolled_from[on_cutoff]).dt.days / 365.25).round(2).to_numpy()
    out["months_enrolled_prev"] = _enrolled_months(
        enrolled_from[on_cutoff], enrolled_to[on_cutoff], cut - pd.DateOffset(years=1), cut
    ).to_numpy()

    history = _claim_history(claims, cut, cfg)
    out = out.merge(history, on="client_id", how="left")
    columns = history_columns(cfg)
    out[columns] = out[columns].fillna(0.0)

    if target_end is not None:
        service, end = pd.to_datetime(claims["service_date"]), pd.Timestamp(target_end)
        # as known at the end of the target year, whatever the extract holds beyond it (later payments):
        # every stacked year's target is the same quantity as the last one's, and as next year's cost_prev1
        in_target = (service >= cut) & (service < end) & (pd.to_datetime(claims["paid_date"]) < end)
        totals = claims.loc[in_target].groupby("client_id")["amount"].sum()
        out[cfg.target] = out["client_id"].map(totals).fillna(0.0).astype("float64")
    else:
        out[cfg.target] = np.nan
    return out.sort_values("client_id", kind="stable").reset_index(drop=True)


def _claim_history(claims: pd.DataFrame, cut: pd.Timestamp, cfg: TransformParams) -> pd.DataFrame:
    """Per-client aggregates of the claims serviced and paid before ``cut``."""
    known = claims.loc[pd.to_datetime(claims["paid_date"]) < cut]
    lag = cut.year - pd.to_datetime(known["service_date"]).dt.year
    amount = pd.to_numeric(known["amount"], errors="coerce").astype("float64")
    frame = pd.DataFrame(
        {
            "client_id": known["client_id"].to_numpy(),
            "lag": lag.to_numpy(),
            "category": known["category"].astype("string").str.strip().str.lower().to_numpy(),
            "amount": amount.to_numpy(),
        }
    )
    frame = frame.loc[frame["lag"].between(1, cfg.lookback_years)]

    by_lag = frame.pivot_table(index="client_id", columns="lag", values="amount", aggfunc="sum", fill_value=0.0)
    by_lag = by_lag.reindex(columns=range(1, cfg.lookback_years + 1), fill_value=0.0)
    by_lag.columns = [f"cost_prev{k}" for k in by_lag.columns]

    last_year = frame.loc[frame["lag"] == 1]
    unknown = ~last_year["category"].isin(cfg.claim_categories)
    if unknown.any():
        log.warning(
            "claims: %d claim(s) in categories not listed in transform.claim_categories: %s",
            int(unknown.sum()),
            ", ".join(sorted(last_year.loc[unknown, "category"].dropna().unique())[:5]),
        )
    by_category = last_year.pivot_table(
        index="client_id", columns="category", values="amount", aggfunc="sum", fill_value=0.0
    )
    by_category = by_category.reindex(columns=cfg.claim_categories, fill_value=0.0)
    by_category.columns = [f"cost_prev1_{c}" for c in by_category.columns]

    history = by_lag.join(by_category, how="outer")
    history["claims_prev1"] = last_year.groupby("client_id").size().reindex(history.index).fillna(0).astype("float64")
    if cfg.lookback_years >= 2:
        history["cost_trend"] = history["cost_prev1"] - history["cost_prev2"]
    return history.reset_index()[["client_id", *history_columns(cfg)]]


def build_feature_table(
    clients: pd.DataFrame, claims: pd.DataFrame, as_of: dt.date, cfg: TransformParams, backtest_years: int = 0
) -> pd.DataFrame:
    """The training rows (one cutoff per year of ``transform.training_years`` before as_of, with target; and
    ``backtest_years`` earlier cutoffs for the backtest) and the scoring snapshot (year = as_of.year, no
    target), sorted by year and client."""
    cutoffs = snapshot_cutoffs(as_of, cfg.training_years, backtest_years)
    warn_short_history(first_paid(claims), cutoffs, cfg)
    parts = [client_features(clients, claims, c.on, cfg, target_end=c.target_end) for c in cutoffs]
    table = pd.concat(parts, ignore_index=True)
    check_rows(table["year"].value_counts().to_dict(), table.shape[1], cutoffs)
    return table


def first_paid(claims: pd.DataFrame) -> dt.date | None:
    """The first paid date of ``claims`` (None without one): the claims history starts in its year."""
    first = pd.to_datetime(claims["paid_date"]).min()
    return None if pd.isna(first) else first.date()
