"""The drift report: one self-contained HTML file of the deepchecks results and the own statistics."""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path
from typing import Any

import pandas as pd

from medcost.core.contracts import DriftSummary
from medcost.core.io import atomic_path
from medcost.core.stable_html import stable_ids
from medcost.drift.checks import quiet_deepchecks

log = logging.getLogger(__name__)

_INTRO = re.compile(r"(composed of various checks such as: )[^<]*?(, etc\.\.\.)")


def _summary_html(summary: DriftSummary) -> str:
    data = summary.model_dump(mode="json")  # as in drift.json: absent scores are left out, non-finite ones null
    verdict = "passed" if summary.verdict.passed else "FAILED: " + ", ".join(summary.verdict.failed)
    table = pd.DataFrame.from_dict(data["features"], orient="index")
    table.index.name = "feature"
    return (
        f"<h3>medcost drift verdict: {html.escape(verdict)}</h3>"
        f"<p>Own statistics (PSI over reference quantile bins; std shift = |mean_new - mean_ref| / std_ref) "
        f"and deepchecks FeatureDrift scores, model <code>{html.escape(summary.model)}</code>, "
        f"rows {html.escape(str(data['rows']))}. Calendar features of the training reference advanced "
        f"(years) before comparing: {html.escape(str(data['reference_advanced'] or 'none'))}.</p>"
        + table.to_html(na_rep="", float_format=lambda x: f"{x:.4g}", border=0)
    )


def write_report(results: list[Any], summary: DriftSummary, path: str | Path) -> None:
    """Write the deepchecks ``results`` and the ``summary`` as one HTML report at ``path``, atomically.

    The report embeds plotly.js and require.js (deepchecks' full-HTML serializer), so it opens offline.
    """
    with quiet_deepchecks():
        from deepchecks.core import SuiteResult

        suite = SuiteResult(
            "medcost drift: training features vs scoring snapshot", results, extra_info=[_summary_html(summary)]
        )
        with atomic_path(path) as tmp:
            # a file object, not a name: given a name that exists, deepchecks writes "name (1).html"
            with open(tmp, "w", encoding="utf-8") as fh:
                suite.save_as_html(fh, as_widget=False, requirejs=True, connected=False)
            page = stable_ids(tmp.read_text(encoding="utf-8"))
            # deepchecks names a random sample of the checks (a set) in its intro: name them all, sorted
            checks = ", ".join(sorted({str(r.get_header()) for r in results}))
            tmp.write_text(_INTRO.sub(lambda m: f"{m.group(1)}{checks}{m.group(2)}", page), encoding="utf-8")
