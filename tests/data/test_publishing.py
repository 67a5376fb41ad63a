"""Nothing unvalidated is published: a rejected snapshot leaves the published table, its version, rows and receipt.

The real stages run in-process (extract, transform, load, validate) on a clean copy of the
demo source, then on a corrupted copy that validate rejects; the published table is then
checked as any reader sees it: its current version, its rows and the published receipt. For
Delta Lake on disk; for Hopsworks against the fake cluster of tests/unit/test_load_hopsworks.py
(the documented client API, no cluster within reach).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from medcost.core.contracts import LoadReceipt, PublishedSnapshot, read_contract
from medcost.core.errors import MedcostError
from medcost.load import STAGING_SUFFIX
from tests.data.test_validate import CLIENT, run_stages, stage_params
from tests.unit.test_extract import copy_source
from tests.unit.test_load_hopsworks import cluster  # noqa: F401  (the fixture)

STAGES = ("fingerprint", "extract", "transform", "load", "validate")
REJECTED = f"UPDATE clients SET region = 'Atlantis' WHERE client_id = {CLIENT}"  # an unknown category


def run(params: dict[str, Any], small_source: dict[str, Any], folder: Path, *statements: str) -> dict[str, Any]:
    (folder / "source").mkdir(parents=True, exist_ok=True)
    url = copy_source(small_source, folder / "source", *statements)
    stage = stage_params(params, folder / "out", Path(url.removeprefix("sqlite:///")))
    run_stages(stage, *STAGES)
    return stage


def delta_state(path: str) -> tuple[int, pd.DataFrame]:
    from deltalake import DeltaTable

    table = DeltaTable(path)
    frame = table.to_pandas().sort_values(["client_id", "year"], kind="stable").reset_index(drop=True)
    return table.version(), frame


@pytest.mark.usefixtures("workspace")
def test_a_rejected_snapshot_leaves_the_published_delta_table_and_receipt(params, small_source, tmp_path):
    stage = run(params, small_source, tmp_path)
    paths = stage["paths"]
    published_file = Path(paths["published"])
    accepted = read_contract(published_file, PublishedSnapshot)
    receipt_bytes = published_file.read_bytes()
    version, rows = delta_state(paths["lakehouse"])
    assert accepted.receipt.version == version and accepted.receipt.rows == len(rows)

    with pytest.raises(MedcostError, match=rf"snapshot rejected \(published version {version} kept\): .*Atlantis"):
        run(params, small_source, tmp_path, REJECTED)

    # what every reader of the published table sees is unchanged: version, rows, receipt
    after_version, after_rows = delta_state(paths["lakehouse"])
    assert after_version == version
    pd.testing.assert_frame_equal(after_rows, rows)
    assert published_file.read_bytes() == receipt_bytes
    # the rejected rows went no further than staging
    staged = read_contract(paths["load_receipt"], LoadReceipt)
    staged_version, staged_rows = delta_state(paths["staging"])
    assert staged.version == staged_version > 0
    assert (staged_rows["region"] == "atlantis").any() and not (rows["region"] == "atlantis").any()


@pytest.mark.usefixtures("workspace")
def test_the_first_snapshot_rejected_publishes_no_table(params, small_source, tmp_path):
    with pytest.raises(MedcostError, match=r"snapshot rejected \(nothing published yet\)"):
        run(params, small_source, tmp_path, REJECTED)
    out = tmp_path / "out"
    assert not (out / "lakehouse" / "client_features").exists()
    assert not (out / "lakehouse" / "client_features.published.json").exists()
    assert (out / "staging" / "client_features").is_dir()


def hopsworks_params(params: dict[str, Any]) -> dict[str, Any]:
    return {**params, "load": {**params["load"], "backend": "hopsworks"}}


@pytest.mark.usefixtures("workspace")
def test_a_rejected_snapshot_leaves_the_published_hopsworks_feature_group(params, small_source, tmp_path, cluster):  # noqa: F811
    table, version = params["load"]["table"], params["load"]["hopsworks_version"]
    stage = run(hopsworks_params(params), small_source, tmp_path)
    published_fg = cluster.groups[(table, version)]
    staging_fg = cluster.groups[(f"{table}{STAGING_SUFFIX}", version)]
    commits, rows = list(published_fg.commits), published_fg.rows.copy()
    accepted = read_contract(stage["paths"]["published"], PublishedSnapshot)
    assert accepted.receipt.backend == "hopsworks" and accepted.receipt.version == commits[-1][0]
    staged_commits = len(staging_fg.commits)

    with pytest.raises(MedcostError, match=r"snapshot rejected \(published version \d+ kept\)"):
        run(hopsworks_params(params), small_source, tmp_path, REJECTED)

    assert [c[0] for c in published_fg.commits] == [c[0] for c in commits]  # no new commit
    pd.testing.assert_frame_equal(published_fg.rows, rows)
    assert len(staging_fg.commits) == staged_commits + 1  # the rejected rows are in staging only
    assert read_contract(stage["paths"]["published"], PublishedSnapshot) == accepted
