"""Data Docs that render offline: the project's own index page, and Great Expectations' pages without CDN assets.

Great Expectations 1.x links Bootstrap, jQuery, bootstrap-table and Font Awesome from CDNs, and
its index builds the Expectation Suites and Validation Results lists in JavaScript: offline the
index is empty and every page unstyled. Here each page links the vendored Bootstrap 4.3.1 CSS
(``assets/``, MIT) copied into the site, every other remote script, stylesheet and image is
dropped (the few icons become characters, the two show/hide buttons plain JavaScript), and the
index is replaced by a self-contained page (inline CSS, no script) listing every suite with its
status, its expectations page and its validation results.
"""

from __future__ import annotations

import html
import os
import re
import shutil
from pathlib import Path

from medcost.core.contracts import ValidationReport
from medcost.validate.report import describe_failure

ASSETS = Path(__file__).parent / "assets"
BOOTSTRAP = "static/styles/bootstrap.min.css"
"""Where the site keeps the vendored Bootstrap stylesheet, relative to its index."""

_REMOTE_SCRIPT = re.compile(r"""<script\b[^>]*\bsrc=["']https?://[^>]*>\s*</script>\s*""", re.IGNORECASE)
_REMOTE_LINK = re.compile(r"""<link\b[^>]*\bhref=["']https?://[^>]*>\s*""", re.IGNORECASE)
_REMOTE_IMAGE = re.compile(r"""(<img\b[^>]*\bsrc=)["']https?://[^"']*/([^/"']+)["']""", re.IGNORECASE)
_REMOTE_CSS_URL = re.compile(r"""url\(\s*["']?https?://[^)]*\)""", re.IGNORECASE)
_STATIC = re.compile(r"""((?:src|href)=["'])(?:\.\./)*static/""")  # GE gets the depth wrong in results pages
_JQUERY_TOGGLES = re.compile(r"<script>\s*function showAllValidations\(\).*?</script>", re.DOTALL)

# Font Awesome's icons as characters: the only ones Great Expectations' renderers use.
_ICONS = """
<style>
  .fas { font-style: normal; }
  .fa-check-circle::before { content: "\\2714"; }
  .fa-times::before { content: "\\2716"; }
  .fa-exclamation-triangle::before { content: "\\26A0"; }
  .fa-question-circle::before { content: "?"; font-weight: bold; }
  .fa-comment::before { content: "\\2709"; }
</style>
"""

_TOGGLES = """<script>
  function _medcostShow(shown) {
    const display = shown ? "" : "none";
    document.querySelectorAll(".hide-succeeded-validation-target-child").forEach((el) => { el.parentElement.style.display = display; });
    document.querySelectorAll(".hide-succeeded-validation-target").forEach((el) => { el.style.display = display; });
    document.querySelectorAll(".hide-succeeded-validations-column-section-target-child").forEach((el) => {
      const section = el.parentElement.parentElement;
      section.style.display = display;
      document.querySelectorAll(`a[href$="${section.id}"]`).forEach((a) => { a.style.display = display; });
    });
  }
  function showAllValidations() { _medcostShow(true); }
  function hideSucceededValidations() { _medcostShow(false); }
</script>"""


def make_offline(docs_dir: Path, report: ValidationReport) -> None:
    """Rewrite the site in ``docs_dir`` (Great Expectations' output) so that every page renders offline."""
    styles = docs_dir / BOOTSTRAP
    styles.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ASSETS / "bootstrap.min.css", styles)
    shutil.copyfile(ASSETS / "bootstrap.LICENSE", styles.with_name("bootstrap.LICENSE"))
    for sheet in docs_dir.rglob("*.css"):
        text = sheet.read_text(encoding="utf-8")
        sheet.write_text(_REMOTE_CSS_URL.sub("none", text), encoding="utf-8")
    for page in docs_dir.rglob("*.html"):
        page.write_text(_offline_page(page.read_text(encoding="utf-8"), page, docs_dir), encoding="utf-8")
    (docs_dir / "index.html").write_text(index_page(docs_dir, report), encoding="utf-8")


def _offline_page(text: str, page: Path, docs_dir: Path) -> str:
    root = Path(os.path.relpath(docs_dir, page.parent)).as_posix()
    text = _REMOTE_SCRIPT.sub("", text)
    text = _REMOTE_LINK.sub("", text)
    text = _REMOTE_IMAGE.sub(lambda m: f'{m.group(1)}"{root}/static/images/{m.group(2)}"', text)
    text = _REMOTE_CSS_URL.sub("none", text)
    text = _STATIC.sub(lambda m: f"{m.group(1)}{root}/static/", text)
    text = _JQUERY_TOGGLES.sub(lambda _: _TOGGLES, text)
    head = f'<link rel="stylesheet" href="{root}/{BOOTSTRAP}"/>{_ICONS}'
    return text.replace("<head>", "<head>\n" + head, 1)


def result_pages(docs_dir: Path, suite: str) -> list[Path]:
    """A suite's validation results pages, oldest run first."""
    return sorted((docs_dir / "validations" / suite).rglob("*.html"))


_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto; max-width: 72rem;
       padding: 0 1.5rem; color: #212529; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .3rem; } h1.gate-passed { color: #1e7e34; } h1.gate-failed { color: #a71d2a; }
h2 { font-size: 1.2rem; margin-top: 2rem; }
.verdict { display: inline-block; padding: .15rem .6rem; border-radius: .3rem; color: #fff; font-weight: 600; }
.passed { background: #28a745; } .failed { background: #dc3545; }
table { border-collapse: collapse; width: 100%; margin-top: .5rem; }
th, td { text-align: left; padding: .45rem .7rem; border-bottom: 1px solid #dee2e6; vertical-align: top; }
th { background: #f1f3f5; font-weight: 600; } td.number { text-align: right; font-variant-numeric: tabular-nums; }
tr:hover td { background: #f8f9fa; }
a { color: #0062cc; text-decoration: none; } a:hover { text-decoration: underline; }
ul.problems li { color: #a71d2a; margin: .2rem 0; }
.note { color: #6c757d; font-size: .9rem; }
"""


def _link(docs_dir: Path, page: Path, text: str) -> str:
    return f'<a href="{html.escape(page.relative_to(docs_dir).as_posix())}">{html.escape(text)}</a>'


def index_page(docs_dir: Path, report: ValidationReport) -> str:
    """The site's index: the gate's verdict, each suite's counts, status and pages, and every failure."""
    verdict = "passed" if report.success else "FAILED"
    rows = []
    for name, suite in report.suites.items():
        status = "passed" if suite.failed == 0 else "failed"
        expectations = docs_dir / "expectations" / f"{name}.html"
        suite_link = _link(docs_dir, expectations, "expectations") if expectations.is_file() else "no page"
        results = [
            _link(docs_dir, p, p.parent.relative_to(docs_dir / "validations" / name).as_posix())
            for p in result_pages(docs_dir, name)
        ]
        rows.append(
            f"<tr><td><strong>{html.escape(name)}</strong></td>"
            f'<td><span class="verdict {status}">{status}</span></td>'
            f'<td class="number">{suite.rows:,}</td><td class="number">{suite.evaluated}</td>'
            f'<td class="number">{suite.passed}</td><td class="number">{suite.failed}</td>'
            f"<td>{suite_link}</td><td>{'<br>'.join(results) or 'none'}</td></tr>"
        )
    failures = [describe_failure(f, name) for name, s in report.suites.items() for f in s.failures]
    problems = [*failures, *report.meta.problems]
    items = "".join(f"<li>{html.escape(line)}</li>" for line in problems)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>medcost data quality: {verdict}</title>
<link rel="icon" href="static/images/favicon.ico">
<style>{_STYLE}</style>
</head>
<body>
<h1 class="gate-{verdict.lower()}">medcost data-quality gate: {verdict}</h1>
<p class="note">Great Expectations suites run by the validate stage on the raw extract and the staged feature table.
Each suite's expectations page lists what is checked; its validation results page shows what was observed.</p>
<h2>Expectation suites and validation results</h2>
<table>
<thead><tr><th>suite</th><th>status</th><th>rows</th><th>evaluated</th><th>passed</th><th>failed</th>
<th>expectation suite</th><th>validation results</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
<h2>Problems</h2>
{f'<ul class="problems">{items}</ul>' if items else "<p>None: every expectation ran and passed, and every column is covered.</p>"}
</body>
</html>
"""
