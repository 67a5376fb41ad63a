"""Atomic reads and writes of the files stages pass on: a crash never leaves a half-written output that looks complete."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from medcost.core.errors import MedcostError


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds.

    Works for files and for directories (the block creates whichever it needs). The
    temporary folder is ``.<name>.<random>`` beside the target and is always removed.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    tmp = tmp_dir / target.name
    try:
        yield tmp
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


def write_json(path: str | Path, data: Any) -> None:
    """Write ``data`` as indented, key-sorted JSON, atomically (stable bytes for DVC diffs)."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def read_json(path: str | Path, made_by: str | None = None) -> Any:
    """Read a JSON file; a missing or broken file is a one-line MedcostError naming it."""
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        hint = f" (run the {made_by} stage first)" if made_by else ""
        raise MedcostError(f"{path}: file not found{hint}") from None
    except json.JSONDecodeError as exc:
        raise MedcostError(f"{path}: not valid JSON: {exc}") from None


def write_parquet(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a data frame to Parquet (no index), atomically."""
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)


def read_parquet(path: str | Path, made_by: str | None = None) -> pd.DataFrame:
    """Read a Parquet file; a missing file is a one-line MedcostError naming it and the stage that writes it."""
    try:
        return pd.read_parquet(path)
    except FileNotFoundError:
        hint = f" (run the {made_by} stage first)" if made_by else ""
        raise MedcostError(f"{path}: file not found{hint}") from None
