"""The realism check: how a generated source compares with the published MEPS cost figures (see bench/README.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import create_engine


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
    """Compare a generated database with the published MEPS figures (see bench/README.md).

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
    pair = pair.merge(
        cy[["client_id", "year", "expected_cost"]].assign(year=cy["year"] - 1),
        on=["client_id", "year"],
        suffixes=("", "_next"),
    )
    x = np.column_stack(
        [
            np.ones(len(pair)),
            pair["cost"],
            np.log1p(pair["cost"]),
            pair["n"],
            pair["age"],
            pair["age"] ** 2 / 100,
        ]
    )
    y = pair["cost_next"].to_numpy()
    fit = (pair["client_id"] % 2 == 0).to_numpy()
    beta, *_ = np.linalg.lstsq(x[fit], y[fit], rcond=None)
    report["r2_history_ols"] = r2(y[~fit], x[~fit] @ beta)
    report["r2_truth_next"] = r2(y[~fit], pair["expected_cost_next"].to_numpy()[~fit])
    report["client_years"] = int(len(cy))
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in report.items()}
