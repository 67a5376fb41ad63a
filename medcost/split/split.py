"""The train/test split of the training rows, and the scoring snapshot.

The target is heavy-tailed (many zeros, a few very expensive clients), so a plain random
split can leave most of the tail on one side. The split is stratified on a binned target:
zeros are one bin, the positive targets are cut into ``bins`` equal-count bins, and the
top ``tail`` share of positive targets is one more bin, so each part gets its share of
the most expensive clients. Rows are sorted by the key before and after splitting, so the
same rows, seed and params always give the same parts, whatever order they were read in.

Each part must hold at least ``split.min_test_rows`` rows (metrics on a handful of test rows
mean nothing). Data with fewer than twice that many rows cannot give both parts the minimum:
each part then needs ``SMALL_DATA_SHARE`` of the rows, and a warning says the test metrics are
noisy. A split below the minimum stops on one line naming ``split.test_size``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from medcost.core.errors import MedcostError

log = logging.getLogger(__name__)

MIN_PER_BIN = 2
"""Fewest rows a stratum may hold (the stratified split needs two: one for each part)."""

SMALL_DATA_SHARE = 0.1
"""Share of the rows each part needs when the data is too small for ``split.min_test_rows`` in both."""


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


def test_rows(rows: int, test_size: float) -> int:
    """The rows a split of ``rows`` puts in test: ``test_size`` of them, rounded up."""
    return int(np.ceil(test_size * rows))


def required_rows(rows: int, min_test_rows: int) -> int:
    """The fewest rows each part of a split of ``rows`` must hold: ``min_test_rows``, or on data too small
    for that in both parts (fewer than twice as many rows), ``SMALL_DATA_SHARE`` of them (at least one)."""
    if rows >= 2 * min_test_rows:
        return min_test_rows
    return max(1, int(np.ceil(SMALL_DATA_SHARE * rows)))


def check_part_sizes(rows: int, test_size: float, min_test_rows: int) -> int:
    """The test rows of a split of ``rows``; a part below ``required_rows`` is one line naming the params to change."""
    n_test, needed = test_rows(rows, test_size), required_rows(rows, min_test_rows)
    if needed < min_test_rows:
        minimum = f"{needed} ({SMALL_DATA_SHARE:.0%} of them: the data has fewer than 2 x split.min_test_rows rows)"
        log.warning(
            "split: %d training rows, fewer than 2 x split.min_test_rows = %d: each part needs %s rows instead "
            "of %d; %d test rows give noisy test metrics",
            rows,
            2 * min_test_rows,
            f"{needed} ({SMALL_DATA_SHARE:.0%})",
            min_test_rows,
            n_test,
        )
    else:
        minimum = f"split.min_test_rows = {min_test_rows}"
    if rows < 2 * needed:
        raise MedcostError(f"{rows} training row(s) are too few to split (each part needs at least {needed})")
    if n_test < needed:
        # the share a person would compute (needed / rows, rounded up); a little less works too, by the rounding up
        lowest = _rounded_share(lambda t: t * rows >= needed - 1e-9, up=True)
        raise MedcostError(
            f"split.test_size = {test_size:g} leaves {n_test} of {rows} training rows in test, fewer than "
            f"{minimum}: set split.test_size to at least {lowest:g} (or lower split.min_test_rows)"
        )
    if rows - n_test < needed:
        highest = _rounded_share(lambda t: rows - test_rows(rows, t) >= needed, up=False)
        raise MedcostError(
            f"split.test_size = {test_size:g} leaves {rows - n_test} of {rows} training rows in train, fewer "
            f"than {minimum}: set split.test_size to at most {highest:g} (or lower split.min_test_rows)"
        )
    return n_test


def _rounded_share(fits: Callable[[float], bool], up: bool) -> float:
    """The smallest (``up``) or largest share with 4 decimals that ``fits``: the limit to suggest."""
    steps = range(1, 10_000) if up else range(9_999, 0, -1)
    return next(step / 10_000 for step in steps if fits(step / 10_000))


def split_train_test(
    train_rows: pd.DataFrame,
    target: str,
    key: list[str],
    test_size: float,
    seed: int,
    bins: int,
    tail: float,
    *,
    min_test_rows: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A seeded split of ``train_rows`` into (train, test), stratified on the binned target; both sorted by ``key``.

    Each part holds at least ``min_test_rows`` rows (see ``required_rows`` for small data), or a MedcostError
    names ``split.test_size``.
    """
    ordered = train_rows.sort_values(key, kind="stable").reset_index(drop=True)
    n_test = check_part_sizes(len(ordered), test_size, min_test_rows)
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
