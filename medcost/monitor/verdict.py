"""The monitor's judgement: each champion's predictions of a year scored against that year's actual costs.

A year's predictions (one version's) are matched to the actual costs on the client key; the
matched rows get the backtest's scores (:func:`medcost.core.metrics.cost_scores`) and are
compared with what the version was expected to score (its backtest mean, else its test-set
scores). A year is degraded when its R² falls more than ``max_r2_drop`` below the expected R²,
or when its total predicted cost is off the total actual by more than ``max_total_ratio_error``
(the book is mispriced, whatever the ranking). Years with fewer than ``min_rows`` matched rows
are reported but not judged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from medcost.core.contracts import (
    MODEL_VERSION,
    PREDICTED_COST,
    Expectation,
    MonitoredYear,
    MonitorVerdict,
    PendingYear,
)
from medcost.core.errors import MedcostError
from medcost.core.metrics import cost_scores
from medcost.core.numbers import round_floats
from medcost.core.params_monitor import MonitorParams

log = logging.getLogger(__name__)


def degradation(
    scores_r2: float | None, total_ratio: float | None, expected: Expectation, cfg: MonitorParams
) -> list[str]:
    """Why a year's scores count as degraded against ``expected``, one line each (empty: they do not)."""
    reasons = []
    if scores_r2 is not None and expected.r2 is not None and expected.r2 - scores_r2 > cfg.max_r2_drop:
        reasons.append(
            f"R² {scores_r2:.3f} is {expected.r2 - scores_r2:.3f} below the expected {expected.r2:.3f} "
            f"({expected.source}; monitor.max_r2_drop = {cfg.max_r2_drop:g})"
        )
    if total_ratio is not None and abs(total_ratio - 1.0) > cfg.max_total_ratio_error:
        reasons.append(
            f"predicted {total_ratio:.1%} of the actual total cost (monitor.max_total_ratio_error = "
            f"{cfg.max_total_ratio_error:g})"
        )
    return reasons


def score_year(
    year: int,
    version: int,
    matched: pd.DataFrame,
    unmatched: int,
    expected: Expectation,
    cfg: MonitorParams,
    cap: float,
    deciles: int,
    target: str,
) -> MonitoredYear:
    """One version's predictions of ``year``: ``matched`` holds each scored row's ``target`` and prediction."""
    scores = cost_scores(matched[target].to_numpy(float), matched[PREDICTED_COST].to_numpy(float), cap, deciles)
    judged = len(matched) >= cfg.min_rows
    reasons = degradation(scores.r2, scores.total_ratio, expected, cfg) if judged else []
    drop = expected.r2 - scores.r2 if expected.r2 is not None and scores.r2 is not None else None
    return MonitoredYear(
        year=year,
        model_version=version,
        rows=len(matched),
        unmatched=unmatched,
        scores=scores,
        expected=expected,
        r2_drop=drop,
        degraded=bool(reasons),
        reasons=reasons,
    )


def _message(checked: Sequence[MonitoredYear], pending: Sequence[PendingYear]) -> str:
    waiting = f"{len(pending)} predicted year(s) still without actual costs" if pending else ""
    if not checked:
        return "no predicted year has its actual costs yet" + (f" ({waiting})" if waiting else "")
    parts = []
    for year in checked:
        r2 = "n/a" if year.scores.r2 is None else f"{year.scores.r2:.3f}"
        found = "; ".join(year.reasons) if year.degraded else "as expected"
        parts.append(f"{year.year} by version {year.model_version} ({year.rows} rows): R² {r2}, {found}")
    return "; ".join(parts) + (f"; {waiting}" if waiting else "")


def versions_to_check(predictions: pd.DataFrame, actuals: pd.DataFrame, target: str) -> list[int]:
    """The versions with a predicted year whose actual costs are known: those :func:`monitor` needs expectations of."""
    known = actuals.loc[actuals[target].notna(), "year"].unique()
    return sorted(int(v) for v in predictions.loc[predictions["year"].isin(known), MODEL_VERSION].unique())


def monitor(
    predictions: pd.DataFrame,
    actuals: pd.DataFrame,
    expectations: Mapping[int, Expectation],
    cfg: MonitorParams,
    *,
    key: Sequence[str],
    target: str,
    model_name: str,
    cap: float,
    deciles: int,
) -> MonitorVerdict:
    """The verdict on every (year, version) of ``predictions`` whose year has actual costs in ``actuals``.

    ``predictions``: the key (with ``year``), ``predicted_cost`` and ``model_version``, every champion's;
    ``actuals``: the key and ``target`` of the rows whose cost is known. Years of ``predictions`` absent from
    ``actuals`` are pending.
    """
    missing = [c for c in [*key, PREDICTED_COST, MODEL_VERSION] if c not in predictions.columns]
    if missing:
        raise MedcostError(f"predictions table: column(s) {', '.join(missing)} missing (rerun predict)")
    missing = [c for c in [*key, target] if c not in actuals.columns]
    if missing:
        raise MedcostError(f"published feature table: column(s) {', '.join(missing)} missing (rerun transform)")
    known = actuals.loc[actuals[target].notna(), [*key, target]]
    if known.duplicated(list(key)).any():
        raise MedcostError(f"published feature table: duplicate keys ({', '.join(key)}) among the actual costs")
    known_years = set(known["year"].unique())
    checked: list[MonitoredYear] = []
    pending: list[PendingYear] = []
    for (year, version), rows in predictions.groupby(["year", MODEL_VERSION], sort=True):
        year, version = int(year), int(version)
        if year not in known_years:
            pending.append(PendingYear(year=year, model_version=version, rows=len(rows)))
            continue
        matched = rows[[*key, PREDICTED_COST]].merge(known, on=list(key), how="inner", validate="one_to_one")
        expected = expectations.get(version, Expectation(source="none"))
        checked.append(
            score_year(year, version, matched, len(rows) - len(matched), expected, cfg, cap, deciles, target)
        )
    degraded = any(year.degraded for year in checked)
    recommendation = "retrain" if degraded else ("keep" if checked else "wait")
    return MonitorVerdict(
        model_name=model_name,
        degraded=degraded,
        recommendation=recommendation,
        message=_message(checked, pending),
        checked=checked,
        pending=pending,
    )


def degraded_event(verdict: MonitorVerdict) -> dict[str, Any] | None:
    """The webhook payload of a degraded verdict (None: nothing to send), with the numbers of each degraded year
    rounded as metrics/monitor.json has them."""
    if not verdict.degraded:
        return None
    years = [
        {
            "year": y.year,
            "model_version": y.model_version,
            "rows": y.rows,
            "r2": y.scores.r2,
            "expected_r2": y.expected.r2,
            "expected_from": y.expected.source,
            "total_ratio": y.scores.total_ratio,
            "reasons": y.reasons,
        }
        for y in verdict.checked
        if y.degraded
    ]
    return round_floats(
        {
            "event": "model_degraded",
            "model_name": verdict.model_name,
            "recommendation": verdict.recommendation,
            "message": verdict.message,
            "degraded": years,
        }
    )
