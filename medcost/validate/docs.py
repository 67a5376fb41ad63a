"""The Data Docs: Great Expectations' HTML pages of the suites and results, with a plain summary on top, and their check."""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path
from typing import Any

from medcost.core.contracts import ValidationReport
from medcost.core.errors import summarise
from medcost.core.io import atomic_path
from medcost.core.stable_html import stable_ids
from medcost.validate.report import describe_failure

log = logging.getLogger(__name__)

DOCS_SITE = "medcost"


def build_data_docs(context: Any, docs_dir: str | Path, report: ValidationReport) -> list[str]:
    """Build the HTML Data Docs of every validation in ``context`` into ``docs_dir``, atomically.

    Great Expectations' index page lists suites and results with JavaScript loaded from
    CDNs, so offline it shows empty tables: a plain-HTML summary with links to every
    suite's page and results is added at the top. Returns the problems found checking
    the docs (an index that does not link a suite).
    """
    suites = list(report.suites)
    try:
        with atomic_path(docs_dir) as tmp:
            context.add_data_docs_site(
                DOCS_SITE,
                {
                    "class_name": "SiteBuilder",
                    "show_how_to_buttons": False,
                    "store_backend": {
                        "class_name": "TupleFilesystemStoreBackend",
                        "base_directory": str(tmp.resolve()),
                    },
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                },
            )
            try:
                context.build_data_docs(site_names=[DOCS_SITE])
            finally:
                context.delete_data_docs_site(DOCS_SITE)
            _add_static_index(tmp, report)
            _stabilise(tmp)
            problems = check_data_docs(tmp, suites)
    except Exception as exc:  # a full disk or a Great Expectations bug: the gate closes, saying why
        return [f"Data Docs: could not be built in {docs_dir} ({type(exc).__name__}: {summarise(exc)})"]
    log.info("Data Docs: %s", Path(docs_dir) / "index.html")
    return problems


def _result_pages(docs_dir: Path, suite: str) -> list[Path]:
    return sorted((docs_dir / "validations" / suite).rglob("*.html"))


def _add_static_index(docs_dir: Path, report: ValidationReport) -> None:
    index = docs_dir / "index.html"
    if not index.is_file():
        return
    verdict = "passed" if report.success else "FAILED"
    rows = []
    for name, suite in report.suites.items():
        pages = _result_pages(docs_dir, name)
        result = (
            f'<a href="{html.escape(pages[-1].relative_to(docs_dir).as_posix())}">results</a>'
            if pages
            else "no results"
        )
        rows.append(
            f"<tr><td>{html.escape(name)}</td><td>{suite.rows}</td><td>{suite.evaluated}</td>"
            f"<td>{suite.passed}</td><td>{suite.failed}</td><td>{result} | "
            f'<a href="expectations/{html.escape(name)}.html">suite</a></td></tr>'
        )
    failures = [describe_failure(f, name) for name, s in report.suites.items() for f in s.failures]
    items = "".join(f"<li>{html.escape(line)}</li>" for line in [*failures, *report.meta.problems])
    block = (
        '<div id="medcost-summary" class="container-fluid pt-3 pl-5 pr-5">'
        f"<h3>medcost data-quality gate: {verdict}</h3>"
        '<table class="table table-sm"><thead><tr><th>suite</th><th>rows</th><th>evaluated</th><th>passed</th>'
        f"<th>failed</th><th>pages</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        + (f"<ul>{items}</ul>" if items else "")
        + "</div>"
    )
    text = index.read_text()
    anchor = text.find("</nav>\n    <div")
    at = text.find("<div", anchor) if anchor >= 0 else text.find("</body>")
    index.write_text(text[:at] + block + text[at:] if at >= 0 else text + block)


def check_data_docs(docs_dir: str | Path, suites: list[str]) -> list[str]:
    """Problems with the Data Docs: no index.html, or an index that does not link a suite's results."""
    index = Path(docs_dir) / "index.html"
    if not index.is_file():
        return [f"Data Docs: {index.name} was not written"]
    text = index.read_text(errors="replace")
    problems = []
    for suite in suites:
        page = Path(docs_dir) / "expectations" / f"{suite}.html"
        if f"expectations/{suite}.html" not in text or not page.is_file():
            problems.append(f"Data Docs: index.html does not link the {suite} suite")
        if f"validations/{suite}/" not in text or not _result_pages(Path(docs_dir), suite):
            problems.append(f"Data Docs: index.html does not link the {suite} validation results")
    return problems


_CACHE_BUSTER = re.compile(r"\?d=\d{8}T\d{6}\.\d+Z")
# Great Expectations shows when each validation ran (the clock); the run itself is named by the
# snapshot date (T000000.000000Z), which stays.
_VALIDATION_TIME = re.compile(r">\d{8}T(?!000000\.000000Z)\d{6}\.\d+Z<")


def _stabilise(docs_dir: Path) -> None:
    """The same validation gives the same pages: no random section ids, no clock in asset URLs."""
    for page in docs_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        text = _VALIDATION_TIME.sub(">(in logs/runs.jsonl)<", _CACHE_BUSTER.sub("", text))
        page.write_text(stable_ids(text), encoding="utf-8")
