"""MLflow's log lines and its prints come out in medcost's one format (time, level, logger: message)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

SCRIPT = """
import sys
from medcost.core.entry import configure_logging
from medcost.promote.session import mlflow_session
configure_logging()
with mlflow_session("sqlite:///" + sys.argv[1]) as client:  # a new store: MLflow logs that it creates its tables
    client.search_experiments()
    from mlflow.utils.logging_utils import eprint
    eprint("Created version '1' of model 'medcost'.")  # how mlflow.register_model reports a version
"""
MEDCOST_LINE = re.compile(r"^\d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR|CRITICAL) +[\w.]+: \S")


def test_mlflow_lines_have_medcosts_format(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "mlflow.db")], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert any("mlflow.store.db.utils: Creating initial MLflow database tables" in line for line in lines), lines
    assert any(line.endswith("INFO    mlflow: Created version '1' of model 'medcost'.") for line in lines), lines
    assert lines and all(MEDCOST_LINE.match(line) for line in lines), lines  # no alembic chatter, no other format
