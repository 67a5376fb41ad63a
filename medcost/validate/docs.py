"""The Data Docs: Great Expectations' pages of the suites and results, made to render offline, and their check."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from medcost.core.contracts import ValidationReport
from medcost.core.errors import summarise
from medcost.core.io import atomic_path
from medcost.core.stable_html import stable_ids
from medcost.validate.docs_index import make_offline, result_pages

log = logging.getLogger(__name__)

DOCS_SITE = "medcost"


def build_data_docs(context: Any, docs_dir: str | Path, report: ValidationReport) -> list[str]:
    """Build the HTML Data Docs of every validation in ``context`` into ``docs_dir``, atomically.

    Great Expectations' pages load their styles and scripts from CDNs and its index lists
    suites and results in JavaScript, so offline they are empty: ``make_offline`` rewrites
    them and writes the project's own index. Returns the problems found checking the docs
    (an index that does not link a suite).
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
            make_offline(tmp, report)
            _stabilise(tmp)
            problems = check_data_docs(tmp, suites)
    except Exception as exc:  # a full disk or a Great Expectations bug: the gate closes, saying why
        return [f"Data Docs: could not be built in {docs_dir} ({type(exc).__name__}: {summarise(exc)})"]
    log.info("Data Docs: %s", Path(docs_dir) / "index.html")
    return problems


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
        if f"validations/{suite}/" not in text or not result_pages(Path(docs_dir), suite):
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
