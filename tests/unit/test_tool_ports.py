"""The tools' ports: PORT= (--port), else a variable from the environment or .env, else a default.

`make serve`: MEDCOST_SERVE_PORT, 5001; `make mlflow-ui`: MEDCOST_MLFLOW_PORT, 5000 (and the
address it prints opens MLflow's UI on the experiment's runs).
"""

from __future__ import annotations

import pytest

from medcost.core.errors import MedcostError
from medcost.core.secrets import load_dotenv_file
from medcost.registry.ui import experiment_url, ui_port
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


def test_the_mlflow_ui_has_its_own_port_variable(monkeypatch):
    monkeypatch.delenv("MEDCOST_MLFLOW_PORT", raising=False)
    monkeypatch.setenv("MEDCOST_SERVE_PORT", "6123")  # not this tool's
    assert ui_port(None) == 5000 and ui_port(5100) == 5100
    monkeypatch.setenv("MEDCOST_MLFLOW_PORT", "5200")
    assert ui_port(None) == 5200
    monkeypatch.setenv("MEDCOST_MLFLOW_PORT", "five")
    with pytest.raises(MedcostError, match="MEDCOST_MLFLOW_PORT = 'five': not a port number"):
        ui_port(None)


def test_the_ui_address_selects_model_training_on_the_experiment():
    assert experiment_url("http://127.0.0.1:5000/", "3") == (
        "http://127.0.0.1:5000/#/experiments/3?workflowType=machine_learning"
    )
    assert experiment_url("http://127.0.0.1:5000", None).endswith("/#/experiments?workflowType=machine_learning")
