"""`dvc exp run -S` in a temporary git repository: params.yaml keeps its text, experiments do not chain, `make exps`.

After `dvc exp run -S train_tree.max_iter=300`, params.yaml is the committed text with that one
value changed (compared as text). A queued experiment starts from the committed baseline, not
from the previous experiment, and leaves the workspace alone; `make exps` then lists both
with their changed params and both models' test R²/RMSE in under 160 columns.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

VENV = Path(sys.executable).parent.parent
MAX_ITER = ("  max_iter: 100             #", "  max_iter: 300             #")  # train_tree's line, before and after
ALPHA = ("  alpha: 1.0                #", "  alpha: 2.0                #")  # train_linear's


@pytest.fixture(scope="module")
def committed(repo):
    """The pipeline up to evaluate, run once and committed: the baseline of the experiments."""
    repo.dvc("repro", "evaluate")
    repo.run("git", "add", "-A")
    repo.run("git", "commit", "-q", "-m", "baseline run")
    return repo


def with_line(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} is not one line of params.yaml"
    return text.replace(old, new)


def run_queue(repo, name: str, env: dict[str, str] | None = None) -> str:
    """Start a queue worker with ``env``, wait until experiment ``name`` ran and the worker left; its status line."""
    repo.dvc("queue", "start", env=env)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        status = repo.dvc("queue", "status").stdout
        if "Queued" not in status and "Running" not in status:
            break
        time.sleep(3)
    repo.dvc("queue", "stop")  # the next experiment gets a worker of its own environment
    while "0 active, 0 idle" not in repo.dvc("queue", "status").stdout and time.monotonic() < deadline:
        time.sleep(1)
    line = next(row for row in status.splitlines() if f" {name} " in f"{row} ")
    assert "Success" in line, status + repo.dvc("queue", "logs", name, check=False).stdout
    return line


def experiment_revs(repo) -> dict[str, str]:
    """Experiment name -> its commit, from `dvc exp show --json`."""
    revs: dict[str, str] = {}
    for baseline in json.loads(repo.dvc("exp", "show", "--json").stdout):
        for experiment in baseline.get("experiments") or []:
            for rev in experiment.get("revs") or []:
                revs[rev.get("name") or experiment.get("name")] = rev["rev"]
    return revs


def test_set_param_changes_one_value_and_queued_experiments_start_from_the_baseline(committed):
    repo = committed
    text = (repo.path / "params.yaml").read_text()

    # in the workspace: params.yaml is the committed text with that one value changed
    repo.dvc("exp", "run", "-n", "iter-300", "-S", "train_tree.max_iter=300", "evaluate")
    assert (repo.path / "params.yaml").read_text() == with_line(text, *MAX_ITER)

    # back to the baseline, then a queued variation: built from the commit, not from iter-300
    repo.run("git", "checkout", "--", ".")
    repo.dvc("checkout", "--with-deps", "evaluate")  # the stages this module ran
    repo.dvc("exp", "run", "--queue", "-n", "alpha-2", "-S", "train_linear.alpha=2.0", "evaluate")
    assert (repo.path / "params.yaml").read_text() == text  # queueing leaves the workspace alone
    run_queue(repo, "alpha-2")

    revs = experiment_revs(repo)
    assert {"iter-300", "alpha-2"} <= set(revs), revs
    shown = {name: repo.run("git", "show", f"{revs[name]}:params.yaml").stdout for name in ("iter-300", "alpha-2")}
    assert shown["iter-300"] == with_line(text, *MAX_ITER)
    assert shown["alpha-2"] == with_line(text, *ALPHA)  # max_iter is still 100: the experiments do not chain
    assert (repo.path / "params.yaml").read_text() == text

    # make exps: both, side by side, with their changed params and scores, under 160 columns
    table = repo.run("make", "--no-print-directory", "-s", "exps", f"VENV={VENV}").stdout
    lines = table.splitlines()
    assert lines and all(len(line) < 160 for line in lines), max(lines, key=len)
    rows = {line.split()[0]: line for line in lines[1:] if line.strip()}
    assert "train_tree.max_iter=300" in rows["iter-300"] and "alpha" not in rows["iter-300"]
    assert "train_linear.alpha=2.0" in rows["alpha-2"] and "max_iter" not in rows["alpha-2"]
    metrics = {
        name: json.loads(repo.run("git", "show", f"{rev}:metrics/evaluate.json").stdout)
        for name, rev in revs.items()
        if name in ("iter-300", "alpha-2")
    }
    for name, evaluation in metrics.items():
        cells = rows[name].split()[-4:]
        expected = [
            f"{evaluation[model]['test'][key]:,.{digits}f}"
            for model in ("tree", "linear")
            for key, digits in (("r2", 4), ("rmse", 1))
        ]
        assert cells == expected, rows[name]
    # each changed only its own model: the other model's scores are the baseline's
    baseline = json.loads((repo.path / "metrics/evaluate.json").read_text())
    assert metrics["alpha-2"]["tree"]["test"] == baseline["tree"]["test"]
    assert metrics["iter-300"]["linear"]["test"] == baseline["linear"]["test"]
    assert metrics["iter-300"]["tree"]["test"]["rmse"] != baseline["tree"]["test"]["rmse"]


def test_a_queued_experiment_finds_the_demo_database_at_its_default_path(committed, small_source):
    """`make run`'s setup: no MEDCOST_SOURCE_URL, the demo database untracked in data/source (not in the queue's copy)."""
    repo = committed
    (repo.path / "data/source").mkdir(parents=True, exist_ok=True)
    shutil.copy2(small_source["path"], repo.path / "data/source/demo.db")
    env = {"MEDCOST_SOURCE_URL": ""}  # empty: unset for the stages
    repo.dvc("exp", "run", "--queue", "-n", "demo-source", "-S", "train_tree.learning_rate=0.1", "evaluate", env=env)
    run_queue(repo, "demo-source", env)
