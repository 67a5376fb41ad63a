"""`make exps`: each experiment's changed params and both models' test R²/RMSE, every line under 160 columns."""

from __future__ import annotations

from typing import Any

from medcost.report.exps import WIDTH, changed, experiment_table, flatten

EVALUATION = "metrics/evaluate.json"
PARAMS: dict[str, dict[str, Any]] = {
    "train_tree": {"max_iter": 100, "learning_rate": 0.05, "max_depth": None, "increasing": ["age", "smoker"]},
    "train_linear": {"model": "poisson", "alpha": 1.0, "log_features": True},
}


def node(rev: str, name: str | None, params: dict[str, Any], scores: dict[str, tuple[float, float]] | None) -> dict:
    """One revision as `dvc exp show --json` prints it (its layout is DVC's, not a medcost contract)."""
    metrics = {
        EVALUATION: {"data": {m: {"test": {"r2": r2, "rmse": rmse}} for m, (r2, rmse) in scores.items()}}
        if scores
        else {}
    }
    return {
        "rev": rev,
        "name": name,
        "data": {"rev": rev, "params": {"params.yaml": {"data": params}}, "metrics": metrics if scores else {}},
        "error": None,
        "experiments": None,
    }


def with_changes(**sections: dict[str, Any]) -> dict[str, Any]:
    return {name: {**values, **sections.get(name, {})} for name, values in PARAMS.items()}


def shown() -> list[dict[str, Any]]:
    base_scores = {"tree": (0.2467, 14314.6), "linear": (0.2562, 14224.4)}
    many = with_changes(
        train_tree={"max_iter": 300, "learning_rate": 0.03, "max_depth": 6, "increasing": ["age"]},
        train_linear={"model": "elastic_net", "alpha": 0.25, "log_features": False},
    )
    baseline = node("a" * 40, "main", PARAMS, base_scores)
    baseline["experiments"] = [
        {
            "revs": [
                node(
                    "b" * 40,
                    "hgb-300",
                    with_changes(train_tree={"max_iter": 300}),
                    {**base_scores, "tree": (0.25, 14290.1)},
                )
            ],
            "executor": None,
            "name": "hgb-300",
        },
        {
            "revs": [node("c" * 40, "everything-at-once-with-a-long-name", many, base_scores)],
            "executor": None,
            "name": "x",
        },
        {
            "revs": [node("d" * 40, "ridge", with_changes(train_linear={"model": "ridge"}), None)],
            "executor": {"state": "queued"},
            "name": "ridge",
        },
    ]
    workspace = node("workspace", None, with_changes(train_tree={"learning_rate": 0.1}), base_scores)
    return [workspace, baseline]


def test_every_experiment_with_its_changed_params_and_both_models_scores():
    lines = experiment_table(shown(), ["tree", "linear"], EVALUATION).splitlines()
    assert all(len(line) < 160 for line in lines) and max(map(len, lines)) <= WIDTH
    header = lines[0]
    assert all(title in header for title in ("tree R²", "tree RMSE", "linear R²", "linear RMSE"))
    by_name = {line.split()[0]: line for line in lines[1:] if line.strip() and not line.startswith(" " * 10)}
    assert "train_tree.learning_rate=0.1" in by_name["workspace"]  # against the commit it sits on
    assert "(baseline)" in by_name["main"] and "0.2467" in by_name["main"] and "14,314.6" in by_name["main"]
    hgb = by_name["hgb-300"]
    assert "train_tree.max_iter=300" in hgb and "learning_rate" not in hgb  # only what differs from its baseline
    assert hgb.split()[-4:] == ["0.2500", "14,290.1", "0.2562", "14,224.4"]
    assert "queued" in by_name["ridge"] and "train_linear.model=ridge" in by_name["ridge"]


def test_many_changed_params_wrap_onto_more_lines_and_long_names_are_cut():
    table = experiment_table(shown(), ["tree", "linear"], EVALUATION)
    lines = table.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("  everything-at-once"))
    assert lines[start][:24].endswith("…")
    wrapped = " ".join(line.strip() for line in lines[start + 1 : start + 4] if line.startswith(" " * 30))
    text = lines[start] + " " + wrapped
    for param in (
        "train_tree.max_iter=300",
        "train_tree.learning_rate=0.03",
        "train_tree.max_depth=6",
        "train_tree.increasing=[age]",
        "train_linear.model=elastic_net",
        "train_linear.alpha=0.25",
        "train_linear.log_features=false",
    ):
        assert param in text
    assert all(len(line) <= WIDTH for line in lines)


def test_changed_spells_values_as_params_yaml_does():
    base = flatten({"a": {"b": None, "c": True, "d": [1, 2]}, "e": 1})
    now = flatten({"a": {"b": 3, "c": False, "d": [1, 2]}})
    assert changed(now, base) == ["a.b=3", "a.c=false", "e: removed"]
    assert changed(base, now) == ["a.b=null", "a.c=true", "e=1"]
