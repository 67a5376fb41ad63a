"""Every report page in headless Chromium with the network blocked: plots drawn, lists shown, links resolved, nothing fetched.

The pages come from a real pipeline run in a temporary git repository (``dvc repro``, then
``make pages``); each is opened by ``tests.browser_support.Browser``, which records every
request the page made.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from medcost.core.contracts import ValidationReport, read_contract
from tests.browser_support import Browser, Visit, require_chromium

pytestmark = pytest.mark.e2e

VENV = Path(sys.executable).parent.parent

# Each Vega plot DVC wrote (by its element id): "canvas"/"svg" once drawn with marks, else why not.
VEGA_PROBE = """ids.map((id) => {
  const div = document.getElementById(id);
  if (!div) return "missing";
  const canvas = div.querySelector("canvas"), svg = div.querySelector("svg");
  if (canvas && canvas.width > 0 && canvas.height > 0) {
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) return "canvas";
    return "blank canvas";
  }
  if (svg) return svg.querySelectorAll("path, rect, line, circle, text").length > 0 ? "svg" : "empty svg";
  return "not drawn";
})"""
IMAGES_PROBE = "[...document.images].map((img) => img.complete && img.naturalWidth > 0)"


def vega_ids(page: Path) -> list[str]:
    return re.findall(r"vegaEmbed\('#([^']+)'", page.read_text(encoding="utf-8"))


def local_links(page: Path) -> list[str]:
    return [h for h in re.findall(r'href="([^"#]+)"', page.read_text(encoding="utf-8")) if "://" not in h]


def offline(visit: Visit) -> None:
    """The page asked for nothing off the machine, every file it asked for was there, and no script failed."""
    assert visit.remote_requests == [], f"{visit.url} requested {visit.remote_requests}"
    assert visit.failed == [], f"{visit.url}: {visit.failed}"
    assert visit.errors == [], f"{visit.url}: {visit.errors}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = Browser(require_chromium())
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def built(repo, small_source):
    (repo.path / "data/source").mkdir(parents=True, exist_ok=True)
    shutil.copy2(small_source["truth"], repo.path / "data/source/truth.parquet")
    repo.dvc("repro")
    repo.run("make", "--no-print-directory", "pages", f"VENV={VENV}")
    return repo


def test_dvc_plots_draw_every_plot_offline(built, browser):
    page = built.path / "reports/plots/index.html"
    ids = vega_ids(page)
    declared = yaml.safe_load((built.path / "dvc.yaml").read_text())["plots"]
    assert len(ids) == sum(isinstance(p, dict) for p in declared) == 6
    visit = browser.open(
        page,
        f"{{vega: (() => {{ const ids = {ids}; return {VEGA_PROBE}; }})(), images: {IMAGES_PROBE}}}",
        done="p.vega.every((s) => s !== 'not drawn')",
    )
    assert len(visit.probe["vega"]) == len(ids) and set(visit.probe["vega"]) <= {"canvas", "svg"}, visit.probe
    assert visit.probe["images"] == [True]  # the evaluate stage's PNG
    offline(visit)


def test_a_plain_dvc_plots_diff_uses_the_offline_template(built, browser, tmp_path):
    """No flag: .dvc/config's plots.html_template applies to what a user types."""
    built.dvc("plots", "diff", "HEAD", "-o", str(tmp_path / "diff"))
    page = tmp_path / "diff/index.html"
    ids = vega_ids(page)
    assert len(ids) == 6 and "cdn.jsdelivr" not in page.read_text(encoding="utf-8")
    visit = browser.open(
        page, f"(() => {{ const ids = {ids}; return {VEGA_PROBE}; }})()", done="p.every((s) => s !== 'not drawn')"
    )
    assert set(visit.probe) <= {"canvas", "svg"}, visit.probe
    offline(visit)


def test_the_data_docs_list_every_suite_styled_offline(built, browser):
    docs = built.path / "reports/data_docs"
    suites = list(read_contract(built.path / "metrics/validate.json", ValidationReport).suites)
    assert len(suites) == 4
    index = docs / "index.html"
    visit = browser.open(
        index, "[...document.querySelectorAll('tbody tr')].map((tr) => tr.cells[0].textContent.trim())"
    )
    assert sorted(visit.probe) == sorted(suites)
    offline(visit)
    links = local_links(index)
    for suite in suites:
        assert f"expectations/{suite}.html" in links
        assert any(link.startswith(f"validations/{suite}/") for link in links)
    pages = [docs / link for link in links if link.endswith(".html")]
    assert len(pages) == 2 * len(suites) and all(p.is_file() for p in pages)
    for path in pages:  # Great Expectations' own pages, rewritten: Bootstrap applies (the navbar is a flex box)
        visit = browser.open(
            path,
            "({nav: getComputedStyle(document.querySelector('.navbar')).display, rows: "
            "document.querySelectorAll('table tr').length, images: " + IMAGES_PROBE + "})",
        )
        assert visit.probe["nav"] == "flex" and visit.probe["rows"] > 0 and all(visit.probe["images"]), path
        offline(visit)


def test_the_drift_report_draws_offline(built, browser):
    visit = browser.open(
        built.path / "reports/drift.html",
        "[...document.querySelectorAll('.js-plotly-plot')].map((d) => d.querySelectorAll('.main-svg path').length)",
        done="p.length > 0 && p.every((n) => n > 0)",
    )
    assert visit.probe and all(n > 0 for n in visit.probe), visit.probe
    offline(visit)


def test_the_entry_page_links_every_report_and_the_registry(built, browser):
    reports = built.path / "reports"
    index = reports / "index.html"
    links = local_links(index)
    assert links == [  # no backtest yet
        "data_docs/index.html",
        "plots/index.html",
        "drift.html",
        "selection.html",
        "registry.html",
    ]
    assert all((reports / link).is_file() for link in links)
    visit = browser.open(index, "[...document.querySelectorAll('h2 a')].map((a) => a.textContent)")
    assert visit.probe == ["Data quality", "Evaluation plots", "Drift", "Feature selection", "Model registry"]
    offline(visit)

    registry = browser.open(
        reports / "registry.html", "[...document.querySelectorAll('tbody tr')].map((tr) => tr.cells[1].textContent)"
    )
    assert registry.probe and "champion" in registry.probe[0], registry.probe  # the first promote crowns version 1
    offline(registry)
    assert "champion = version 1" in index.read_text()
    text = index.read_text() + (reports / "registry.html").read_text()
    assert str(built.path) not in text and not re.search(r"\d\d:\d\d:\d\d", text)  # nothing volatile

    (reports / "backtest.html").write_text("<!DOCTYPE html><title>backtest</title>")
    built.run("make", "--no-print-directory", "pages", f"VENV={VENV}")
    assert "backtest.html" in local_links(index)
    (reports / "backtest.html").unlink()


def test_generated_folders_are_ignored(built):
    built.dvc("plots", "show")  # writes dvc_plots/ by default
    untracked = [
        line
        for line in built.run("git", "status", "--porcelain", "--untracked-files=all").stdout.splitlines()
        if line.startswith("??")
    ]
    assert untracked == []
