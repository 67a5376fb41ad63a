"""bench/model_search.py's own logic: its grid, params overrides, backtest years and choice of the best model."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture
def search(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCH))  # bench/ scripts import each other by name
    import model_search

    return model_search


def test_grid_groups_by_training_years_and_tunes_the_first_pair(search: ModuleType) -> None:
    configs = search.grid(["hgb:poisson", "rf:ridge"], [3, 1], {"trials": 4})
    assert [(c.training_years, c.tree, c.tuned) for c in configs] == [
        (1, "hgb", False),
        (1, "rf", False),
        (1, "hgb", True),
        (3, "hgb", False),
        (3, "rf", False),
        (3, "hgb", True),
    ]
    assert configs[2].overrides()["tune.trials"] == 4 and configs[2].overrides()["tune.enabled"] is True
    assert "tune.trials" not in configs[0].overrides() and configs[0].overrides()["tune.enabled"] is False
    assert len({c.name for c in configs}) == len(configs)
    assert search.grid(["hgb:poisson"], [1], None) == [search.Config("hgb", "poisson", False, 1)]


def test_overrides_set_existing_keys_only_and_leave_the_params_alone(search: ModuleType) -> None:
    params = {"tune": {"enabled": False, "tree": {"max_iter": [50, 400]}}}
    out = search.with_overrides(params, {"tune.enabled": True, "tune.tree.max_iter": [10, 20]})
    assert out == {"tune": {"enabled": True, "tree": {"max_iter": [10, 20]}}}
    assert params["tune"]["enabled"] is False
    with pytest.raises(KeyError, match="tune.enabeld"):
        search.with_overrides(params, {"tune.enabeld": True})


def test_backtest_years_the_data_allows(search: ModuleType) -> None:
    assert search.default_backtest_years(5, 3, 3) == 2  # the default demo: 2024 and 2025
    assert search.default_backtest_years(5, 3, 1) == 2  # 2023 would be scored with 2 years of history
    assert search.default_backtest_years(9, 3, 3) == 6
    with pytest.raises(SystemExit):
        search.default_backtest_years(3, 3, 1)


def _row(name: str, tree: float, linear: float) -> dict[str, Any]:
    scores = {
        f: {"mean": {"r2": r2, "r2_capped": r2, "gini": 0.5}, "r2_by_year": {}}
        for f, r2 in (("tree", tree), ("linear", linear), ("oracle", 0.9))
    }
    return {"name": name, "backtest": scores}


def test_best_model_is_a_tree_or_linear_model_never_the_oracle(search: ModuleType) -> None:
    rows = [_row("a", 0.20, 0.21), {"name": "failed", "error": "boom"}, _row("b", 0.22, 0.19)]
    assert search.best_model(rows) == {"config": "b", "family": "tree", "r2": 0.22}
    summary = search.summary(
        {
            "models": {
                "tree": {
                    "mean": {"r2": 0.2, "r2_capped": 0.3, "gini": 0.5, "rmse": 1.0},
                    "years": {"2025": {"r2": 0.2, "rmse": 1.0}},
                }
            }
        }
    )
    assert summary == {"tree": {"mean": {"r2": 0.2, "r2_capped": 0.3, "gini": 0.5}, "r2_by_year": {"2025": 0.2}}}
