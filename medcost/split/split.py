"""The train/test split of the training rows, grouped by client, and the scoring snapshot.

With several training years (``transform.training_years``) a client has a row per year; the
split assigns whole clients, so no client is in both parts (a model that saw a client's 2024
must not be scored on that client's 2025). The target is heavy-tailed (many zeros, a few very
expensive clients), so a plain random split can leave most of the tail on one side. The split
is stratified on a binned target, as far as grouping allows: each client's mean target over its
training rows is binned (zeros are one bin, the positive values are cut into ``bins``
equal-count bins, and the top ``tail`` share of them is one more bin), and the clients are
split stratified on those bins (scikit-learn's ``train_test_split`` over the clients), so each
part gets its share of the most expensive clients. With one training year a client is one row
and this is the plain stratified split of the rows. Rows are sorted by the key before and after
splitting, so the same rows, seed and params always give the same parts, whatever order they
were read in.

Test gets ``split.test_size`` of the clients (rounded up), so about that share of the rows (exactly
it with one training year). Each part must hold at least ``split.min_test_rows`` rows (metrics on a
handful of test rows mean nothing). Data with fewer than twice that many rows cannot give both
parts the minimum: each part then needs ``SMALL_DATA_SHARE`` of the rows, and a warning says the
test metrics are noisy. A split below the minimum stops on one line naming ``split.test_size``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from medcost.core.errors import MedcostError

log = logging.getLogger(__name__)

MIN_PER_BIN = 2
"""Fewest rows a stratum may hold (the stratified split needs two: one for each part)."""

SMALL_DATA_SHARE = 0.1
"""Share of the rows each part needs when the data is too small for ``split.min_test_rows`` in both."""


def _years(years: Sequence[int]) -> str:
    return f"year {years[0]}" if len(years) == 1 else f"years {', '.join(map(str, years))}"


def training_and_scoring(
    frame: pd.DataFrame, target: str, training_years: Sequence[int], scoring_year: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The training rows (``year`` in ``training_years``, with target) and the scoring snapshot (no target column)."""
    for column in ("year", target):
        if column not in frame.columns:
            raise MedcostError(f"feature table: column {column} missing")
    train = frame.loc[frame["year"].isin(list(training_years))].reset_index(drop=True)
    scoring = frame.loc[frame["year"] == scoring_year].drop(columns=[target]).reset_index(drop=True)
    return training_rows(train, target, training_years, len(scoring), scoring_year), scoring


def training_rows(
    train: pd.DataFrame, target: str, training_years: Sequence[int], scoring_rows: int, scoring_year: int
) -> pd.DataFrame:
    """``train`` (the rows of ``training_years``), checked: every training year has rows with a non-negative
    target, and the scoring year has ``scoring_rows`` > 0; a MedcostError names what is missing."""
    absent = [year for year in training_years if year not in set(train["year"])]
    if absent:
        raise MedcostError(
            f"feature table: no training rows for {_years(absent)} (transform.training_years = "
            f"{len(training_years)} year(s) before extract.as_of)"
        )
    if scoring_rows == 0:
        raise MedcostError(f"feature table: no scoring rows for year {scoring_year} (extract.as_of year)")
    missing = int(train[target].isna().sum())
    if missing:
        raise MedcostError(f"feature table: {missing} training row(s) of {_years(training_years)} have no {target}")
    if (train[target] < 0).any():
        raise MedcostError(f"feature table: {int((train[target] < 0).sum())} training row(s) have a negative {target}")
    return train


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
    group: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A seeded split of ``train_rows`` into (train, test) by whole clients, stratified on their binned mean
    target; both sorted by ``key``.

    ``group`` names the columns of a client (default: ``key`` without ``year``); all rows of a
    client land in the same part. Each part holds at least ``min_test_rows`` rows (see
    ``required_rows`` for small data), or a MedcostError names ``split.test_size``.
    """
    ordered = train_rows.sort_values(key, kind="stable").reset_index(drop=True)
    check_part_sizes(len(ordered), test_size, min_test_rows)
    columns = [c for c in key if c != "year"] if group is None else list(group)
    codes = ordered.groupby(columns, sort=True, dropna=False).ngroup().to_numpy()
    clients = int(codes.max()) + 1 if len(codes) else 0
    # a client's mean target over its rows (with one training year: its one row's target, exactly)
    means = np.bincount(codes, weights=ordered[target].to_numpy(dtype="float64")) / np.bincount(codes)
    n_test = test_rows(clients, test_size)
    labels = target_strata(means, bins, tail)
    # a stratified split needs at least one client per stratum on each side: fewer bins if the data is small
    while len(np.unique(labels)) > min(n_test, clients - n_test) and bins > 1:
        bins = max(1, bins // 2)
        labels = target_strata(means, bins, tail if bins > 1 else 0.0)
        log.warning("split: too few rows for the requested strata; using %d bins", bins)
    if n_test < 1 or clients - n_test < 1 or len(np.unique(labels)) > min(n_test, clients - n_test):
        raise MedcostError(f"split: {len(ordered)} training rows are too few for split.test_size = {test_size}")
    _, test_clients = train_test_split(
        np.arange(clients), test_size=n_test, random_state=seed, shuffle=True, stratify=labels
    )
    in_test = np.isin(codes, test_clients)
    train = ordered.loc[~in_test].reset_index(drop=True)
    test = ordered.loc[in_test].reset_index(drop=True)
    _check_whole_clients(len(train), len(test), test_size, min_test_rows)
    log.info(
        "split: %d train rows, %d test rows (%d of %d clients, grouped by %s), %d strata; mean %s %.0f (train) / "
        "%.0f (test)",
        len(train),
        len(test),
        n_test,
        clients,
        ", ".join(columns),
        len(np.unique(labels)),
        target,
        train[target].mean(),
        test[target].mean(),
    )
    return train, test


def _check_whole_clients(train: int, test: int, test_size: float, min_test_rows: int) -> None:
    """The parts of whole clients (whose rows need not be ``test_size`` of them exactly) still hold the minimum."""
    rows, needed = train + test, required_rows(train + test, min_test_rows)
    for part, n, change in (("test", test, "raise"), ("train", train, "lower")):
        if n < needed:
            raise MedcostError(
                f"split.test_size = {test_size:g} leaves {n} of {rows} training rows in {part} (whole clients, each "
                f"with all its years), fewer than the {needed} each part needs: {change} split.test_size a little "
                f"(or lower split.min_test_rows)"
            )
