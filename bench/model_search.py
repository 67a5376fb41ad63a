"""A documented model search through the real pipeline: model families, tuned settings and training years, by backtest.

    make bench-model-search                     # the grid on the default demo data (about 9 minutes on 2 cores)
    .venv/bin/python bench/model_search.py --training-years 1 --families hist_gradient_boosting:poisson --no-tune
    .venv/bin/python bench/model_search.py --backtest-years 3 --training-years 1,2 --out model_search-3years.json
    .venv/bin/python bench/model_search.py --demo-years 9 --backtest-years 3 --out model_search-9years.json

A configuration is one pair of model families (``train_tree.model``, ``train_linear.model``, their
other params as they are) with their params as they are, or the default pair with the tuned settings
(``tune.enabled=true``; ``--trials`` / ``--folds``, default tune's own params), times
``transform.training_years`` (``--training-years``, default 1, 2, 3). Every configuration has the
backtest on, over the same target years (``--backtest-years``), so their scores are comparable.

The demo source is the default one (params.yaml's ``demo``: 20,000 clients, seed 42, 5 years), or
``--demo-years`` years ending in the same year (another draw). ``backtest.years`` is by default the
most the data allows: every scored cutoff with its whole ``transform.lookback_years`` of history, and
the earliest training cutoff (the largest training years before the first backtest year) inside the
data: 2 (2024, 2025) on the default demo data. ``extract.history_years`` is lookback + the largest
training years + backtest years for every configuration, so extract runs once.

In a clone of this repository's HEAD in a scratch folder (bench_repro's), each configuration is
params.yaml's values with its own overrides, run by ``nice -n 10 dvc repro backtest`` (the stages
the backtest depends on: extract .. split, select, tune, backtest; DVC reruns only what a change
touches, so the configurations are run grouped by training years). Recorded per configuration: the
mean backtest R², capped R² and Gini of tree, linear, baseline and oracle, and the R² per year.
Results: bench/results/model_search.json (no timings, hosts or paths) and a markdown table on
stdout; the wall time of each run goes to the untracked logs/model_search.jsonl.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from bench_repro import clone, generate_source
from bench_scale import RESULTS, ROOT, timed

FAMILIES = ("tree", "linear", "baseline", "oracle")
"""The backtest's families, as metrics/backtest.json names them."""

SCORES = ("r2", "r2_capped", "gini")
DEFAULT_PAIRS = ("hist_gradient_boosting:poisson", "random_forest:ridge", "extra_trees:elastic_net")
TUNE_KEYS = ("trials", "folds", "seconds", "metric", "max_rows")
LOG = ROOT / "logs" / "model_search.jsonl"


@dataclass(frozen=True)
class Config:
    """One point of the grid: a tree and a linear family, tuned or not, on ``training_years`` cutoffs."""

    tree: str
    linear: str
    tuned: bool
    training_years: int
    tune: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def name(self) -> str:
        return f"{self.tree}+{self.linear}{' tuned' if self.tuned else ''}, k={self.training_years}"

    def overrides(self) -> dict[str, Any]:
        """The params it sets over params.yaml (dotted keys)."""
        values: dict[str, Any] = {
            "train_tree.model": self.tree,
            "train_linear.model": self.linear,
            "transform.training_years": self.training_years,
            "tune.enabled": self.tuned,
        }
        if self.tuned:
            values.update({f"tune.{key}": value for key, value in self.tune.items()})
        return values


def grid(pairs: list[str], training_years: list[int], tune: dict[str, Any] | None) -> list[Config]:
    """Every pair untuned, and the first pair tuned (``tune`` is the tune budget; None: no tuned point), for each
    training years, grouped by training years (the data stages rerun only when it changes)."""
    configs = []
    for k in sorted(training_years):
        for pair in pairs:
            tree, linear = pair.split(":")
            configs.append(Config(tree, linear, tuned=False, training_years=k))
        if tune is not None:
            tree, linear = pairs[0].split(":")
            configs.append(Config(tree, linear, tuned=True, training_years=k, tune=tune))
    return configs


def with_overrides(params: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``params`` with each dotted key of ``overrides`` set (every level must exist)."""
    out = copy.deepcopy(params)
    for dotted, value in overrides.items():
        *parents, last = dotted.split(".")
        node = out
        for key in parents:
            node = node[key]
        if last not in node:
            raise KeyError(f"params.yaml has no {dotted}")
        node[last] = value
    return out


def summary(backtest: dict[str, Any]) -> dict[str, Any]:
    """From metrics/backtest.json: per family its mean R², capped R² and Gini and its R² per year."""
    out: dict[str, Any] = {}
    for name in FAMILIES:
        family = backtest.get("models", {}).get(name)
        if family is None:
            continue
        out[name] = {
            "mean": {score: family["mean"][score] for score in SCORES},
            "r2_by_year": {year: scores["r2"] for year, scores in family["years"].items()},
        }
    return out


def tuned_settings(tuned: dict[str, Any]) -> dict[str, Any]:
    """From models/tuned.json: per family the best settings, the trials run and why the search stopped."""
    return {
        name: {"best_settings": s["best_settings"], "trials": len(s["trials"]), "stopped_by": s["stopped_by"]}
        for name, s in tuned.get("families", {}).items()
    }


def best_model(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The configuration and family (tree or linear) with the highest mean backtest R²."""
    candidates = [
        (row["backtest"][family]["mean"]["r2"], row["name"], family)
        for row in rows
        if "backtest" in row
        for family in ("tree", "linear")
        if family in row["backtest"]
    ]
    r2, name, family = max(candidates)
    return {"config": name, "family": family, "r2": r2}


def markdown(rows: list[dict[str, Any]]) -> str:
    """One line per configuration: mean R² / capped R² / Gini of each family."""
    head = "| configuration | " + " | ".join(f"{f} R² / capped / Gini" for f in FAMILIES) + " |"
    lines = [head, "|---|" + "---:|" * len(FAMILIES)]
    for row in rows:
        cells = []
        for family in FAMILIES:
            mean = row.get("backtest", {}).get(family, {}).get("mean")
            cells.append(" / ".join(f"{mean[s]:.3f}" for s in SCORES) if mean else row.get("error", "n/a"))
        lines.append(f"| {row['name']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def year_table(row: dict[str, Any]) -> str:
    """The backtest R² per year and the means of one configuration's families."""
    years = sorted(row["backtest"]["tree"]["r2_by_year"])
    lines = [
        "| family | " + " | ".join(f"R² {y}" for y in years) + " | mean R² | mean capped R² | mean Gini |",
        "|---|" + "---:|" * (len(years) + 3),
    ]
    for family, scores in row["backtest"].items():
        by_year = " | ".join(f"{scores['r2_by_year'][y]:.3f}" for y in years)
        mean = " | ".join(f"{scores['mean'][s]:.3f}" for s in SCORES)
        lines.append(f"| {family} | {by_year} | {mean} |")
    return "\n".join(lines)


def default_backtest_years(demo_years: int, lookback: int, training_years: int) -> int:
    """The most backtest years whose scored cutoffs have their whole lookback of claims history and whose earliest
    training cutoff (``training_years`` before the first) has a target year in the data."""
    years = min(demo_years - lookback, demo_years - training_years)
    if years < 1:
        raise SystemExit(f"{demo_years} years of demo data leave no backtest year with {training_years} training years")
    return years


def run_config(repo: Path, base: dict[str, Any], config: Config, env: dict[str, str]) -> dict[str, Any]:
    """``dvc repro backtest`` with the configuration's params in the clone; its row of the results."""
    overrides = {**base, **config.overrides()}
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    (repo / "params.yaml").write_text(yaml.safe_dump(with_overrides(params, overrides), sort_keys=False))
    timing = timed(["nice", "-n", "10", str(Path(sys.executable).parent / "dvc"), "repro", "backtest"], repo, env)
    row: dict[str, Any] = {"name": config.name, "params": config.overrides()}
    LOG.parent.mkdir(parents=True, exist_ok=True)
    with LOG.open("a") as log:
        log.write(json.dumps({"config": config.name, **timing}) + "\n")
    if timing["exit_code"] != 0:
        row["error"] = timing.get("error", "dvc repro failed")
        return row
    row["backtest"] = summary(json.loads((repo / "metrics/backtest.json").read_text()))
    if config.tuned:
        row["tuned"] = tuned_settings(json.loads((repo / "models/tuned.json").read_text()))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--demo-years", type=int, help="years of demo data, ending in the same year (default demo.years)"
    )
    parser.add_argument("--backtest-years", type=int, help="backtest.years (default: as many as the data allows)")
    parser.add_argument("--training-years", default="1,2,3", help="comma-separated transform.training_years")
    parser.add_argument(
        "--families",
        default=",".join(DEFAULT_PAIRS),
        help="comma-separated tree:linear pairs (train_tree.model:train_linear.model); the first is also tuned",
    )
    parser.add_argument("--no-tune", action="store_true", help="no tuned configurations")
    parser.add_argument("--trials", type=int, help="tune.trials of the tuned configurations (default: params.yaml's)")
    parser.add_argument("--folds", type=int, help="tune.folds of the tuned configurations (default: params.yaml's)")
    parser.add_argument("--out", default="model_search.json", help="results file name in bench/results/")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a new temporary folder, removed)")
    args = parser.parse_args()
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    demo, lookback = params["demo"], params["transform"]["lookback_years"]
    training_years = [int(k) for k in args.training_years.split(",")]
    years = args.demo_years or demo["years"]
    first_year = demo["first_year"] + demo["years"] - years  # the same last year
    backtest_years = args.backtest_years or default_backtest_years(years, lookback, max(training_years))
    history = lookback + max(training_years) + backtest_years
    base = {"backtest.years": backtest_years, "extract.history_years": history}
    budget = {"trials": args.trials, "folds": args.folds}
    tune = None if args.no_tune else {key: value for key, value in budget.items() if value is not None}
    configs = grid(args.families.split(","), training_years, tune)
    work = args.work or Path(tempfile.mkdtemp(prefix="medcost-search-"))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}", "CI": "1"}
    env.pop("MEDCOST_SOURCE_URL", None)
    rows = []
    try:
        source = generate_source(work, env, "--first-year", str(first_year), "--years", str(years))
        clone("HEAD", work / "repo", source, env)
        shutil.copyfile(work / "truth.parquet", work / "repo/data/source/truth.parquet")
        for config in configs:
            rows.append(run_config(work / "repo", base, config, env))
            print(markdown(rows[-1:]).splitlines()[-1], flush=True)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    pipeline = Config(
        params["train_tree"]["model"], params["train_linear"]["model"], False, params["transform"]["training_years"]
    )  # what the default pipeline trains
    default = next((r for r in rows if r["name"] == pipeline.name and "backtest" in r), None)
    result: dict[str, Any] = {
        "commit": head.stdout.strip(),
        "demo": {**demo, "first_year": first_year, "years": years},
        "common_params": base,
        "tune_budget": None if tune is None else {k: params["tune"][k] for k in TUNE_KEYS} | tune,
        "configs": rows,
    }
    if any("backtest" in r for r in rows):
        best = result["best"] = best_model(rows)
        if default is not None:
            better = max(("tree", "linear"), key=lambda f: default["backtest"][f]["mean"]["r2"])
            gap = round(best["r2"] - default["backtest"][better]["mean"]["r2"], 6)
            result["default"] = {"config": default["name"], "better_family": better, "gap_to_best_r2": gap}
            result["default"]["within_0.01"] = gap <= 0.01
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(rows))
    if default is not None:
        print(f"\n{default['name']}, per year:\n\n{year_table(default)}")
    print(f"\nbest: {result.get('best')}\ndefault: {result.get('default')}  ({RESULTS / args.out})")


if __name__ == "__main__":
    main()
