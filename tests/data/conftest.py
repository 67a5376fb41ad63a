"""Fixtures of the data-quality tests."""

from __future__ import annotations

import pytest

from tests.unit.test_extract import ROOT


@pytest.fixture()
def workspace(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stages run in-process from the repository (the SQL files are named relative to it), on no configured source."""
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("MEDCOST_SOURCE_URL", raising=False)
