"""Webhook notifications: a JSON POST when a model is promoted, fails its gates or is rolled back.

The URL comes from ``MEDCOST_WEBHOOK_URL`` (the environment or the untracked ``.env``,
which ``medcost.core.entry`` loads); without it nothing is sent. A URL often carries a token
(Slack, Teams, ntfy), so it is only ever shown as ``scheme://host[:port]``.

A notification is best effort: a timeout, a refused connection or a non-2xx answer is
logged as a warning and never fails the pipeline.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from medcost.core.errors import one_line
from medcost.core.secrets import env, mask_url

log = logging.getLogger(__name__)

WEBHOOK_ENV = "MEDCOST_WEBHOOK_URL"
DEFAULT_TIMEOUT_SECONDS = 5.0


def webhook_url() -> str | None:
    """The configured webhook URL, or None when notifications are off."""
    return env(WEBHOOK_ENV)


def post_json(url: str, payload: Mapping[str, Any], timeout: float = DEFAULT_TIMEOUT_SECONDS) -> bool:
    """POST ``payload`` as JSON to ``url``; True on a 2xx answer, False (logged) on any failure."""
    shown = mask_url(url, keep_path=False)
    if urlsplit(url).scheme not in ("http", "https"):
        log.warning("notification not sent: %s is not an http(s) URL (%s)", shown, WEBHOOK_ENV)
        return False
    body = json.dumps(payload, sort_keys=True, default=str).encode()
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json", "User-Agent": "medcost"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:  # a non-2xx answer (urllib raises for >= 400)
        log.warning("notification to %s failed: HTTP %d %s", shown, exc.code, exc.reason)
        return False
    except urllib.error.URLError as exc:  # refused, unknown host, TLS...
        log.warning("notification to %s failed: %s", shown, _reason(exc.reason))
        return False
    except (TimeoutError, OSError) as exc:  # a timeout while reading the answer, a reset connection
        log.warning("notification to %s failed: %s", shown, _reason(exc))
        return False
    except Exception as exc:
        log.warning("notification to %s failed: %s", shown, type(exc).__name__)
        return False
    if not 200 <= status < 300:
        log.warning("notification to %s failed: HTTP %d", shown, status)
        return False
    log.info("notification '%s' sent to %s", payload.get("event", "?"), shown)
    return True


def notify(payload: Mapping[str, Any], timeout: float = DEFAULT_TIMEOUT_SECONDS) -> bool | None:
    """Send ``payload`` to ``MEDCOST_WEBHOOK_URL`` if set: True sent, False failed (logged), None not configured."""
    url = webhook_url()
    if url is None:
        log.debug("no %s: notification '%s' not sent", WEBHOOK_ENV, payload.get("event", "?"))
        return None
    return post_json(url, payload, timeout)


def _reason(reason: object) -> str:
    # Socket errors name the problem, not the URL; keep one line.
    text = one_line(str(reason)) or type(reason).__name__
    return "timed out" if isinstance(reason, TimeoutError) or text == "timed out" else text


def promotion_event(decision: Mapping[str, Any]) -> dict[str, Any] | None:
    """The notification for a promote decision: ``promoted``, ``gate_failed``, or None (nothing to tell)."""
    if decision.get("champion_changed"):
        event = "promoted"
    elif not (decision.get("verdicts") or {}).get("passed", True):
        event = "gate_failed"
    else:
        return None
    keys = (
        "model_name",
        "candidate",
        "version",
        "lifecycle",
        "verdicts",
        "rmse",
        "champion_before",
        "champion_after",
        "aliases_after",
        "reasons",
    )
    return {"event": event, **{k: decision.get(k) for k in keys}}
