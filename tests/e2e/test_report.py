"""`make report` in a temporary git repository: the test scores of models a change leaves unchanged, and the params diff."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from medcost.core.contracts import Evaluation, read_contract

pytestmark = pytest.mark.e2e

VENV = Path(sys.executable).parent.parent
MODELS = ("tree", "linear", "baseline")
METRICS = (("r2", 4), ("rmse", 1), ("mae", 1))


def cells(report: str, key: str) -> list[str]:
    line = next(line for line in report.splitlines() if line.startswith(f"| `{key}` "))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_the_report_shows_unchanged_scores_with_intervals_and_the_params_that_changed(repo):
    repo.dvc("repro")
    repo.run("git", "add", "-A")
    repo.run("git", "commit", "-q", "-m", "baseline run")
    base = repo.run("git", "rev-parse", "--short", "HEAD").stdout.strip()
    before = read_contract(repo.path / "metrics/evaluate.json", Evaluation)

    repo.set_param("evaluate.importance_rows", "500")  # reruns evaluate; the models and their scores stay
    repo.dvc("repro")
    repo.run("make", "--no-print-directory", "report", f"BASE={base}", f"VENV={VENV}")
    report = (repo.path / "report.md").read_text()
    after = read_contract(repo.path / "metrics/evaluate.json", Evaluation)

    for model in MODELS:
        for metric, decimals in METRICS:
            old = getattr(before.scores(model).test, metric)
            assert getattr(after.scores(model).test, metric) == old
            label, base_cell, head_cell, change = cells(report, f"{model}.test.{metric}")
            shown = f"{old:.{decimals}f}".replace("-0.0000", "0.0000")
            assert base_cell.startswith(shown) and head_cell.startswith(shown), (label, base_cell, head_cell)
            assert " [" in head_cell and head_cell.endswith("]")  # the bootstrap interval
            assert change == "0 (unchanged)"
    assert f"| Metric | `{base}` | head (workspace) | Change |" in report
    assert "| `evaluate.importance_rows` | 2000 | 500 |" in report
    assert "seconds" not in report  # no timing rows
    assert not [line for line in report.splitlines() if line.startswith("| `metrics/promotion.json`")]
    images = [line.split("](", 1)[1].rstrip(")") for line in report.splitlines() if line.startswith("![")]
    assert len(images) >= 5 and all((repo.path / image).read_bytes()[:4] == b"\x89PNG" for image in images)
