"""`make serve`'s port: PORT= (--port), else MEDCOST_SERVE_PORT from the environment or .env, else 5001."""

from __future__ import annotations

import pytest

from medcost.core.errors import MedcostError
from medcost.core.secrets import load_dotenv_file
from medcost.serve.serve import DEFAULT_PORT, serve_port


def test_the_flag_wins_then_the_variable_then_the_default(monkeypatch):
    monkeypatch.delenv("MEDCOST_SERVE_PORT", raising=False)
    assert serve_port(None) == DEFAULT_PORT == 5001
    monkeypatch.setenv("MEDCOST_SERVE_PORT", "6123")
    assert serve_port(None) == 6123
    assert serve_port(7000) == 7000


def test_the_variable_may_come_from_dotenv(monkeypatch, tmp_path):
    monkeypatch.delenv("MEDCOST_SERVE_PORT", raising=False)
    (tmp_path / ".env").write_text("MEDCOST_SERVE_PORT=6234\n")
    load_dotenv_file(tmp_path / ".env")
    assert serve_port(None) == 6234
    monkeypatch.delenv("MEDCOST_SERVE_PORT")  # load_dotenv set it in os.environ: undo it for other tests


@pytest.mark.parametrize(("value", "message"), [("http", "MEDCOST_SERVE_PORT = 'http': not a port number")])
def test_a_bad_port_is_named(monkeypatch, value, message):
    monkeypatch.setenv("MEDCOST_SERVE_PORT", value)
    with pytest.raises(MedcostError, match=message):
        serve_port(None)
    with pytest.raises(MedcostError, match="port 70000: not a port number"):
        serve_port(70000)
