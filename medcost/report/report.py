"""The pull-request report: what a change does to params, metrics and plots, against a git revision.

``make report`` (``python -m medcost.report --base main``) writes report.md and the images it
links; the CML workflow posts the same file as a pull-request comment. Everything comes from
DVC itself: ``dvc params diff``, ``dvc metrics diff`` and ``dvc plots diff`` (its Vega-Lite
plots rendered to PNG offline with vl-convert).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from medcost.core.entry import run_tool
from medcost.core.errors import MedcostError, one_line
from medcost.core.io import atomic_path

log = logging.getLogger(__name__)


def dvc(*args: str, cwd: Path = Path(".")) -> str:
    """Run a dvc command of this environment and return its stdout, or a one-line error."""
    executable = Path(sys.executable).with_name("dvc")
    command = [str(executable) if executable.exists() else "dvc", *args]
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        message = one_line(result.stderr or result.stdout)
        raise MedcostError(f"`dvc {' '.join(args)}` failed: {message}")
    return result.stdout


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()


def render_plots(plots: dict[str, list[dict[str, Any]]], out_dir: Path) -> list[tuple[str, Path]]:
    """Turn `dvc plots diff --json` output into PNG files: (title, path) per plot."""
    import vl_convert

    rendered: list[tuple[str, Path]] = []
    for plot_id, entries in sorted(plots.items()):
        for entry in entries:
            revisions = ", ".join(entry.get("revisions", []))
            if entry.get("type") == "vega":
                path = out_dir / f"{_slug(plot_id)}.png"
                path.write_bytes(vl_convert.vegalite_to_png(entry["content"], scale=1.5))
                title = entry["content"].get("title") or plot_id
                title = title.get("text", plot_id) if isinstance(title, dict) else title
                rendered.append((f"{title} ({revisions})", path))
            elif entry.get("type") == "image":
                source = Path(entry["url"])
                path = out_dir / f"{_slug(plot_id)}_{_slug(revisions)}{source.suffix}"
                shutil.copyfile(source, path)
                rendered.append((f"{plot_id} ({revisions})", path))
    return rendered


def build_report(base: str, out: Path, images: Path, repo: Path = Path(".")) -> str:
    """Write ``out`` (Markdown) and the images it links under ``images``; return the Markdown."""
    params = dvc("params", "diff", base, "--md", cwd=repo).strip()
    metrics = dvc("metrics", "diff", base, "--md", "--precision", "4", cwd=repo).strip()
    with atomic_path(images) as tmp_images:
        tmp_images.mkdir()
        scratch = tmp_images / ".dvc-plots"
        raw = json.loads(dvc("plots", "diff", base, "--json", "-o", str(scratch.resolve()), cwd=repo))
        plots = [(title, images / path.name) for title, path in render_plots(raw.get("data", {}), tmp_images)]
        shutil.rmtree(scratch, ignore_errors=True)
    errors = [f"{e.get('rev')}: {e.get('msg')}" for e in raw.get("errors", [])]

    lines = [
        f"# medcost: this change against `{base}`",
        "",
        "## Params",
        params or "No params changed.",
        "",
        "## Metrics",
        metrics or "No metric changed.",
        "",
        "## Plots",
        "Each plot shows both revisions (colour = revision).",
        "",
    ]
    for title, path in plots:
        link = Path(os.path.relpath(path.resolve(), out.resolve().parent)).as_posix()
        lines += [f"### {title}", f"![{title}]({link})", ""]
    if errors:
        lines += ["## Plot warnings", *[f"- {e}" for e in errors], ""]
    text = "\n".join(lines) + "\n"
    with atomic_path(out) as tmp:
        tmp.write_text(text)
    log.info("wrote %s with %d plot image(s) in %s", out, len(plots), images)
    return text


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m medcost.report [--base main] [--out report.md] [--images reports/report]``."""
    parser = argparse.ArgumentParser(prog="python -m medcost.report", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--base", default="main", help="git revision to compare with (default: main)")
    parser.add_argument("--out", default="report.md", help="Markdown file to write (default: report.md)")
    parser.add_argument("--images", default="reports/report", help="folder for the plot images")
    run_tool("report", parser, lambda args: build_report(args.base, Path(args.out), Path(args.images)), argv)
