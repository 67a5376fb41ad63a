"""The train/test split of the training rows, and the scoring snapshot.

The target is heavy-tailed (many zeros, a few very expensive clients), so a plain random
split can leave most of the tail on one side. The split is stratified on a binned target:
zeros are one bin, the positive targets are cut into ``bins`` equal-count bins, and the
top ``tail`` share of positive targets is one more bin, so each part gets its share of
the most expensive clients. Rows are sorted by the key before and after splitting, so the
same rows, seed and params always give the same parts, whatever order they were read in.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from medcost.core.errors import MedcostError

log = logging.getLogger(__name__)

MIN_PER_BIN = 2
"""Fewest rows a stratum may hold (the stratified split needs two: one for each part)."""


def training_and_scoring(
    frame: pd.DataFrame, target: str, target_year: int, scoring_year: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The training rows (``year == target_year``, with target) and the scoring snapshot (no target column)."""
    for column in ("year", target):
        if column not in frame.columns:
            raise MedcostError(f"feature table: column {column} missing")
    train = frame.loc[frame["year"] == target_year].reset_index(drop=True)
    scoring = frame.loc[frame["year"] == scoring_year].drop(columns=[target]).reset_index(drop=True)
    if train.empty:
        raise MedcostError(f"feature table: no training rows for year {target_year} (extract.as_of year - 1)")
    if scoring.empty:
        raise MedcostError(f"feature table: no scoring rows for year {scoring_year} (extract.as_of year)")
    missing = int(train[target].isna().sum())
    if missing:
        raise MedcostError(f"feature table: {missing} training row(s) of year {target_year} have no {target}")
    if (train[target] < 0).any():
        raise MedcostError(f"feature table: {int((train[target] < 0).sum())} training row(s) have a negative {target}")
    return train, scoring


def target_strata(y: pd.Series | np.ndarray, bins: int, tail: float) -> np.ndarray:
    """Stratum labels: 0 for a zero target, 1..bins for equal-count bins of the positive targets,
    ``bins + 1`` for the top ``tail`` share of them. Strata smaller than ``MIN_PER_BIN`` are
    merged into their lower neighbour. The labels depend only on the values, not on the row order.
    """
    values = np.asarray(y, dtype="float64")
    labels = np.zeros(len(values), dtype="int64")
    positive = values > 0
    if positive.any():
        # rank as a share in (0, 1]; ties share their (average) rank, so order does not matter
        pct = pd.Series(values[positive]).rank(method="average", pct=True).to_numpy()
        strata = np.minimum(np.ceil(pct * bins), bins).astype("int64")
        strata = np.maximum(strata, 1)
        if tail > 0:
            strata[pct > 1.0 - tail] = bins + 1
        labels[positive] = strata
    return _merge_small(labels)


def _merge_small(labels: np.ndarray) -> np.ndarray:
    """Merge every stratum smaller than MIN_PER_BIN into the next lower one (or the next higher one)."""
    labels = labels.copy()
    while True:
        values, counts = np.unique(labels, return_counts=True)
        small = values[counts < MIN_PER_BIN]
        if len(small) == 0 or len(values) == 1:
            return labels
        label = small[-1]
        others = values[values != label]
        lower = others[others < label]
        labels[labels == label] = lower[-1] if len(lower) else others[0]


def split_train_test(
    train_rows: pd.DataFrame, target: str, key: list[str], test_size: float, seed: int, bins: int, tail: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A seeded split of ``train_rows`` into (train, test), stratified on the binned target; both sorted by ``key``."""
    ordered = train_rows.sort_values(key, kind="stable").reset_index(drop=True)
    n_test = int(np.ceil(test_size * len(ordered)))
    labels = target_strata(ordered[target], bins, tail)
    # a stratified split needs at least one row per stratum on each side: fewer bins if the data is small
    while len(np.unique(labels)) > min(n_test, len(ordered) - n_test) and bins > 1:
        bins = max(1, bins // 2)
        labels = target_strata(ordered[target], bins, tail if bins > 1 else 0.0)
        log.warning("split: too few rows for the requested strata; using %d bins", bins)
    if n_test < 1 or len(ordered) - n_test < 1 or len(np.unique(labels)) > min(n_test, len(ordered) - n_test):
        raise MedcostError(f"split: {len(ordered)} training rows are too few for split.test_size = {test_size}")
    train_idx, test_idx = train_test_split(
        np.arange(len(ordered)), test_size=n_test, random_state=seed, shuffle=True, stratify=labels
    )
    train = ordered.iloc[np.sort(train_idx)].reset_index(drop=True)
    test = ordered.iloc[np.sort(test_idx)].reset_index(drop=True)
    log.info(
        "split: %d train rows, %d test rows, %d strata; mean %s %.0f (train) / %.0f (test)",
        len(train),
        len(test),
        len(np.unique(labels)),
        target,
        train[target].mean(),
        test[target].mean(),
    )
    return train, test
