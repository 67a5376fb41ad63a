"""`make mlflow-ui` opens the medcost experiment on its runs in MLflow's own UI (real server, headless Chromium)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.browser_support import Browser, require_chromium
from tests.registry_support import ROOT, client, free_port, run_stage, write_project

pytestmark = pytest.mark.e2e
START_TIMEOUT = 90  # seconds: mlflow's CLI and its server's first start


def wait_until_up(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, "the MLflow UI exited"
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"the MLflow UI did not answer at {url} within {START_TIMEOUT} s")


def test_the_mlflow_ui_opens_on_the_pipeline_run_and_its_model_runs(data, tmp_path, monkeypatch, store):
    params = write_project(tmp_path, data, model=data["good"])
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store)
    run_stage("promote", params)

    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MLFLOW_TRACKING_URI": store}
    ui = subprocess.Popen(
        [sys.executable, "-m", "medcost.registry", "ui", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # the tool starts mlflow's server: stop them together
    )
    browser = Browser(require_chromium(), loopback=True)
    try:
        assert ui.stdout is not None
        printed = ui.stdout.readline().strip()
        url = printed.rsplit(" ", 1)[-1]
        assert url == f"http://127.0.0.1:{port}/#/experiments/1?workflowType=machine_learning", printed
        assert str(tmp_path) not in printed  # the store is shown masked / relative
        wait_until_up(f"http://127.0.0.1:{port}/health", ui)
        visit = browser.open(url, "document.body.innerText", done="p.includes('pipeline-')", timeout=60)
        page = visit.probe or ""
        assert "pipeline-" in page, page[:2000]  # the runs table, not the GenAI overview
        assert "Runs" in page and "Traces\n0" not in page
        # the pipeline run's page shows what was decided (its description)
        pipeline = client(store).search_runs(["1"], filter_string="tags.medcost_run = 'pipeline'")[0]
        run_page = browser.open(
            f"http://127.0.0.1:{port}/#/experiments/1/runs/{pipeline.info.run_id}?workflowType=machine_learning",
            "document.body.innerText",
            done="p.includes('lifecycle')",
            timeout=60,
        )
        shown = (run_page.probe or "").replace("\n", " ")
        assert "registered as new medcost version 1: lifecycle active; champion moved from none to version 1" in shown
        assert "Reasons: no champion yet" in shown or "no champion yet" in shown, shown[:2000]
    finally:
        browser.close()
        os.killpg(ui.pid, signal.SIGTERM)
        ui.wait(timeout=30)
