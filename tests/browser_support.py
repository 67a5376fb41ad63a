"""Headless Chromium for the page tests: open a file with the network blocked and record every request it made.

Debian's ``chromium``, driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``:
NUL-terminated JSON on file descriptors 3 and 4), so no port, no extra Python package. Host
names resolve to nothing and every connection goes to a proxy on a closed loopback port, so a
page that tries to load a script from a CDN gets an error, not the script; the test then finds
the request in ``Visit.requests`` (every URL the page asked for, from the Network events).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

BLOCKED_NETWORK = [
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=http://127.0.0.1:9",  # the discard port, closed: any connection is refused here
    "--proxy-bypass-list=<-loopback>",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-pings",
]
# the same, except that 127.0.0.1 resolves and bypasses the closed proxy
LOOPBACK_ONLY = [
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    *(flag for flag in BLOCKED_NETWORK if not flag.startswith(("--host-resolver-rules", "--proxy-bypass-list"))),
]

LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
"""Requests that stay on the machine."""


def require_chromium() -> str:
    """The chromium executable; skip (or fail under CI, which installs it in .ci/run) when it is missing."""
    path = shutil.which("chromium")
    if path is None:
        reason = "chromium not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must not skip the page tests (.ci/run installs it)")
        pytest.skip(reason)
    return path


@dataclass
class Visit:
    """What a page did: every URL it requested, those that failed, its script and console errors, the probe's answer."""

    url: str
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    probe: Any = None

    @property
    def remote_requests(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(LOCAL_SCHEMES)]


class Browser:
    """One headless Chromium process; ``open(path, probe)`` loads a page in a new tab."""

    def __init__(self, executable: str, *, loopback: bool = False) -> None:
        """``loopback``: pages may reach servers on 127.0.0.1 (the MLflow UI); everything else stays blocked."""
        self._profile = tempfile.mkdtemp(prefix="medcost-chromium-")
        commands_read, self._commands = os.pipe()
        self._replies, replies_write = os.pipe()

        def wire_pipes() -> None:  # in the child: fd 3 reads our commands, fd 4 writes its replies
            # copied above both first, so neither is overwritten; dup2 makes 3 and 4 inheritable
            commands, replies = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (commands_read, replies_write))
            os.dup2(commands, 3)
            os.dup2(replies, 4)

        self._process = subprocess.Popen(
            [
                executable,
                "--headless",
                "--no-sandbox",  # tests run as root in CI
                "--disable-gpu",
                "--hide-scrollbars",
                "--window-size=1280,900",
                f"--user-data-dir={self._profile}",
                "--remote-debugging-pipe",
                *(LOOPBACK_ONLY if loopback else BLOCKED_NETWORK),
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire_pipes,
            close_fds=False,
        )
        os.close(commands_read)
        os.close(replies_write)
        self._next_id = 0
        self._messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self._events: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        while chunk := os.read(self._replies, 1 << 16):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for message in messages:
                self._messages.put(json.loads(message))

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        """Send one DevTools command and wait for its result (events meanwhile are kept)."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + 60
        while True:
            reply = self._messages.get(timeout=max(0.1, deadline - time.monotonic()))
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))
            self._events.append(reply)

    def _wait_for(self, method: str, session: str, timeout: float) -> None:
        """Wait until the tab ``session`` sends the event ``method`` (kept with the other events)."""
        deadline = time.monotonic() + timeout
        seen = lambda: any(e.get("method") == method and e.get("sessionId") == session for e in self._events)  # noqa: E731
        while not seen():
            self._events.append(self._messages.get(timeout=max(0.1, deadline - time.monotonic())))

    def _drain(self) -> None:
        while not self._messages.empty():
            self._events.append(self._messages.get())

    def open(self, path: Path | str, probe: str, done: str = "true", timeout: float = 30.0) -> Visit:
        """Load ``path`` (a file, or a URL), evaluate the JavaScript ``probe`` until ``done`` (on its value ``p``) holds."""
        url = path if isinstance(path, str) else path.resolve().as_uri()
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Network", "Page", "Runtime", "Log"):
            self.send(f"{domain}.enable", session=session)
        self._events.clear()
        self.send("Page.navigate", {"url": url}, session=session)
        self._wait_for("Page.loadEventFired", session, timeout)
        visit = Visit(url)
        expression = f"(() => {{ const p = ({probe}); return {{p, done: Boolean({done})}}; }})()"
        deadline = time.monotonic() + timeout
        while True:
            answer = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session)
            if "exceptionDetails" in answer:
                raise AssertionError(f"{url}: the probe failed: {answer['exceptionDetails']}")
            value = answer.get("result", {}).get("value") or {}
            ready = self.send(
                "Runtime.evaluate",
                {"expression": "[document.readyState, location.href]", "returnByValue": True},
                session=session,
            )
            state, href = ready.get("result", {}).get("value") or ["", ""]
            loaded = state == "complete" and (href == url or isinstance(path, str))  # an app may rewrite its URL
            if (loaded and value.get("done")) or time.monotonic() > deadline:
                visit.probe = value.get("p")
                break
            time.sleep(0.25)
        time.sleep(0.5)  # late requests (fonts, images) still get recorded
        self._drain()
        urls: dict[str, str] = {}
        for event in self._events:
            if event.get("sessionId") != session:
                continue
            params = event.get("params", {})
            if event.get("method") == "Network.requestWillBeSent":
                urls[params["requestId"]] = params["request"]["url"]
                visit.requests.append(params["request"]["url"])
            elif event.get("method") == "Network.loadingFailed":
                visit.failed.append(f"{urls.get(params['requestId'], '?')} ({params.get('errorText')})")
            elif event.get("method") == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                visit.errors.append(details.get("exception", {}).get("description") or details.get("text", ""))
            elif event.get("method") == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                visit.errors.append(params["entry"].get("text", ""))
        self.send("Target.closeTarget", {"targetId": target})
        return visit

    def screenshot(self, path: Path, out: Path) -> None:
        """A PNG of the page at ``path``, for a person to look at (not used by the assertions)."""
        import base64

        target = self.send("Target.createTarget", {"url": path.resolve().as_uri()})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        time.sleep(3)
        data = self.send("Page.captureScreenshot", {"format": "png"}, session=session)["data"]
        out.write_bytes(base64.b64decode(data))
        self.send("Target.closeTarget", {"targetId": target})

    def close(self) -> None:
        with contextlib.suppress(Exception):  # already gone: nothing to close
            self.send("Browser.close")
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        os.close(self._commands)
        shutil.rmtree(self._profile, ignore_errors=True)
