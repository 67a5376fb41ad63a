"""Progress bars show on a terminal and nowhere else (CI, pipes, DVC's background runs, MEDCOST_PROGRESS=off)."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios

import pytest

from medcost.core.progress import showing_progress, steps

SCRIPT = "from medcost.core.progress import steps\nfor _ in steps(range(3), 'counting'): pass\nprint('done')\n"
# a row counter and a clock, with a log line while they are drawn
FORMS = """
import logging, time
from medcost.core.entry import configure_logging
from medcost.core.progress import counting, waiting
configure_logging()
with counting("extract claims", 300) as advance:
    advance(200)
    logging.getLogger("medcost.x").info("halfway")
with waiting("loading model", every=0.05):
    time.sleep(0.3)
print("done")
"""


def run_on_a_terminal(env: dict[str, str], script: str = SCRIPT) -> str:
    """Run ``script`` with stdout and stderr on a pseudo-terminal; what the terminal received."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a new pty is 0 columns wide
    process = subprocess.Popen([sys.executable, "-c", script], stdout=follower, stderr=follower, env=env)
    os.close(follower)
    received = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        received += chunk
    process.wait(timeout=60)
    os.close(leader)
    return received.decode(errors="replace")


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"CI", "MEDCOST_PROGRESS"}}
    return {**env, **extra}


def test_a_terminal_gets_a_bar():
    shown = run_on_a_terminal(environment())
    assert "counting:   0%" in shown and "0/3" in shown and "done" in shown


@pytest.mark.parametrize("extra", [{"CI": "true"}, {"MEDCOST_PROGRESS": "off"}])
def test_ci_and_off_get_no_bar_even_on_a_terminal(extra):
    shown = run_on_a_terminal(environment(**extra))
    assert "counting" not in shown and "done" in shown


def test_a_pipe_gets_no_bar():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=environment())
    assert result.stdout == "done\n" and result.stderr == ""


def test_steps_yield_every_item_either_way(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert not showing_progress()
    assert list(steps(iter("abc"), "letters")) == ["a", "b", "c"]


def test_a_terminal_gets_a_row_counter_and_a_clock_and_log_lines_stay_whole():
    shown = run_on_a_terminal(environment(), FORMS)
    assert "extract claims:" in shown and "200/300" in shown and "loading model: 00:00" in shown
    assert "INFO    medcost.x: halfway" in shown and "done" in shown


def test_a_pipe_gets_the_log_lines_and_no_counter_or_clock():
    result = subprocess.run([sys.executable, "-c", FORMS], capture_output=True, text=True, env=environment())
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].endswith("INFO    medcost.x: halfway") and result.stdout == "done\n"
