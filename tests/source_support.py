"""The demo source databases the tests generate: seeded, small, in a folder of the test's."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def demo_source(folder: Path, years: int = 5, clients: int = 1500) -> dict[str, Any]:
    """A seeded demo source database (SQLite) of ``clients`` clients over ``years`` years from 2021, and its truth file."""
    from medcost.demo_data import generate

    db = folder / "demo.db"
    truth = folder / "truth.parquet"
    generate(f"sqlite:///{db}", clients=clients, first_year=2021, years=years, seed=7, truth_path=truth, progress=False)
    return {"url": f"sqlite:///{db}", "path": db, "truth": truth}
