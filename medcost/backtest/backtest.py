"""The backtest loop: for each target year Y, each family is fitted on the cutoffs before Y only and scores Y.

For Y, the training rows are the feature rows of cutoffs Y - k .. Y - 1 (k =
``transform.training_years``), each with its own year's cost as target: everything in them was
known on 1 January Y (transform's point in time: features from claims paid before each cutoff,
targets from claims paid by the end of the target year). The scored rows are cutoff Y's, whose
features use claims paid before Y; their year-Y cost is only compared with the predictions. No
row of year Y or later reaches a fit, so a claim planted in year Y or later cannot change a
model trained for Y (tests/unit/test_backtest.py plants one).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import pandas as pd

from medcost.core.contracts import Backtest, BacktestData, BacktestRows, BacktestScores, FamilyBacktest
from medcost.core.errors import MedcostError
from medcost.core.features import FeatureSpec
from medcost.core.metrics import cost_scores
from medcost.core.numbers import round_floats

log = logging.getLogger(__name__)

Predictor = Callable[[pd.DataFrame], np.ndarray]
"""A fitted family: predicted cost per row of a frame holding the model inputs."""

Fit = Callable[[pd.DataFrame], Predictor]
"""A family: fits a copy of its model on the training rows (inputs and target) and returns its predictor."""


@dataclass(frozen=True)
class YearRows:
    """The rows of one backtest year: the training cutoffs' rows and the scored cutoff's."""

    year: int
    train: pd.DataFrame
    test: pd.DataFrame


def baseline_fit(spec: FeatureSpec) -> Fit:
    """The mean predictor: every row gets the mean training target (evaluate's ``baseline``)."""

    def fit(train: pd.DataFrame) -> Predictor:
        mean = float(train[spec.target].mean())
        return lambda rows: np.full(len(rows), mean)

    return fit


def year_rows(rows: pd.DataFrame, year: int, training_years: int, spec: FeatureSpec) -> YearRows:
    """The training rows (cutoffs ``year - training_years`` .. ``year - 1``) and the scored rows (cutoff ``year``).

    Raises a one-line MedcostError naming the year when a cutoff has no rows or a row has no target.
    """
    wanted = list(range(year - training_years, year))
    present = set(rows["year"].unique())
    absent = [y for y in [*wanted, year] if y not in present]
    if absent:
        raise MedcostError(
            f"backtest: the feature table has no rows for {', '.join(map(str, absent))}, needed to score {year} "
            f"(transform builds backtest.years + transform.training_years cutoffs: rerun transform)"
        )
    train = rows.loc[rows["year"].isin(wanted)].reset_index(drop=True)
    test = rows.loc[rows["year"] == year].reset_index(drop=True)
    for part, name in ((train, "training"), (test, "scored")):
        missing = int(part[spec.target].isna().sum())
        if missing:
            raise MedcostError(f"backtest: {missing} {name} row(s) for {year} have no {spec.target}")
    return YearRows(year=year, train=train, test=test)


def _mean(values: Sequence[float | None]) -> float | None:
    finite = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.mean(finite)) if finite else None


def _show(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def mean_scores(by_year: Mapping[str, BacktestScores]) -> BacktestScores:
    """Each score's mean over the years (each year weighs the same; undefined values are left out)."""
    years = list(by_year.values())
    fields = ("r2", "rmse", "mae", "r2_capped", "gini", "total_ratio")
    deciles = list(dict.fromkeys(k for s in years for k in s.predictive_ratio))
    return BacktestScores(
        **{f: _mean([getattr(s, f) for s in years]) for f in fields},
        predictive_ratio={d: _mean([s.predictive_ratio.get(d) for s in years]) for d in deciles},
    )


def oracle_predictions(test: pd.DataFrame, truth: pd.DataFrame | None, key: Sequence[str]) -> np.ndarray | None:
    """The generator's true expected cost of each scored row (None without a truth file covering them all)."""
    needed = [*key, "expected_cost"]
    if truth is None or any(c not in truth.columns for c in needed):
        return None
    joined = test[list(key)].merge(truth[needed].drop_duplicates(list(key)), on=list(key), how="left")
    values = joined["expected_cost"].to_numpy(dtype="float64")
    return None if np.isnan(values).any() else values


Rows: TypeAlias = pd.DataFrame | Callable[[Sequence[int]], pd.DataFrame]
"""Feature rows with ``year`` and the target: a frame, or a function giving the rows of the cutoffs it is asked for
(the stage reads each year's cutoffs from the published table when it needs them, never all of them at once)."""


def run_backtest(
    rows: Rows,
    families: Mapping[str, Fit],
    years: Sequence[int],
    training_years: int,
    spec: FeatureSpec,
    cap: float,
    deciles: int = 10,
    truth: pd.DataFrame | None = None,
) -> Backtest:
    """Score each family (and the mean baseline, and the oracle when ``truth`` covers the rows) on each of ``years``,
    fitted on the ``training_years`` cutoffs before it only (:data:`Rows`)."""
    everyone: dict[str, Fit] = {**families, "baseline": baseline_fit(spec)}
    by_family: dict[str, dict[str, BacktestScores]] = {name: {} for name in everyone}
    counts: dict[str, BacktestRows] = {}
    for year in sorted(years):
        cutoffs = list(range(year - training_years, year + 1))
        loaded = rows[rows["year"].isin(cutoffs)] if isinstance(rows, pd.DataFrame) else rows(cutoffs)
        part = year_rows(loaded, year, training_years, spec)
        counts[str(year)] = BacktestRows(train=len(part.train), test=len(part.test))
        actual = part.test[spec.target].to_numpy(dtype="float64")
        inputs = part.test[list(spec.inputs)]
        for name, fit in everyone.items():
            # only the training cutoffs' inputs and targets reach the fit: nothing of year >= Y
            predictor = fit(part.train[[*spec.inputs, spec.target]].copy())
            by_family[name][str(year)] = cost_scores(actual, predictor(inputs), cap, deciles)
        oracle = oracle_predictions(part.test, truth, spec.key)
        if oracle is not None:
            by_family.setdefault("oracle", {})[str(year)] = cost_scores(actual, oracle, cap, deciles)
        log.info(
            "backtest %d (trained on %d rows of %s): %s",
            year,
            len(part.train),
            ", ".join(str(y) for y in range(year - training_years, year)),
            ", ".join(f"{n} R² {_show(s[str(year)].r2)}" for n, s in by_family.items() if str(year) in s),
        )
    complete = {n: s for n, s in by_family.items() if s and len(s) == len(counts)}
    return Backtest(
        data=BacktestData(years=sorted(years), training_years=training_years, cap=cap, rows=counts),
        models={n: FamilyBacktest(mean=mean_scores(s), years=s) for n, s in complete.items()},
    )


def r2_table(backtest: Backtest, families: Sequence[str]) -> pd.DataFrame:
    """The plot data: one row per target year, a column of R² per family (``dvc plots``: x = year)."""
    rows = []
    for year in backtest.data.years:
        row: dict[str, float | int | None] = {"year": year}
        for name in families:
            family = backtest.models.get(name)
            row[name] = round_floats(family.years[str(year)].r2) if family is not None else None
        rows.append(row)
    return pd.DataFrame(rows, columns=["year", *families])
