"""The reports' entry page, reports/index.html: data quality, evaluation plots, drift, backtest, the registry.

``make pages`` (``python -m medcost.report.pages``; ``make run`` ends with it) writes, under
``paths.reports``:

- ``plots/index.html``: ``dvc plots show`` with the offline template (``plots.html_template``);
- ``registry.html``: the registered model's versions and aliases, read from the MLflow store;
- ``selection.html``: the model inputs select kept and dropped, with their scores and reasons;
- ``index.html``: one link per report with its verdict (the Data Docs, the plots, ``drift.html``,
  the feature selection, ``backtest.html`` when a stage wrote one, the registry), or "not built yet".

A tool, not a DVC stage: the registry lives outside DVC (a rollback moves aliases without
touching any DVC dependency, so a stage would show a stale champion), and ``dvc plots show``
cannot run inside ``dvc repro``. The pages are views of outputs already there, untracked
(``/reports/`` is ignored), and carry no clock time or absolute path.
"""

from __future__ import annotations

import argparse
import html
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medcost.core.catalog import MODEL_NAMES, Catalog
from medcost.core.contracts import DriftSummary, Evaluation, QualityVerdict, ValidationReport, read_contract
from medcost.core.entry import add_params_argument, run_tool
from medcost.core.errors import MedcostError
from medcost.core.io import atomic_path
from medcost.core.params import PromoteParams, read_params, section
from medcost.promote import mlflow_session, registry_lock, shown_uri, status, tracking_uri
from medcost.registry.table import COLUMNS, status_rows
from medcost.report.report import dvc
from medcost.report.selection import read_selection, selection_html

log = logging.getLogger(__name__)

INDEX = "index.html"
PLOTS = "plots"  # folder: dvc plots show writes index.html and static/ there
REGISTRY = "registry.html"
SELECTION = "selection.html"
BACKTEST = "backtest.html"
"""File names under ``paths.reports``; a backtest stage writing ``backtest.html`` there gets linked."""

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto; max-width: 60rem;
       padding: 0 1.5rem; color: #212529; line-height: 1.5; }
h1 { font-size: 1.7rem; } h2 { font-size: 1.15rem; margin: 0 0 .3rem; }
.card { border: 1px solid #dee2e6; border-radius: .5rem; padding: 1rem 1.2rem; margin: 1rem 0; }
.card.missing { background: #f8f9fa; color: #6c757d; }
.badge { display: inline-block; padding: .05rem .5rem; border-radius: .3rem; color: #fff; font-size: .85rem;
         font-weight: 600; vertical-align: middle; }
.passed { background: #28a745; } .failed { background: #dc3545; } .info { background: #6c757d; }
a { color: #0062cc; text-decoration: none; } a:hover { text-decoration: underline; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .4rem .6rem;
        border-bottom: 1px solid #dee2e6; } th { background: #f1f3f5; }
code { background: #f1f3f5; padding: 0 .25rem; border-radius: .2rem; }
.note { color: #6c757d; font-size: .9rem; }
"""


@dataclass(frozen=True)
class Entry:
    """One report on the entry page: its title, file, a one-line summary and a verdict badge (None: no badge)."""

    title: str
    path: Path
    summary: str
    passed: bool | None = None
    optional: bool = False  # left off the page when it does not exist (the backtest)


def page(title: str, body: str) -> str:
    """A self-contained HTML page: inline CSS, no script, nothing fetched."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _badge(passed: bool | None) -> str:
    if passed is None:
        return ""
    return f' <span class="badge {"passed" if passed else "failed"}">{"passed" if passed else "failed"}</span>'


def _read(path: Path, model: Any) -> Any:
    return read_contract(path, model) if path.is_file() else None


def entries(catalog: Catalog, root: Path, registry: dict[str, Any] | None = None) -> list[Entry]:
    """The reports the entry page links, with what the metrics files and the registry ``status`` say."""
    validation = _read(root / catalog.validation_report, ValidationReport)
    evaluation = _read(root / catalog.evaluation, Evaluation)
    quality = _read(root / catalog.quality_verdict, QualityVerdict)
    drift = _read(root / catalog.drift_summary, DriftSummary)
    models = evaluation.models if evaluation else {}
    order = [name for name in (*MODEL_NAMES, "baseline", "oracle") if name in models]
    scores = ", ".join(f"{name} R² {models[name].test.r2:.3f}" for name in order if models[name].test.r2 is not None)
    names = sorted((registry or {}).get("aliases", {}).items())
    aliases = (": " + ", ".join(f"{alias} = version {version}" for alias, version in names)) if names else ""
    failed = f" (beyond the limits: {', '.join(drift.verdict.failed)})" if drift and drift.verdict.failed else ""
    selection = read_selection(root / catalog.selection)
    dropped = f" (dropped: {', '.join(selection.dropped)})" if selection and selection.dropped else ""
    return [
        Entry(
            "Data quality",
            root / catalog.data_docs / "index.html",
            "Great Expectations Data Docs: every suite's expectations and validation results.",
            validation.success if validation else None,
        ),
        Entry(
            "Evaluation plots",
            root / catalog.reports / PLOTS / "index.html",
            f"Predicted vs actual, residuals, cost by decile and feature importance on the test set; "
            f"the badge is the quality gates. {scores}".strip(),
            quality.passed if quality else None,
        ),
        Entry(
            "Drift",
            root / catalog.drift_report,
            f"Training features vs the scoring snapshot, predictions and label (deepchecks, PSI){failed}.",
            drift.verdict.passed if drift else None,
        ),
        Entry(
            "Feature selection",
            root / catalog.reports / SELECTION,
            f"Model inputs kept and dropped by their drift (std shift, PSI) and information{dropped}.",
        ),
        Entry("Backtest", root / catalog.reports / BACKTEST, "Metrics at earlier cutoffs.", optional=True),
        Entry(
            "Model registry", root / catalog.reports / REGISTRY, f"Registered versions, aliases and lifecycle{aliases}."
        ),
    ]


def index_page(items: list[Entry], reports: Path) -> str:
    """The entry page: one card per report, linked relative to ``reports`` (the folder of index.html)."""
    cards = []
    for item in items:
        if not item.path.is_file():
            if item.optional:
                continue
            cards.append(
                f'<div class="card missing"><h2>{html.escape(item.title)}</h2>'
                f"<p>Not built yet: run <code>make run</code> (or <code>make pages</code> after "
                f"<code>dvc repro</code>).</p></div>"
            )
            continue
        link = Path(os.path.relpath(item.path, reports)).as_posix()
        cards.append(
            f'<div class="card"><h2><a href="{html.escape(link)}">{html.escape(item.title)}</a>{_badge(item.passed)}</h2>'
            f"<p>{html.escape(item.summary)}</p></div>"
        )
    body = (
        "<h1>medcost reports</h1>\n"
        '<p class="note">Every page opens offline. Rebuilt by <code>make pages</code> (<code>make run</code> ends '
        "with it).</p>\n" + "\n".join(cards)
    )
    return page("medcost reports", body)


def registry_page(state: dict[str, Any] | None, store: str) -> str:
    """The registered model's versions (newest first) with aliases, lifecycle, test RMSE and lineage."""
    if state is None or not state["versions"]:
        body = f"<p>No registered model yet in <code>{html.escape(store)}</code>: promote registers one.</p>"
    else:
        rows = [
            "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in cells) + "</tr>"
            for cells in status_rows(state)
        ]
        aliases = ", ".join(f"{a} → version {n}" for a, n in sorted(state["aliases"].items()))
        body = (
            f"<p>Aliases: {html.escape(aliases or 'none')}. Store: <code>{html.escape(store)}</code>.</p>\n"
            "<table><thead><tr>" + "".join(f"<th>{html.escape(column)}</th>" for column in COLUMNS) + "</tr></thead>\n"
            "<tbody>" + "\n".join(rows) + "</tbody></table>"
        )
    name = state["model_name"] if state else "medcost"
    back = f'<p class="note"><a href="{INDEX}">All reports</a></p>'
    return page(
        f"{name}: model registry", f"{back}\n<h1>Registered model <code>{html.escape(name)}</code></h1>\n{body}"
    )


def read_registry(model_name: str, uri: str) -> dict[str, Any] | None:
    """The registry status, or None when the embedded store does not exist yet (nothing is created)."""
    if uri.startswith("sqlite:///") and not Path(uri.split(":///", 1)[1]).is_file():
        return None
    with registry_lock(uri), mlflow_session(uri) as client:
        return status(client, model_name)


def write_plots_page(root: Path, out: Path) -> None:
    """``dvc plots show`` into ``out``, with the offline template that ``plots.html_template`` names."""
    with atomic_path(out) as tmp:
        dvc("plots", "show", "-o", str(tmp.resolve()), cwd=root)
        text = (tmp / "index.html").read_text(encoding="utf-8")
        if '<script src="http' in text:
            raise MedcostError(
                "dvc plots show used a template that loads scripts from the network: "
                "set plots.html_template in .dvc/config (plots/offline.html)"
            )


def build_pages(root: Path = Path("."), params_file: str = "params.yaml") -> Path:
    """Write the plots page, the registry page and the entry page; return the entry page's path."""
    params = read_params(root / params_file)
    catalog = Catalog.from_params(params)
    reports = root / catalog.reports
    reports.mkdir(parents=True, exist_ok=True)
    if (root / catalog.evaluate_plots).is_dir():
        write_plots_page(root, reports / PLOTS)
    selection = read_selection(root / catalog.selection)
    if selection is not None:
        back = f'<p class="note"><a href="{INDEX}">All reports</a></p>'
        with atomic_path(reports / SELECTION) as tmp:
            tmp.write_text(
                page("medcost: feature selection", f"{back}\n<h1>Feature selection</h1>\n{selection_html(selection)}"),
                encoding="utf-8",
            )
    uri = tracking_uri()
    state = read_registry(section(params, "promote", PromoteParams).model_name, uri)
    with atomic_path(reports / REGISTRY) as tmp:
        tmp.write_text(registry_page(state, shown_uri(uri, root.resolve())), encoding="utf-8")
    index = reports / INDEX
    with atomic_path(index) as tmp:
        tmp.write_text(index_page(entries(catalog, root, state), reports), encoding="utf-8")
    log.info("reports: open %s", index)
    return index


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m medcost.report.pages [--params params.yaml]``."""
    parser = argparse.ArgumentParser(prog="python -m medcost.report.pages", description=(__doc__ or "").splitlines()[0])
    add_params_argument(parser)
    run_tool("pages", parser, lambda args: build_pages(Path("."), args.params), argv)


if __name__ == "__main__":
    main()
