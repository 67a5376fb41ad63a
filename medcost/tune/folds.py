"""Grouped cross-validation folds: every row of a client in one fold, and a seeded sample of whole clients."""

from __future__ import annotations

import numpy as np

from medcost.core.errors import MedcostError


def client_codes(groups: np.ndarray) -> tuple[np.ndarray, int]:
    """A code per row (0..clients-1, in sorted order of the client ids) and the number of clients."""
    _, codes = np.unique(groups, return_inverse=True)
    return codes.ravel(), int(codes.max()) + 1 if len(codes) else 0


def group_folds(groups: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """The fold (0..folds-1) of each row: clients are shuffled (seeded) and dealt to the folds in turn.

    Each fold gets the same number of clients (within one), whatever their number of rows.
    """
    codes, clients = client_codes(groups)
    if folds > clients:
        raise MedcostError(f"tune.folds = {folds}: more folds than the {clients} client(s) in the train part")
    fold_of_client = np.empty(clients, dtype="int64")
    fold_of_client[np.random.default_rng(seed).permutation(clients)] = np.arange(clients) % folds
    return fold_of_client[codes]


def sample_clients(groups: np.ndarray, max_rows: int, seed: int) -> np.ndarray:
    """A row mask keeping a seeded sample of whole clients with at most ``max_rows`` rows (all rows if fewer)."""
    if len(groups) <= max_rows:
        return np.ones(len(groups), dtype=bool)
    codes, clients = client_codes(groups)
    order = np.random.default_rng(seed).permutation(clients)
    rows = np.bincount(codes, minlength=clients)[order]
    keep = np.zeros(clients, dtype=bool)
    keep[order[np.cumsum(rows) <= max_rows]] = True
    return keep[codes]
