"""GitHub Actions workflows for the tests: lint one with the vendored GitHub schema (offline) and read its steps."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

WORKFLOWS = Path(__file__).resolve().parents[1] / ".github" / "workflows"


def linted_workflow(name: str) -> dict[str, Any]:
    """``.github/workflows/<name>`` after ``check-jsonschema --builtin-schema vendor.github-workflows`` passed on it."""
    path = WORKFLOWS / name
    lint = subprocess.run(
        [
            str(Path(sys.executable).with_name("check-jsonschema")),
            "--builtin-schema",
            "vendor.github-workflows",
            str(path),
        ],
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    spec = yaml.safe_load(path.read_text())
    spec["on"] = spec.pop(True)  # YAML 1.1 reads the key `on` as True
    return spec


def step_index(steps: list[dict[str, Any]], *, run: str = "", uses: str = "") -> int:
    """The position of the first step whose ``run`` starts with ``run`` (or contains it, after a newline) or whose ``uses`` starts with ``uses``."""
    for i, step in enumerate(steps):
        if run and any(line.strip().startswith(run) for line in step.get("run", "").splitlines()):
            return i
        if uses and step.get("uses", "").startswith(uses):
            return i
    raise AssertionError(f"no step {'runs ' + run if run else 'uses ' + uses}")
