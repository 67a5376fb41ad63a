"""Grouped cross-validation folds (scikit-learn's GroupKFold, by client) and a seeded sample of whole clients."""

from __future__ import annotations

import numpy as np

from medcost.core.errors import MedcostError

Split = tuple[np.ndarray, np.ndarray]
"""The row positions fitted on and the row positions scored, of one fold."""


def client_codes(groups: np.ndarray) -> tuple[np.ndarray, int]:
    """A code per row (0..clients-1, in sorted order of the client ids) and the number of clients."""
    _, codes = np.unique(groups, return_inverse=True)
    return codes.ravel(), int(codes.max()) + 1 if len(codes) else 0


def group_folds(groups: np.ndarray, folds: int, seed: int) -> list[Split]:
    """``folds`` grouped folds: GroupKFold with the clients shuffled (seeded), so every client's rows are in one fold.

    Each fold scores the same number of clients (within one), whatever their number of rows.
    """
    from sklearn.model_selection import GroupKFold

    clients = client_codes(groups)[1]
    if folds > clients:
        raise MedcostError(f"tune.folds = {folds}: more folds than the {clients} client(s) in the train part")
    splitter = GroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros((len(groups), 1)), groups=groups))


def sample_clients(groups: np.ndarray, max_rows: int, seed: int) -> np.ndarray:
    """A row mask keeping a seeded sample of whole clients with at most ``max_rows`` rows (all rows if fewer).

    scikit-learn's GroupShuffleSplit samples a number (or share) of clients, not a number of rows.
    """
    if len(groups) <= max_rows:
        return np.ones(len(groups), dtype=bool)
    codes, clients = client_codes(groups)
    order = np.random.default_rng(seed).permutation(clients)
    rows = np.bincount(codes, minlength=clients)[order]
    keep = np.zeros(clients, dtype=bool)
    keep[order[np.cumsum(rows) <= max_rows]] = True
    return keep[codes]
