"""The champion in use: batch predictions (Parquet + Delta) and MLflow's scoring server on loopback
(``python -m medcost.serve``) answering with the same predictions, row by row, and safely for a client:
a per-row error for a bad value, strict JSON, no stack trace or server path, a /version answer."""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from medcost.core.contracts import PredictSummary, read_contract
from medcost.core.errors import MedcostError
from medcost.predict import stale_predicate, upsert_predictions
from tests.registry_support import (
    MODEL,
    ROOT,
    feature_spec,
    free_port,
    new_store,
    run_stage,
    write_project,
)

KEY = ["client_id", "year"]
SERVER_START_TIMEOUT = 120  # seconds: mlflow's CLI, the model download and uvicorn's start


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
    return {"folder": folder, "params": params, "uri": uri, "predictions": pd.read_parquet(folder / "data/predictions")}


def test_predict_writes_every_client_with_the_champion_version(project, data):
    predictions = project["predictions"]
    assert list(predictions.columns) == ["client_id", "year", "predicted_cost", "model_name", "model_version"]
    assert len(predictions) == len(data["scoring"])
    assert predictions["client_id"].tolist() == data["scoring"]["client_id"].tolist()
    assert (predictions["model_name"] == MODEL).all() and (predictions["model_version"] == 1).all()
    expected = data["tree"].predict(data["scoring"][feature_spec().inputs])
    np.testing.assert_allclose(predictions["predicted_cost"], expected, rtol=1e-12)
    summary = read_contract(project["folder"] / "metrics/predict.json", PredictSummary)
    assert summary.model_name == MODEL and summary.model_version == 1 and summary.rows == len(data["scoring"])
    assert summary.years == [2026]
    assert summary.predicted_cost.total == pytest.approx(float(expected.sum()), rel=1e-5)


def test_predict_upserts_the_delta_table_idempotently(project, tmp_path):
    from deltalake import DeltaTable

    table_path = project["folder"] / "data/lakehouse/predictions"
    table = DeltaTable(str(table_path))
    first_version = table.version()
    assert len(table.to_pandas()) == len(project["predictions"])

    again = upsert_predictions(project["predictions"], table_path, KEY)
    assert again == first_version  # same rows: no new table version

    copy = tmp_path / "predictions"
    frame = project["predictions"]
    upsert_predictions(frame, copy, KEY)
    changed = frame.assign(predicted_cost=frame["predicted_cost"] + 1.0)
    upsert_predictions(changed, copy, KEY)  # same version re-scored: replaced
    upsert_predictions(frame.assign(model_version=np.int64(2)), copy, KEY)
    rows = DeltaTable(str(copy)).to_pandas()
    assert len(rows) == 2 * len(frame) and not rows.duplicated([*KEY, "model_version"]).any()
    v1 = rows[rows["model_version"] == 1].sort_values("client_id")
    np.testing.assert_allclose(v1["predicted_cost"], changed["predicted_cost"])
    # a client no longer in version 1's run is deleted from version 1's slice only
    upsert_predictions(changed.iloc[1:], copy, KEY)
    rows = DeltaTable(str(copy)).to_pandas()
    assert len(rows[rows["model_version"] == 1]) == len(frame) - 1 and len(rows[rows["model_version"] == 2]) == len(
        frame
    )


def test_the_stale_rows_are_those_of_the_run_s_versions_and_years(project):
    frame = pd.concat([project["predictions"], project["predictions"].assign(year=2027, model_version=np.int64(3))])
    assert stale_predicate(frame) == "t.model_version IN (1, 3) AND t.year IN (2026, 2027)"


def test_batch_predict_rejects_a_bad_row_and_publishes_nothing(project, data, monkeypatch):
    folder = project["folder"]
    scoring_file = folder / "data/processed/scoring.parquet"
    bad = data["scoring"].copy()
    bad.loc[7, "age"] = -3.0
    bad.loc[9, "age"] = 1e12
    monkeypatch.chdir(folder)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", project["uri"])
    try:
        bad.to_parquet(scoring_file, index=False)
        with pytest.raises(MedcostError) as err:
            run_stage("predict", project["params"])
    finally:
        data["scoring"].to_parquet(scoring_file, index=False)
    client = f"client_id={bad['client_id'].iloc[7]}, year={bad['year'].iloc[7]}"
    assert str(err.value) == (
        f"scoring snapshot: the champion's input checks reject 2 of {len(bad)} rows; "
        f"the first ({client}): age = -3: below 0 (validate.age)"
    )
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "data/predictions"), project["predictions"])


def test_predict_without_champion_says_to_run_promote(tmp_path, monkeypatch, data, empty_store):
    params = write_project(tmp_path, data, model=data["tree"])
    params["promote"] = {**params["promote"], "model_name": "nobody"}
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", new_store(tmp_path, empty_store))
    with pytest.raises(MedcostError, match="no champion for registered model 'nobody' .*run promote first"):
        run_stage("predict", params)


# --------------------------------------------------------------------------- mlflow models serve


def test_serve_without_champion_is_one_line_and_exit_1(tmp_path, empty_store):
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": new_store(tmp_path, empty_store),
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, "-m", "medcost.serve", "--model-name", "nobody", "--params", str(ROOT / "params.yaml")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: serve: no champion for registered model 'nobody'") and "run promote first" in last


def request(url: str, payload: dict[str, Any] | None = None, timeout: float = 30) -> tuple[int, str]:
    body = json.dumps(payload).encode() if payload is not None else None
    req = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST" if body else "GET"
    )
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

    return {
        "dataframe_split": {
            "columns": list(frame.columns),
            "data": [[cell(v) for v in row] for row in frame.itertuples(index=False)],
        }
    }


@pytest.fixture(scope="module")
def server(project: dict[str, Any]) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": project["uri"],
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("MEDCOST_WEBHOOK_URL", None)
    log_path = project["folder"] / "serve.log"
    with open(log_path, "w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "medcost.serve", "--port", str(port), "--model-name", MODEL],
            cwd=project["folder"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # its own process group: uvicorn dies with it
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT
            while True:
                if process.poll() is not None:
                    pytest.fail(f"the server exited ({process.returncode}):\n{log_path.read_text()}")
                with contextlib.suppress(OSError):
                    if request(f"{base}/ping", timeout=2)[0] == 200:
                        break
                if time.monotonic() > deadline:
                    pytest.fail(f"no answer on {base}/ping in {SERVER_START_TIMEOUT}s:\n{log_path.read_text()}")
                time.sleep(0.5)
            yield base
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


def test_the_server_answers_like_the_batch(server, project, data):
    rows = data["scoring"][feature_spec().inputs]
    assert rows.isna().any().any()  # NaN and None travel as JSON null
    status, body = request(f"{server}/invocations", dataframe_split(rows))
    assert status == 200, body
    answers = strict(body)["predictions"]
    assert all(a["error"] is None for a in answers)
    served = np.asarray([a["predicted_cost"] for a in answers], dtype="float64")
    np.testing.assert_allclose(served, project["predictions"]["predicted_cost"], rtol=1e-12)


def test_extra_columns_are_ignored_and_integers_accepted(server, project, data):
    frame = data["scoring"].head(5).copy()  # with client_id, year, the empty target...
    frame["children"] = frame["children"].fillna(0).round().astype("int64")  # ints for a double column
    status, body = request(f"{server}/invocations", dataframe_split(frame))
    assert status == 200, body


def test_a_request_missing_a_column_gets_a_4xx_naming_it(server, project, data):
    rows = data["scoring"].head(3)[feature_spec().inputs].drop(columns=["bmi"])
    status, body = request(f"{server}/invocations", dataframe_split(rows))
    assert 400 <= status < 500
    assert strict(body)["message"] == "Model is missing inputs ['bmi']."
    assert_clean(body, project)


def strict(body: str) -> Any:
    """The body as standard JSON: NaN, Infinity and -Infinity are refused, as a JSON client would."""

    def refuse(token: str) -> Any:
        raise AssertionError(f"{token} in the answer: not JSON")

    return json.loads(body, parse_constant=refuse)


def assert_clean(body: str, project: dict[str, Any]) -> None:
    """No stack trace, no data echo marker, no path of the server's machine in an answer."""
    for leak in ("Traceback", "stack_trace", 'File "', str(project["folder"]), str(ROOT), sys.prefix, "site-packages"):
        assert leak not in body, f"{leak!r} in {body}"


def scoring_rows(data: dict[str, Any], n: int = 3) -> pd.DataFrame:
    return data["scoring"].head(n)[feature_spec().inputs].reset_index(drop=True)


def test_an_impossible_age_gets_a_per_row_error_in_strict_json(server, project, data):
    rows = scoring_rows(data)
    rows.loc[1, "age"] = 1e12
    rows.loc[2, "age"] = -3.0
    status, body = request(f"{server}/invocations", dataframe_split(rows))
    assert status == 200, body
    answers = strict(body)["predictions"]
    assert "Infinity" not in body and "NaN" not in body
    assert answers[1] == {"predicted_cost": None, "error": "age = 1e+12: above 120 (validate.age)"}
    assert answers[2] == {"predicted_cost": None, "error": "age = -3: below 0 (validate.age)"}
    assert answers[0]["error"] is None
    assert answers[0]["predicted_cost"] == pytest.approx(project["predictions"]["predicted_cost"].iloc[0], rel=1e-12)


def test_mixed_rows_get_one_answer_each(server, project, data):
    rows = scoring_rows(data, 5)
    payload = dataframe_split(rows)
    columns = payload["dataframe_split"]["columns"]
    table = payload["dataframe_split"]["data"]
    table[1][columns.index("age")] = "old"  # not a number: MLflow's signature refuses the whole frame
    table[3][columns.index("region")] = "mars"
    table[4][columns.index("bmi")] = float("inf")  # sent as the (non-standard) token Infinity
    body = json.dumps(payload).encode()
    assert b"Infinity" in body
    req = urllib.request.Request(
        f"{server}/invocations", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=30) as response:
        status, text = response.status, response.read().decode()
    assert status == 200, text
    answers = strict(text)["predictions"]
    assert [a["error"] for a in answers] == [
        None,
        "age = 'old': not a number",
        None,
        "region = 'mars': not one of northeast, northwest, southeast, southwest (validate.value_sets)",
        "bmi = inf: not a finite number",
    ]
    expected = project["predictions"]["predicted_cost"]
    assert answers[0]["predicted_cost"] == pytest.approx(expected.iloc[0], rel=1e-12)
    assert answers[2]["predicted_cost"] == pytest.approx(expected.iloc[2], rel=1e-12)
    assert all(answers[i]["predicted_cost"] is None for i in (1, 3, 4))


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"dataframe_split": {}}, 400),
        ({"dataframe_split": {"columns": [], "data": []}}, 400),
        ({"dataframe_records": []}, 400),
        ({"something": 1}, 400),
    ],
    ids=["empty", "no-columns", "no-records", "no-frame"],
)
def test_an_empty_or_malformed_request_gets_a_clean_4xx(server, project, payload, status):
    got, body = request(f"{server}/invocations", payload)
    assert got == status, body
    answer = strict(body)
    assert set(answer) == {"error_code", "message"} and "\n" not in body
    assert_clean(body, project)


def test_a_frame_without_rows_gets_no_predictions(server, project, data):
    payload = {"dataframe_split": {"columns": feature_spec().inputs, "data": []}}
    assert request(f"{server}/invocations", payload) == (200, '{"predictions": []}')


def test_a_body_that_is_not_json_gets_a_clean_4xx(server, project):
    req = urllib.request.Request(
        f"{server}/invocations", data=b"{not json", headers={"Content-Type": "application/json"}, method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=30)
    body = err.value.read().decode()
    assert err.value.code == 400 and "{not json" not in body and "valid JSON" in strict(body)["message"]
    assert_clean(body, project)


def test_version_names_the_model_and_the_api(server):
    import mlflow

    status, body = request(f"{server}/version")
    assert status == 200
    assert strict(body) == {
        "model_name": MODEL,
        "model_version": 1,
        "api_version": "1",
        "mlflow_version": mlflow.__version__,
    }
