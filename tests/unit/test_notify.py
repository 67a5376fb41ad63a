"""Webhook notifications against a local HTTP server on 127.0.0.1 (no other network)."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from medcost.core import notify
from medcost.core.contracts import PromotionDecision, RmsePair, VerdictFlags
from medcost.core.secrets import load_dotenv_file, mask_url
from tests.registry_support import (
    MODEL,
    run_stage,
    write_project,
)
from tests.webhook_support import TOKEN, Hook, serving_hook


@pytest.fixture()
def hook() -> Iterator[Hook]:
    with serving_hook() as hook:
        yield hook


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_post_json_delivers_the_payload(hook):
    assert notify.post_json(hook.url, {"event": "promoted", "version": 3}, timeout=5)
    assert hook.received == [
        {"path": f"/hooks/{TOKEN}?key={TOKEN}", "type": "application/json", "json": {"event": "promoted", "version": 3}}
    ]


@pytest.mark.parametrize("status", [404, 500, 503])
def test_a_non_2xx_answer_is_logged_masked_and_not_raised(hook, status, caplog):
    hook.status = status
    assert notify.post_json(hook.url, {"event": "gate_failed"}, timeout=5) is False
    assert f"HTTP {status}" in caplog.text
    assert f"http://127.0.0.1:{hook.server.server_address[1]}" in caplog.text
    assert TOKEN not in caplog.text and "/hooks" not in caplog.text


def test_a_refused_connection_is_logged_and_not_raised(caplog):
    url = f"http://127.0.0.1:{closed_port()}/hooks/{TOKEN}"
    assert notify.post_json(url, {"event": "promoted"}, timeout=2) is False
    assert "failed" in caplog.text and TOKEN not in caplog.text


def test_a_garbled_answer_is_logged_and_not_raised(caplog):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)

        def answer_garbage() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(b"this is not HTTP\r\n\r\n")

        thread = threading.Thread(target=answer_garbage, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/hooks/{TOKEN}"
        assert notify.post_json(url, {"event": "promoted"}, timeout=2) is False
        thread.join(timeout=5)
    assert "failed" in caplog.text and TOKEN not in caplog.text


def test_a_slow_receiver_times_out_quickly(hook, caplog):
    hook.delay = 3.0
    started = time.perf_counter()
    assert notify.post_json(hook.url, {"event": "promoted"}, timeout=0.3) is False
    assert time.perf_counter() - started < 2.5
    assert "timed out" in caplog.text and TOKEN not in caplog.text


def test_no_url_means_no_notification(monkeypatch):
    monkeypatch.delenv(notify.WEBHOOK_ENV, raising=False)
    assert notify.notify({"event": "promoted"}) is None


def test_the_url_can_come_from_dotenv(hook, monkeypatch, tmp_path):
    monkeypatch.delenv(notify.WEBHOOK_ENV, raising=False)
    (tmp_path / ".env").write_text(f"{notify.WEBHOOK_ENV}={hook.url}\n")
    monkeypatch.chdir(tmp_path)
    load_dotenv_file()
    try:
        assert notify.notify({"event": "promoted"}, timeout=5) is True
    finally:
        monkeypatch.delenv(notify.WEBHOOK_ENV, raising=False)  # load_dotenv wrote os.environ
    assert len(hook.received) == 1


def test_a_webhook_url_is_shown_as_scheme_and_host_only():
    assert (
        mask_url("https://user:pw@hooks.example.com/services/T0/B1/xyz?token=1", keep_path=False)
        == "https://hooks.example.com"
    )
    assert mask_url("http://127.0.0.1:8080/x", keep_path=False) == "http://127.0.0.1:8080"
    assert mask_url("not a url", keep_path=False) == "<unparseable URL>"
    assert notify.post_json("ftp://example.com/x", {}) is False


def decision(*, changed: bool, passed: bool, version: int = 2) -> PromotionDecision:
    before = {"challenger": 1, "champion": 1}
    after = {"challenger": version, "champion": version if changed else 1, **({"previous": 1} if changed else {})}
    return PromotionDecision(
        model_name=MODEL,
        tracking_uri="sqlite:///mlflow.db",
        candidate="tree",
        model_sha256="ab" * 32,
        version=version,
        registered_new_version=True,
        lifecycle="active" if passed else "archived",
        verdicts=VerdictFlags(passed=passed, quality=passed, drift=True),
        rmse=RmsePair(candidate=9.5, champion=10.0),
        champion_before=1,
        champion_after=after["champion"],
        champion_changed=changed,
        aliases_before=before,
        aliases_after=after,
        reasons=["test RMSE 9.5 beats the champion (version 1) 10"],
    )


def test_promotion_event():
    promoted = notify.promotion_event(decision(changed=True, passed=True).model_dump())
    assert promoted is not None and promoted["event"] == "promoted" and promoted["version"] == 2
    assert promoted["champion_after"] == 2 and promoted["aliases_after"]["previous"] == 1
    assert "tracking_uri" not in promoted and "model_sha256" not in promoted
    failed = notify.promotion_event(decision(changed=False, passed=False).model_dump())
    assert failed is not None and failed["event"] == "gate_failed"
    assert notify.promotion_event(decision(changed=False, passed=True).model_dump()) is None


# --------------------------------------------------------------------------- through the promote stage


def _stage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: dict[str, Any], store: str, url: str, passed: bool = True
) -> dict[str, Any]:
    params = write_project(tmp_path, data, model=data["good"], passed=passed)
    params["promote"] = {**params["promote"], "model_name": MODEL, "webhook_timeout_seconds": 1}
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store)
    monkeypatch.setenv(notify.WEBHOOK_ENV, url)
    run_stage("promote", params)
    return json.loads((tmp_path / "metrics/promotion.json").read_text())


def test_promote_notifies_a_promotion(hook, tmp_path, monkeypatch, data, store):
    decision = _stage(tmp_path, monkeypatch, data, store, hook.url)
    assert decision["champion_changed"]
    assert [r["json"]["event"] for r in hook.received] == ["promoted"]
    sent = hook.received[0]["json"]
    assert sent["model_name"] == MODEL and sent["version"] == 1 and sent["champion_after"] == 1


def test_promote_notifies_a_failed_gate(hook, tmp_path, monkeypatch, data, store):
    decision = _stage(tmp_path, monkeypatch, data, store, hook.url, passed=False)
    assert decision["lifecycle"] == "archived"
    assert [r["json"]["event"] for r in hook.received] == ["gate_failed"]
    assert "quality gates failed" in hook.received[0]["json"]["reasons"][0]


def test_a_failing_webhook_does_not_fail_promote(hook, tmp_path, monkeypatch, data, store, caplog):
    hook.status = 500
    caplog.set_level(logging.INFO)
    decision = _stage(tmp_path, monkeypatch, data, store, hook.url)
    assert decision["champion_after"] == 1  # promoted all the same
    assert len(hook.received) == 1 and "HTTP 500" in caplog.text
    assert TOKEN not in caplog.text and TOKEN not in (tmp_path / "metrics/promotion.json").read_text()
