"""A temporary git repository holding this project, where the tests run real `dvc` commands."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the venv running the tests has dvc and the stages' packages


class Repo:
    """A throwaway git + DVC repository with the project's files, and a way to run commands in it."""

    def __init__(self, path: Path, env: dict[str, str]) -> None:
        self.path = path
        self.env = env

    def run(self, *cmd: str, check: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        result = subprocess.run(
            cmd, cwd=self.path, env={**self.env, **(env or {})}, text=True, capture_output=True, timeout=900
        )
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def dvc(self, *args: str, **kwargs: Any) -> subprocess.CompletedProcess:
        return self.run(str(BIN / "dvc"), *args, **kwargs)

    def set_param(self, dotted: str, value: str) -> None:
        """Change one scalar in params.yaml in place, keeping comments (like a person editing it)."""
        import re

        section, key = dotted.split(".", 1)
        text = (self.path / "params.yaml").read_text()
        start = text.index(f"\n{section}:\n")
        pattern = re.compile(rf"(\n  {re.escape(key)}: )([^\n#]*?)(\s*(#[^\n]*)?\n)")
        match = pattern.search(text, start)
        assert match, f"{dotted} not found in params.yaml"
        text = text[: match.start(2)] + value + text[match.end(2) :]
        (self.path / "params.yaml").write_text(text)


def project_files() -> list[str]:
    """The files git would commit: tracked and untracked-but-not-ignored."""
    out = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, text=True, capture_output=True, check=True
    ).stdout
    return [line for line in out.splitlines() if line and (ROOT / line).is_file()]


def new_repo(path: Path, source_url: str) -> Repo:
    """A git repository at ``path`` with the project's files committed, its pipeline reading ``source_url``."""
    for name in project_files():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "MEDCOST_SOURCE_URL": source_url,
        "GIT_AUTHOR_NAME": "medcost-tests",
        "GIT_AUTHOR_EMAIL": "tests@medcost.invalid",
        "GIT_COMMITTER_NAME": "medcost-tests",
        "GIT_COMMITTER_EMAIL": "tests@medcost.invalid",
        "DVC_NO_ANALYTICS": "1",
    }
    env.pop("VIRTUAL_ENV", None)
    repo = Repo(path, env)
    repo.run("git", "init", "-q", "-b", "main")
    repo.run("git", "add", "-A")
    repo.run("git", "commit", "-q", "-m", "medcost under test")
    return repo


@pytest.fixture(scope="module")
def make_repo(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Repo]:
    """A factory of repositories (:func:`new_repo`), each in its own temporary folder."""
    return lambda source_url: new_repo(tmp_path_factory.mktemp("clone"), source_url)


@pytest.fixture(scope="module")
def repo(make_repo: Callable[[str], Repo], small_source: dict[str, Any]) -> Repo:
    return make_repo(small_source["url"])
