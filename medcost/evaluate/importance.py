"""Permutation importances: how much each input column's information is worth to a fitted model."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from medcost.core.features import FeatureSpec
from medcost.core.progress import steps

log = logging.getLogger(__name__)


def permutation_importances(model: Any, x: pd.DataFrame, y: Any, *, rows: int, repeats: int, seed: int) -> pd.DataFrame:
    """Mean drop in R² when one input column is shuffled, on a seeded sample of ``rows`` rows.

    Returns columns feature, importance, std, sorted by importance (highest first), then name.
    """
    y = np.asarray(y, dtype="float64")
    if len(x) > rows:
        pick = np.sort(np.random.default_rng(seed).choice(len(x), size=rows, replace=False))
        x, y = x.iloc[pick], y[pick]
    with threadpool_limits(limits=1):
        result = permutation_importance(model, x, y, scoring="r2", n_repeats=repeats, random_state=seed, n_jobs=1)
    table = pd.DataFrame(
        {"feature": list(x.columns), "importance": result.importances_mean, "std": result.importances_std}
    )
    return table.sort_values(["importance", "feature"], ascending=[False, True], kind="stable").reset_index(drop=True)


def importance_tables(
    models: Mapping[str, Pipeline], test: pd.DataFrame, spec: FeatureSpec, *, rows: int, repeats: int, seed: int
) -> dict[str, pd.DataFrame]:
    """``importance_<name>`` per model: its permutation importances on ``test``, rounded to 6 decimals.

    Each model is scored on the columns it was fitted on (``feature_names_in_``: the inputs select kept).
    """

    def inputs(model: Pipeline) -> list[str]:
        return list(getattr(model, "feature_names_in_", [])) or list(spec.inputs)

    return {
        f"importance_{name}": permutation_importances(
            model, test[inputs(model)], test[spec.target], rows=rows, repeats=repeats, seed=seed
        ).round({"importance": 6, "std": 6})
        for name, model in steps(models.items(), "permutation importance", total=len(models))
    }
