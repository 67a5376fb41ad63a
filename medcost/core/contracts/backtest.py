"""The backtest's contract: metrics/backtest.json, each model family's scores per target year and their mean."""

from __future__ import annotations

from pydantic import Field

from medcost.core.contracts.base import Contract, Number


class BacktestScores(Contract):
    """One family's scores on one target year's rows (or their mean over the years: ``mean``)."""

    r2: Number
    rmse: Number
    mae: Number
    r2_capped: Number  # actual and predicted capped at evaluate.cap
    gini: Number  # of the cumulative-gains curve (2 x area - 1)
    total_ratio: Number  # sum predicted / sum actual
    predictive_ratio: dict[str, Number]  # decile of predicted cost ("1": lowest) -> sum predicted / sum actual


class FamilyBacktest(Contract):
    mean: BacktestScores  # over the target years (each year weighs the same)
    years: dict[str, BacktestScores]  # target year -> its scores


class BacktestRows(Contract):
    train: int = Field(ge=0)  # feature rows of the training cutoffs (years Y - transform.training_years .. Y - 1)
    test: int = Field(ge=0)  # feature rows of cutoff Y, scored against their year-Y cost


class BacktestData(Contract):
    years: list[int]  # the target years scored, oldest first (empty: backtest.years = 0)
    training_years: int  # cutoffs each year's models were trained on (transform.training_years)
    cap: float  # evaluate.cap
    rows: dict[str, BacktestRows]  # target year -> rows


class Backtest(Contract):
    """metrics/backtest.json: ``models.<family>.mean.r2``, ``models.<family>.years.<year>.r2``, ... and ``data``.

    Families: the trained ones (tree, linear), ``baseline`` (the mean of the training targets) and,
    on the demo source, ``oracle`` (the generator's true expected cost: the best any model can do).
    """

    data: BacktestData
    models: dict[str, FamilyBacktest]

    def mean_r2(self, family: str) -> Number:
        """The family's mean backtest R² (None when the backtest has no years or not that family)."""
        scores = self.models.get(family)
        return scores.mean.r2 if scores is not None else None
