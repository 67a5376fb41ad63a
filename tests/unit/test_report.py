"""The pull-request report's tables (test scores of two revisions, params, other metrics) and its plot templates under real dvc."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from medcost.core.contracts import Evaluation, EvaluationData, HoldoutScores, ModelScores, TrainScores
from medcost.core.errors import MedcostError
from medcost.report import is_volatile, metrics_table, params_table, parse_scores, score_table
from medcost.report.report import check_revision, file_at, untracked
from medcost.report.scores import covered_keys, from_evaluation, rows_note
from tests.workflow_support import linted_workflow, step_index

ROOT = Path(__file__).resolve().parents[2]
DVC = Path(sys.executable).with_name("dvc")


def holdout(r2: float, rmse: float, mae: float, *, intervals: bool) -> HoldoutScores:
    scores = HoldoutScores(r2=r2, mse=rmse**2, rmse=rmse, mae=mae, total_ratio=1.0, top_decile_share=0.4)
    if not intervals:
        return scores
    return scores.model_copy(
        update={
            "r2_low": r2 - 0.03,
            "r2_high": r2 + 0.03,
            "rmse_low": rmse - 400,
            "rmse_high": rmse + 400,
            "mae_low": mae - 100,
            "mae_high": mae + 100,
        }
    )


def evaluation(tree_rmse: float, *, intervals: bool, test_rows: int = 2917) -> Evaluation:
    def model(r2: float, rmse: float, mae: float) -> ModelScores:
        return ModelScores(test=holdout(r2, rmse, mae, intervals=intervals), train=TrainScores(r2=r2, rmse=rmse))

    return Evaluation(
        models={
            "tree": model(0.2467, tree_rmse, 5653.67),
            "linear": model(0.25619, 14224.4, 5698.35),
            "baseline": model(-3.5312e-05, 16493.4, 7348.49),
            "oracle": ModelScores(test=holdout(0.4338, 12410.5, 4745.6, intervals=False)),
        },
        data=EvaluationData(
            train_rows=11664, test_rows=test_rows, test_total_cost=1.7e7, perfect_top_decile_share=0.65
        ),
    )


def row(lines: list[str], key: str) -> list[str]:
    line = next(line for line in lines if f"`{key}`" in line)
    return [cell.strip() for cell in line.strip("|").split("|")]


# ------------------------------------------------------------------ the test-score table


def test_the_score_table_has_every_model_and_metric_with_base_head_and_change_even_when_unchanged():
    lines = score_table(evaluation(14314.6, intervals=True), evaluation(14314.6, intervals=True), "`main`", "head")
    assert lines[0] == "| Metric | `main` | head | Change |"
    keys = [f"{m}.test.{k}" for m in ("tree", "linear", "baseline") for k in ("r2", "rmse", "mae")]
    assert [row(lines, key)[0].split(" ")[0] for key in keys] == [f"`{key}`" for key in keys]
    assert len(lines) == 2 + 9 and not any("oracle" in line for line in lines)
    assert row(lines, "tree.test.r2") == [
        "`tree.test.r2` (R²)",
        "0.2467 [0.2167, 0.2767]",
        "0.2467 [0.2167, 0.2767]",
        "0 (unchanged)",
    ]
    assert row(lines, "linear.test.rmse")[1:] == ["14224.4 [13824.4, 14624.4]"] * 2 + ["0 (unchanged)"]
    assert row(lines, "baseline.test.r2")[1] == "0.0000 [-0.0300, 0.0300]"  # -0.00004, not "-0.0000"


def test_a_change_is_signed_with_its_relative_size_and_a_base_without_intervals_shows_bare_values():
    lines = score_table(evaluation(14314.6, intervals=False), evaluation(14224.4, intervals=True), "`main`", "head")
    assert row(lines, "tree.test.rmse")[1:] == ["14314.6", "14224.4 [13824.4, 14624.4]", "-90.2 (-0.6%)"]
    assert row(lines, "tree.test.r2")[1:] == ["0.2467", "0.2467 [0.2167, 0.2767]", "0 (unchanged)"]


def test_a_revision_without_an_evaluation_or_a_model_shows_dashes():
    head = evaluation(14314.6, intervals=True)
    without_linear = head.model_copy(update={"models": {k: v for k, v in head.models.items() if k != "linear"}})
    lines = score_table(None, without_linear, "`main`", "head")
    assert row(lines, "tree.test.mae")[1:] == ["—", "5653.7 [5553.7, 5753.7]", "—"]
    assert row(lines, "linear.test.r2")[1:] == ["—", "—", "—"]


def test_scores_are_read_through_the_contract_and_an_older_layout_leniently():
    current = evaluation(14314.6, intervals=True)
    scores = parse_scores(current.model_dump_json(), "metrics/evaluate.json")
    assert scores == from_evaluation(current) and scores.models["tree"]["rmse_low"] == pytest.approx(13914.6)
    # an older file (broken on purpose: no data section, an extra key) still gives its numbers
    older = {"tree": {"test": {"r2": 0.2, "rmse": 15000.0, "mae": 6000.0, "legacy": True}}, "extra": 1}
    lenient = parse_scores(json.dumps(older), "main:metrics/evaluate.json")
    assert lenient is not None and lenient.models == {"tree": {"r2": 0.2, "rmse": 15000.0, "mae": 6000.0}}
    assert row(score_table(lenient, current, "b", "h"), "tree.test.rmse")[1:] == [
        "15000.0",
        "14314.6 [13914.6, 14714.6]",
        "-685.4 (-4.6%)",
    ]
    assert parse_scores("{not json", "x") is None and parse_scores("[]", "x") is None


def test_a_changed_test_set_is_said_and_the_covered_keys_include_the_intervals():
    base, head = (
        from_evaluation(evaluation(1.0, intervals=False)),
        from_evaluation(evaluation(1.0, intervals=False, test_rows=3001)),
    )
    assert rows_note(base, base) is None
    assert (
        rows_note(base, head)
        == "The test set changed (2,917 → 3,001 rows): the two revisions are not scored on the same rows."
    )
    assert {"tree.test.rmse", "baseline.test.mae_high", "linear.test.r2_low"} <= covered_keys()
    assert "oracle.test.rmse" not in covered_keys() and "tree.test.mse" not in covered_keys()


# ------------------------------------------------------------------ params and other metrics


def test_params_table_lists_only_changed_params_and_nothing_when_none_changed():
    diff: dict[str, dict[str, dict[str, Any]]] = {
        "params.yaml": {
            "train_linear.alpha": {"old": 1.0, "new": 25.0, "diff": 24.0},
            "train_tree.max_depth": {"old": None, "new": None},
        }
    }
    lines = params_table(diff, "`main`", "head")
    assert lines == ["| Param | `main` | head |", "|---|---|---|", "| `train_linear.alpha` | 1.0 | 25.0 |"]
    assert params_table({"params.yaml": {"train_tree.max_depth": {"old": None, "new": None}}}, "b", "h") == []
    assert params_table({}, "b", "h") == []


def test_metrics_table_drops_timings_untracked_files_shown_and_unchanged_rows():
    diff: dict[str, dict[str, dict[str, Any]]] = {
        "metrics/extract.json": {
            "tables.claims.seconds": {"old": 1.9, "new": None},
            "tables.claims.rows": {"old": 377275, "new": 377300, "diff": 25},
        },
        "metrics/promotion.json": {"candidate": {"old": None, "new": "linear"}},
        "metrics/evaluate.json": {
            "tree.test.rmse": {"old": 14314.6, "new": 14224.4, "diff": -90.2},
            "oracle.test.rmse": {"old": 12410.5, "new": 12400.0, "diff": -10.5},
            "linear.test.r2": {"old": 0.25, "new": 0.25, "diff": 0.0},
        },
    }
    lines = metrics_table(
        diff,
        "`main`",
        "head",
        shown={"metrics/evaluate.json": covered_keys()},
        untracked={"metrics/promotion.json"},
    )
    assert lines[2:] == [
        "| `metrics/evaluate.json` | `oracle.test.rmse` | 12410.5 | 12400.0 | -10.5 |",
        "| `metrics/extract.json` | `tables.claims.rows` | 377275 | 377300 | +25 |",
    ]
    assert (
        metrics_table({"metrics/extract.json": {"seconds": {"old": 1.0, "new": 2.0}}}, "b", "h", shown={}, untracked=())
        == []
    )


@pytest.mark.parametrize(
    ("key", "volatile"),
    [("tables.claims.seconds", True), ("extract_seconds", True), ("started_at", True), ("tables.claims.rows", False)],
)
def test_timing_keys_are_recognised(key, volatile):
    assert is_volatile(key) is volatile


# ------------------------------------------------------------------ git revisions


def test_revisions_and_files_at_a_revision_come_from_git(tmp_path):
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics/evaluate.json").write_text("{}\n")
    (tmp_path / "metrics/promotion.json").write_text("{}\n")
    git("add", "metrics/evaluate.json")
    git("-c", "user.name=t", "-c", "user.email=t@t.invalid", "commit", "-q", "-m", "one")
    check_revision("main", tmp_path)
    with pytest.raises(MedcostError, match=r"^'nope' is not a git revision of .* \(try --base main\)$"):
        check_revision("nope", tmp_path)
    assert file_at("main", Path("metrics/evaluate.json"), tmp_path) == "{}\n"
    assert file_at("main", Path("metrics/quality.json"), tmp_path) is None
    assert untracked(["metrics/evaluate.json", "metrics/promotion.json"], tmp_path) == {"metrics/promotion.json"}


# ------------------------------------------------------------------ the plot templates, filled by dvc itself


def write_plot_data(folder: Path, shift: float) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    actual = [2.0, 3.0, 4.0, 5.0]
    rows = [f"{a},{a + shift:.4f},{a - 0.1:.4f}" for a in actual]
    (folder / "predicted_vs_actual.csv").write_text("actual,tree,linear\n" + "\n".join(rows) + "\n")
    for model in ("tree", "linear"):
        lines = [f"{a + shift:.4f},{(a - shift) * 100:.2f}" for a in actual]
        (folder / f"residuals_{model}.csv").write_text("predicted,residual\n" + "\n".join(lines) + "\n")
    deciles = [f"{d},{d * 100},{d * 100 + shift * 50},{d * 100},{d * 90}" for d in range(1, 4)]
    (folder / "deciles.csv").write_text(
        "decile,tree_actual,tree_predicted,linear_actual,linear_predicted\n" + "\n".join(deciles) + "\n"
    )


@pytest.fixture(scope="module")
def plots_diff(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """`dvc plots diff HEAD --json` in a repository with this project's dvc.yaml, params.yaml and templates."""
    path = tmp_path_factory.mktemp("plots")
    for name in ("dvc.yaml", "params.yaml"):
        shutil.copy2(ROOT / name, path / name)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t.invalid", "GIT_COMMITTER_NAME": "t"}
    env |= {"GIT_COMMITTER_EMAIL": "t@t.invalid", "DVC_NO_ANALYTICS": "1"}

    def run(*cmd: str) -> str:
        result = subprocess.run(cmd, cwd=path, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    run("git", "init", "-q", "-b", "main")
    run(str(DVC), "init", "-q")
    shutil.copytree(ROOT / ".dvc/plots", path / ".dvc/plots")
    write_plot_data(path / "plots/evaluate", shift=0.0)
    run("git", "add", "-A")
    run("git", "commit", "-q", "-m", "base")
    write_plot_data(path / "plots/evaluate", shift=0.3)
    return json.loads(run(str(DVC), "plots", "diff", "HEAD", "--json", "-o", str(path / "out")))


def layers(spec: dict) -> list[dict]:
    inner = spec.get("spec", spec)
    return inner.get("layer", [inner])


@pytest.mark.parametrize("plot_id", ["predicted_vs_actual", "residuals", "cost_by_predicted_decile"])
def test_each_templated_plot_tells_the_two_revisions_apart_and_renders(plots_diff, plot_id):
    import vl_convert

    (entry,) = plots_diff["data"][plot_id]
    spec = entry["content"]
    assert set(entry["revisions"]) == {"workspace", "HEAD"}
    assert {point["rev"] for point in spec["data"]["values"]} == {"workspace", "HEAD"}
    colour = layers(spec)[0]["encoding"]["color"]
    assert colour["field"] == "rev" and set(colour["scale"]["domain"]) == {"workspace", "HEAD"}
    assert "facet" in spec and spec["facet"]["column"]["field"] == "model"  # one panel per model
    assert "<DVC_METRIC" not in json.dumps(spec)  # every anchor filled
    assert vl_convert.vegalite_to_png(spec)[:4] == b"\x89PNG"


def test_predicted_vs_actual_has_the_diagonal_and_revisions_as_rings_of_two_sizes(plots_diff):
    (entry,) = plots_diff["data"]["predicted_vs_actual"]
    points, diagonal = layers(entry["content"])
    assert 0 < points["mark"]["opacity"] < 1 and points["encoding"]["size"]["field"] == "rev"  # rings of two sizes
    encoding = diagonal["encoding"]
    assert diagonal["mark"]["type"] == "rule"
    assert {encoding[c]["field"] for c in ("x", "y", "x2", "y2")} == {"actual"}  # from (min, min) to (max, max)
    assert (encoding["x"]["aggregate"], encoding["y"]["aggregate"]) == ("min", "min")
    assert (encoding["x2"]["aggregate"], encoding["y2"]["aggregate"]) == ("max", "max")


# ------------------------------------------------------------------ the CML workflow


def test_the_cml_workflow_is_valid_compares_with_the_base_branch_and_keeps_the_report():
    spec = linted_workflow("cml.yaml")
    assert "pull_request" in spec["on"]
    assert spec["permissions"]["pull-requests"] == "write"
    steps = spec["jobs"]["report"]["steps"]
    assert any(step.get("with", {}).get("python-version") == "3.11" for step in steps)
    checkout = steps[step_index(steps, uses="actions/checkout@")]
    assert checkout["with"]["fetch-depth"] == 0  # the base revision's metrics and plot data are read from git
    report = step_index(steps, run="make report")
    assert steps[report]["run"] == "make report BASE=origin/${{ github.base_ref }}"
    assert step_index(steps, run="make run") < report
    comment = step_index(steps, run="cml comment create --publish report.md")
    artifact = step_index(steps, uses="actions/upload-artifact@")
    assert report < artifact < comment and "report.md" in steps[artifact]["with"]["path"]
