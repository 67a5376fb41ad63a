"""The champion in use: batch predictions (Parquet + Delta) and a real `mlflow models serve` on loopback
answering with the same predictions, and a 4xx for a request missing a column."""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from medcost.errors import MedcostError
from medcost.predict import upsert_delta
from tests.unit.test_registry import (  # noqa: F401 (data, empty_store: shared module fixtures)
    MODEL,
    ROOT,
    columns,
    data,
    empty_store,
    new_store,
    run_stage,
    write_project,
)

SERVER_START_TIMEOUT = 120  # seconds: mlflow's CLI, the model download and uvicorn's start


@pytest.fixture(autouse=True)
def _no_mlflow_telemetry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.setenv("DO_NOT_TRACK", "true")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, data: dict[str, Any], empty_store: Path) -> dict[str, Any]:
    """A project folder where promote made a champion and predict ran once."""
    folder = tmp_path_factory.mktemp("project")
    params = write_project(folder, data, model=data["tree"])
    params["promote"] = {**params["promote"], "model_name": MODEL}
    uri = new_store(folder, empty_store)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        mp.delenv("MEDCOST_WEBHOOK_URL", raising=False)
        run_stage("promote", params)
        run_stage("predict", params)
    return {"folder": folder, "params": params, "uri": uri,
            "predictions": pd.read_parquet(folder / "data/predictions")}


def test_predict_writes_every_client_with_the_champion_version(project, data):
    predictions = project["predictions"]
    assert list(predictions.columns) == ["client_id", "year", "predicted_cost", "model_name", "model_version"]
    assert len(predictions) == len(data["scoring"])
    assert predictions["client_id"].tolist() == data["scoring"]["client_id"].tolist()
    assert (predictions["model_name"] == MODEL).all() and (predictions["model_version"] == 1).all()
    cols = columns()
    expected = data["tree"].predict(data["scoring"][[*cols["numeric"], *cols["categorical"]]])
    np.testing.assert_allclose(predictions["predicted_cost"], expected, rtol=1e-12)
    summary = json.loads((project["folder"] / "metrics/predict.json").read_text())
    assert summary["model_version"] == 1 and summary["rows"] == len(data["scoring"])


def test_predict_upserts_the_delta_table_idempotently(project, tmp_path):
    from deltalake import DeltaTable

    table_path = project["folder"] / "data/lakehouse/predictions"
    table = DeltaTable(str(table_path))
    first_version = table.version()
    assert len(table.to_pandas()) == len(project["predictions"])

    again = upsert_delta(project["predictions"], table_path, ["client_id", "year", "model_version"])
    assert again["version"] == first_version  # same rows: no new table version

    copy = tmp_path / "predictions"
    frame = project["predictions"]
    upsert_delta(frame, copy, ["client_id", "year", "model_version"])
    changed = frame.assign(predicted_cost=frame["predicted_cost"] + 1.0)
    upsert_delta(changed, copy, ["client_id", "year", "model_version"])  # same version re-scored: replaced
    upsert_delta(frame.assign(model_version=np.int64(2)), copy, ["client_id", "year", "model_version"])
    rows = DeltaTable(str(copy)).to_pandas()
    assert len(rows) == 2 * len(frame) and not rows.duplicated(["client_id", "year", "model_version"]).any()
    v1 = rows[rows["model_version"] == 1].sort_values("client_id")
    np.testing.assert_allclose(v1["predicted_cost"], changed["predicted_cost"])


def test_predict_without_champion_says_to_run_promote(tmp_path, monkeypatch, data, empty_store):
    params = write_project(tmp_path, data, model=data["tree"])
    params["promote"] = {**params["promote"], "model_name": "nobody"}
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", new_store(tmp_path, empty_store))
    with pytest.raises(MedcostError, match="no champion for registered model 'nobody' .*run promote first"):
        run_stage("predict", params)


# --------------------------------------------------------------------------- mlflow models serve


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(url: str, payload: dict[str, Any] | None = None, timeout: float = 30) -> tuple[int, str]:
    data = json.dumps(payload).encode() if payload is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"},
                                 method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def dataframe_split(frame: pd.DataFrame) -> dict[str, Any]:
    """The rows as `dataframe_split` JSON: missing values as null, floats at full precision."""
    def cell(value: Any) -> Any:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        return value.item() if hasattr(value, "item") else value

    return {"dataframe_split": {"columns": list(frame.columns),
                                "data": [[cell(v) for v in row] for row in frame.itertuples(index=False)]}}


@pytest.fixture(scope="module")
def server(project: dict[str, Any]) -> Any:
    port = free_port()
    env = {**os.environ, "MLFLOW_TRACKING_URI": project["uri"], "MLFLOW_DISABLE_TELEMETRY": "true",
           "DO_NOT_TRACK": "true", "PYTHONPATH": str(ROOT)}
    env.pop("MEDCOST_WEBHOOK_URL", None)
    log_file = open(project["folder"] / "serve.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "medcost.serve", "--port", str(port), "--model-name", MODEL],
                               cwd=project["folder"], env=env, stdout=log_file, stderr=subprocess.STDOUT,
                               start_new_session=True)  # its own process group: uvicorn dies with it
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited ({process.returncode}):\n{(project['folder'] / 'serve.log').read_text()}")
            try:
                if request(f"{base}/ping", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"no answer on {base}/ping in {SERVER_START_TIMEOUT}s:\n"
                            f"{(project['folder'] / 'serve.log').read_text()}")
            time.sleep(0.5)
        yield base
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        log_file.close()


def test_the_server_answers_like_the_batch(server, project, data):
    cols = columns()
    rows = data["scoring"][[*cols["numeric"], *cols["categorical"]]]
    assert rows.isna().any().any()  # NaN and None travel as JSON null
    status, body = request(f"{server}/invocations", dataframe_split(rows))
    assert status == 200, body
    served = np.asarray(json.loads(body)["predictions"], dtype="float64")
    np.testing.assert_allclose(served, project["predictions"]["predicted_cost"], rtol=1e-12)


def test_extra_columns_are_ignored_and_integers_accepted(server, project, data):
    frame = data["scoring"].head(5).copy()  # with client_id, year, the empty target...
    frame["children"] = frame["children"].fillna(0).round().astype("int64")  # ints for a double column
    status, body = request(f"{server}/invocations", dataframe_split(frame))
    assert status == 200, body


def test_a_request_missing_a_column_gets_a_4xx_naming_it(server, data):
    cols = columns()
    rows = data["scoring"].head(3)[[*cols["numeric"], *cols["categorical"]]].drop(columns=["bmi"])
    status, body = request(f"{server}/invocations", dataframe_split(rows))
    assert 400 <= status < 500
    assert "missing inputs" in body and "bmi" in body
