"""The offline pages without a browser: the dvc plots template, the Data Docs rewrite and index, the entry page."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import pytest

from medcost.core.contracts import ValidationReport
from medcost.core.errors import MedcostError
from medcost.report.pages import Entry, index_page, registry_page
from medcost.report.vega_page import LIBRARIES, build_template
from medcost.validate.docs_index import BOOTSTRAP, make_offline

ROOT = Path(__file__).resolve().parents[2]


def test_dvc_uses_the_offline_template_with_every_library_inline():
    config = configparser.ConfigParser()
    config.read(ROOT / ".dvc/config")
    template = ROOT / ".dvc" / config["plots"]["html_template"]
    text = template.read_text(encoding="utf-8")
    assert "{plot_divs}" in text and "{scripts}" not in text  # DVC adds no CDN tag
    assert not re.search(r"<script[^>]*\bsrc=", text) and "sourceMappingURL" not in text
    for name, version in LIBRARIES.items():
        assert f'data-library="{name}@{version}"' in text
        assert (ROOT / ".dvc/plots/licenses" / f"{name}.LICENSE").is_file()
    # the versions dvc_render would load from its CDN
    from dvc_render.vega import VegaRenderer

    assert sorted(re.findall(r"npm/([a-z-]+@[\d.]+)", VegaRenderer.SCRIPTS)) == sorted(
        f"{n}@{v}" for n, v in LIBRARIES.items()
    )


def test_a_library_that_would_break_the_template_is_refused():
    sources = dict.fromkeys(LIBRARIES, "var x = 1;")
    assert "var x = 1;" in build_template(sources)
    with pytest.raises(MedcostError, match="vega-lite: contains '</script'"):
        build_template({**sources, "vega-lite": "document.write('</script>')"})


GE_PAGE = """<!DOCTYPE html>
<html>
  <head>
    <link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>
    <script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>
    <style>.a { background: url('https://example.invalid/logo.png') 0 0; }</style>
    <link rel="shortcut icon" href="../static/images/favicon.ico" type="image/x-icon"/>
  </head>
  <body><img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png">
  <script>
    function showAllValidations() {
    $(".x").fadeIn();
  }
</script></body>
</html>"""

REPORT = ValidationReport.model_validate(
    {
        "success": False,
        "suites": {
            "claims": {
                "rows": 10,
                "expectations": 2,
                "evaluated": 2,
                "passed": 1,
                "failed": 1,
                "success_percent": 50.0,
                "failures": [
                    {"expectation": "expect_column_values_to_be_between", "column": "amount", "unexpected_count": 1}
                ],
            }
        },
        "meta": {"expectations": 2, "results": 2, "problems": []},
    }
)


def test_great_expectations_pages_lose_every_remote_asset(tmp_path):
    page = tmp_path / "validations/claims/validate/run/page.html"
    page.parent.mkdir(parents=True)
    page.write_text(GE_PAGE)
    (tmp_path / "expectations").mkdir()
    (tmp_path / "expectations/claims.html").write_text(GE_PAGE)
    make_offline(tmp_path, REPORT)
    text = page.read_text()
    assert "https://" not in text and "$(" not in text and "function showAllValidations()" in text
    assert '<link rel="stylesheet" href="../../../../static/styles/bootstrap.min.css"/>' in text
    assert 'src="../../../../static/images/logo-long.png"' in text
    assert 'href="../../../../static/images/favicon.ico"' in text  # Great Expectations' wrong depth, fixed
    assert (tmp_path / BOOTSTRAP).stat().st_size > 100_000

    index = (tmp_path / "index.html").read_text()
    assert "medcost data-quality gate: FAILED" in index and "<script" not in index and "https://" not in index
    assert 'href="expectations/claims.html"' in index and 'href="validations/claims/validate/run/page.html"' in index
    assert "claims.amount expect_column_values_to_be_between (1 row(s))" in index


def test_the_entry_page_links_what_exists_and_says_what_is_missing(tmp_path):
    (tmp_path / "drift.html").write_text("<html></html>")
    items = [
        Entry("Drift", tmp_path / "drift.html", "drift", passed=False),
        Entry("Data quality", tmp_path / "data_docs/index.html", "docs"),
        Entry("Backtest", tmp_path / "backtest.html", "backtest", optional=True),
    ]
    text = index_page(items, tmp_path)
    assert '<a href="drift.html">Drift</a> <span class="badge failed">failed</span>' in text
    assert "Data quality</h2><p>Not built yet" in text and "Backtest" not in text
    assert "<script" not in text and str(tmp_path) not in text


def test_the_registry_page_shows_versions_and_aliases():
    state = {
        "model_name": "medcost",
        "aliases": {"champion": 2, "previous": 1},
        "versions": [
            {"version": 2, "aliases": ["champion"], "lifecycle": "active", "candidate": "tree", "test_rmse": "9.5",
             "git_commit": "0123456789abcdef", "git_dirty": "false", "experiment": None},
            {"version": 1, "aliases": ["previous"], "lifecycle": "archived", "archived_reason": "gates",
             "candidate": "linear", "test_rmse": "9.9", "git_commit": "fedcba9876543210", "git_dirty": "true"},
        ],
    }  # fmt: skip
    text = registry_page(state, "sqlite:///mlflow.db")
    assert "champion → version 2, previous → version 1" in text
    assert "<td>2</td><td>champion</td><td>active</td><td>tree</td><td>9.5</td><td>0123456789</td>" in text
    assert "<td>archived: gates</td>" in text and "fedcba9876 (dirty)" in text  # as make registry prints them
    assert "No registered model yet" in registry_page(None, "sqlite:///mlflow.db")
    assert '<a href="index.html">All reports</a>' in text
