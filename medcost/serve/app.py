"""MLflow's scoring server app for the champion, made safe for clients: clean errors and a /version answer.

The app is MLflow's own (``mlflow.pyfunc.scoring_server.init``: ``/ping``, ``/health``, its
request parsing, schema enforcement and JSON answers, its timeout), with two routes replaced:

- ``POST /invocations`` answers MLflow's errors as ``{"error_code": ..., "message": ...}`` with a
  one-line message and never a stack trace, the request's data or a server path; anything
  unexpected is a 500 with a fixed message (the server log has the details). A 200 answer is
  strict JSON (no ``NaN``/``Infinity``): the model answers None for a rejected row.
  When a value cannot be typed as the signature says (``"age": "old"``), MLflow refuses the whole
  request; the server then checks the untyped rows itself and answers per row: the rows with
  such a value get their error (``age = 'old': not a number``), the others their prediction.
- ``GET /version``: the registered model's name and version, the answer's API version and MLflow's.
"""

# No ``from __future__ import annotations``: FastAPI reads the route functions' annotations at
# runtime, and ``Request`` is imported inside build_app.
import asyncio
import json
import logging
import re
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from medcost.core.errors import MedcostError, one_line
from medcost.core.inputs import InputRules, check_rows
from medcost.core.served_model import API_VERSION, served_rules

if TYPE_CHECKING:  # heavy: imported inside the functions that need it
    from fastapi import FastAPI
    from mlflow.pyfunc import PyFuncModel

log = logging.getLogger(__name__)

REPLACED_ROUTES = ("/invocations", "/version")
UNEXPECTED = "the server could not answer this request (the server log says why)"
PATH = re.compile(r"(?<![\w.])(?:[A-Za-z]:)?[/\\](?:[\w.@+-]+[/\\])+[\w.@+-]*")
"""Something like a file path (POSIX or Windows) inside a message: never shown to a client."""
MESSAGE_LIMIT = 300


def client_message(message: str) -> str:
    """The part of an MLflow error a client may see: the innermost reason, one line, no data echo, no paths."""
    text = str(message).split("\nInput:", 1)[0]  # MLflow's JSON error echoes the whole body after this
    if "data '" in text:  # "Failed to predict data '<data>'. Error: <reason>": keep the reason only
        text = text.rsplit("Error: ", 1)[-1]
    text = PATH.sub("<path>", one_line(text))
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3] + "..."


def _reject_constant(token: str) -> float:
    raise ValueError(f"{token} is not JSON")


def strict_json(text: str) -> bool:
    """Whether ``text`` parses as standard JSON (Python's parser accepts ``NaN`` and ``Infinity`` otherwise)."""
    try:
        json.loads(text, parse_constant=_reject_constant)
    except ValueError:
        return False
    return True


def untyped_answers(model: "PyFuncModel", rules: InputRules, body: bytes) -> str | None:
    """Per-row answers (JSON) to a request MLflow could not type, or None when no row explains the failure.

    The rows are parsed without the signature and checked by ``rules``; only the rows that pass
    go to the model (typed by its signature then). None when the body is not a data frame,
    lacks a column, or every row passes the checks (the failure is then MLflow's to explain).
    """
    from mlflow.exceptions import MlflowException
    from mlflow.pyfunc import scoring_server

    try:
        frame = scoring_server.infer_and_parse_data(json.loads(body))  # no schema: every value as sent
    except Exception:  # not a JSON data frame: MLflow's own message says what is wrong
        return None
    if not isinstance(frame, pd.DataFrame):
        return None
    try:
        errors = check_rows(frame, rules)
    except MedcostError:  # a column is missing: MLflow's message names it
        return None
    if all(e is None for e in errors):
        return None
    answers: list[dict[str, Any]] = [{"predicted_cost": None, "error": e} for e in errors]
    passed = [i for i, e in enumerate(errors) if e is None]
    if passed:
        rows = frame.iloc[passed][list(rules.columns)].reset_index(drop=True)
        try:
            predicted = pd.DataFrame(model.predict(rows))
        except MlflowException:  # the passing rows still cannot be typed: MLflow's message says why
            return None
        for i, row in zip(passed, predicted.to_dict(orient="records"), strict=True):
            answers[i] = row
    for answer in answers:  # the model answers None, never NaN; this keeps it so
        cost = answer["predicted_cost"]
        answer["predicted_cost"] = float(cost) if cost is not None and np.isfinite(cost) else None
    return json.dumps({"predictions": answers}, allow_nan=False)


def build_app(model: "PyFuncModel", model_name: str, model_version: int) -> "FastAPI":
    """MLflow's scoring app for ``model`` with the safe ``/invocations`` and medcost's ``/version``."""
    from fastapi import Request
    from fastapi.responses import JSONResponse, Response
    from mlflow.exceptions import MlflowException
    from mlflow.pyfunc import scoring_server
    from mlflow.version import VERSION

    app = scoring_server.init(model)
    app.router.routes = [r for r in app.router.routes if getattr(r, "path", None) not in REPLACED_ROUTES]
    input_schema = model.metadata.get_input_schema()
    rules = served_rules(model)
    about = {
        "model_name": model_name,
        "model_version": model_version,
        "api_version": API_VERSION,
        "mlflow_version": VERSION,
    }

    def error(status: int, code: str, message: str) -> JSONResponse:
        return JSONResponse({"error_code": code, "message": message}, status_code=status)

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return error(500, "INTERNAL_ERROR", UNEXPECTED)

    app.add_exception_handler(Exception, unexpected)

    @app.get("/version")
    async def version() -> JSONResponse:
        return JSONResponse(about)

    @app.post("/invocations")
    async def invocations(request: Request) -> Any:
        body = await request.body()
        content_type = request.headers.get("content-type") or ""
        try:
            result = await asyncio.to_thread(scoring_server.invocations, body, content_type, model, input_schema)
        except MlflowException as exc:
            log.info("invocation refused: %s", one_line(exc.message)[:MESSAGE_LIMIT])
            per_row = await asyncio.to_thread(untyped_answers, model, rules, body) if rules is not None else None
            if per_row is not None:
                return Response(content=per_row, status_code=200, media_type="application/json")
            return error(exc.get_http_status_code(), str(exc.error_code), client_message(exc.message))
        except Exception as exc:  # a bug, not the client's fault: the details go to the log only
            log.error("invocation failed", exc_info=exc)
            return error(500, "INTERNAL_ERROR", UNEXPECTED)
        if result.status == 200 and not strict_json(result.response):
            log.error("the model answered with a non-JSON number (NaN or Infinity): not sent")
            return error(500, "INTERNAL_ERROR", UNEXPECTED)
        return Response(content=result.response, status_code=result.status, media_type=result.mimetype)

    return app
