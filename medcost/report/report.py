"""The pull-request report: what a change does to test scores, params, other metrics and plots, against a git revision.

``make report`` (``python -m medcost.report --base main``) writes report.md and the images it
links; the CML workflow posts the same file as a pull-request comment. The headline table holds
R², RMSE and MAE (with their bootstrap intervals) of each model and the baseline for the base
and the head, changed or not, read from metrics/evaluate.json of both revisions (``git show``
for the base, the workspace for the head). Then the head's feature selection (every model input
with its scores, kept or dropped and why), the params that changed (``dvc params diff``),
the other metrics that changed (``dvc metrics diff``, without timings and without files git does
not track), and every plot of ``dvc plots diff`` rendered to PNG offline.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from medcost.core.catalog import Catalog
from medcost.core.entry import run_tool
from medcost.core.errors import MedcostError, one_line
from medcost.core.io import atomic_path
from medcost.core.params import EvaluateParams, read_params, section
from medcost.report.diffs import metrics_table, params_table
from medcost.report.plots import render_plots
from medcost.report.scores import Scores, covered_keys, parse_scores, rows_note, score_table
from medcost.report.selection import read_selection, selection_markdown

log = logging.getLogger(__name__)

HEAD_LABEL = "head (workspace)"


def dvc(*args: str, cwd: Path = Path(".")) -> str:
    """Run a dvc command of this environment and return its stdout, or a one-line error."""
    executable = Path(sys.executable).with_name("dvc")
    command = [str(executable) if executable.exists() else "dvc", *args]
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        message = one_line(result.stderr or result.stdout)
        raise MedcostError(f"`dvc {' '.join(args)}` failed: {message}")
    return result.stdout


def _git(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)


def check_revision(rev: str, repo: Path) -> None:
    """A one-line error unless ``rev`` names a commit of the repository at ``repo``."""
    if _git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", cwd=repo).returncode != 0:
        raise MedcostError(f"'{rev}' is not a git revision of {repo.resolve().name} (try --base main)")


def file_at(rev: str, path: Path, repo: Path) -> str | None:
    """The text of ``path`` (relative to the repository) at ``rev``, or None when that revision has no such file."""
    result = _git("show", f"{rev}:{path.as_posix()}", cwd=repo)
    return result.stdout if result.returncode == 0 else None


def untracked(paths: Collection[str], repo: Path) -> set[str]:
    """Those of ``paths`` that git does not track (cached or ignored outputs)."""
    if not paths:
        return set()
    tracked = _git("ls-files", "--", *paths, cwd=repo).stdout.splitlines()
    return set(paths) - set(tracked)


def _relative(path: Path, repo: Path) -> Path:
    return path.resolve().relative_to(repo.resolve()) if path.is_absolute() else path


def read_scores(base: str, repo: Path, catalog: Catalog) -> tuple[Scores | None, Scores | None]:
    """The test scores of the base revision and of the workspace (None where there is no evaluate.json)."""
    path = _relative(catalog.evaluation, repo)
    old = file_at(base, path, repo)
    head_file = repo / path
    new = head_file.read_text() if head_file.exists() else None
    if old is None:
        log.warning("%s: not in %s; the base column stays empty", path, base)
    if new is None:
        log.warning("%s: not in the workspace (run the pipeline first); the head column stays empty", path)
    return (
        None if old is None else parse_scores(old, f"{base}:{path}"),
        None if new is None else parse_scores(new, str(path)),
    )


def _plots(base: str, out: Path, images: Path, repo: Path) -> tuple[list[str], list[str]]:
    """Markdown lines of the plot images, and the plot warnings DVC gave."""
    with atomic_path(images) as tmp_images:
        tmp_images.mkdir()
        scratch = tmp_images / ".dvc-plots"
        raw: dict[str, Any] = json.loads(dvc("plots", "diff", base, "--json", "-o", str(scratch.resolve()), cwd=repo))
        plots = [(title, images / path.name) for title, path in render_plots(raw.get("data", {}), tmp_images)]
        shutil.rmtree(scratch, ignore_errors=True)
    lines = []
    for title, path in plots:
        link = Path(os.path.relpath(path.resolve(), out.resolve().parent)).as_posix()
        lines += [f"### {title}", f"![{title}]({link})", ""]
    errors = [f"{e.get('rev')}: {e.get('msg')}" for e in raw.get("errors", [])]
    log.info("rendered %d plot image(s) in %s", len(plots), images)
    return lines, errors


def build_report(base: str, out: Path, images: Path, repo: Path = Path(".")) -> str:
    """Write ``out`` (Markdown) and the images it links under ``images``; return the Markdown."""
    check_revision(base, repo)
    params = read_params(repo / "params.yaml")
    catalog = Catalog.from_params(params)
    interval = section(params, "evaluate", EvaluateParams).interval
    base_label = f"`{base}`"
    old, new = read_scores(base, repo, catalog)
    evaluation = _relative(catalog.evaluation, repo).as_posix()

    params_diff = json.loads(dvc("params", "diff", base, "--json", cwd=repo) or "{}")
    metrics_diff = json.loads(dvc("metrics", "diff", base, "--all", "--json", cwd=repo) or "{}")
    params_lines = params_table(params_diff, base_label, HEAD_LABEL)
    skipped = untracked(list(metrics_diff), repo)
    metrics_lines = metrics_table(
        metrics_diff, base_label, HEAD_LABEL, shown={evaluation: covered_keys()}, untracked=skipped
    )
    plot_lines, errors = _plots(base, out, images, repo)

    note = rows_note(old, new)
    left_out = f", and metric files git does not track ({', '.join(sorted(skipped))})" if skipped else ""
    lines = [
        f"# medcost: this change against `{base}`",
        "",
        "## Test scores",
        f"R², RMSE and MAE on the test set of each model and the mean-cost baseline; in brackets the "
        f"{interval:.0%} bootstrap interval (resampling test rows) where the revision has one. "
        "Change = head − base.",
        "",
        *score_table(old, new, base_label, HEAD_LABEL),
        "",
        *([note, ""] if note else []),
        "## Feature selection",
        "The model inputs of the head, scored on the training rows against the scoring snapshot (select stage); "
        "the models train on the kept ones.",
        "",
        *selection_markdown(read_selection(repo / _relative(catalog.selection, repo))),
        "",
        "## Params",
        *(params_lines or ["No params changed."]),
        "",
        "## Other metrics",
        *(metrics_lines or ["No other metric changed."]),
        "",
        f"Not compared: timings{left_out}.",
        "",
        "## Plots",
        "Each chart overlays both revisions, one colour each (see its legend); where they coincide both stay "
        "visible (small rings inside large ones, a thin line over a wide one). Dashed: the diagonal of a "
        "perfect prediction, or zero residual.",
        "",
        *plot_lines,
    ]
    if errors:
        lines += ["## Plot warnings", *[f"- {e}" for e in errors], ""]
    text = "\n".join(lines) + "\n"
    with atomic_path(out) as tmp:
        tmp.write_text(text)
    log.info("wrote %s", out)
    return text


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m medcost.report [--base main] [--out report.md] [--images reports/report]``."""
    parser = argparse.ArgumentParser(prog="python -m medcost.report", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--base", default="main", help="git revision to compare with (default: main)")
    parser.add_argument("--out", default="report.md", help="Markdown file to write (default: report.md)")
    parser.add_argument("--images", default="reports/report", help="folder for the plot images")
    run_tool("report", parser, lambda args: build_report(args.base, Path(args.out), Path(args.images)), argv)
