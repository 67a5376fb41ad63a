"""Atomic reads and writes of the files stages pass on: a crash never leaves a half-written output that looks complete."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from medcost.core.errors import MedcostError

log = logging.getLogger(__name__)

TEMP_RANDOM = "[a-z0-9_]{8}"
"""The random part ``tempfile`` puts in a temporary name (8 characters of a-z, 0-9 and _)."""


def temp_prefix(target: Path) -> str:
    """The prefix of the temporaries made beside ``target``: ``.<name>.`` (hidden, same filesystem)."""
    return f".{target.name}."


def remove_stale_temporaries(target: str | Path, suffix: str = "") -> list[Path]:
    """Remove what killed earlier writes of ``target`` left beside it: ``.<name>.<random><suffix>``.

    Only names of exactly that pattern go (another target's temporaries have another name).
    Safe because no other write of the same target can be under way: DVC runs the stages of a
    workspace one at a time, under its repository lock, and ``dvc exp run --temp/--queue`` runs
    each experiment in its own copy; a normal exit or an exception removes its own temporary.
    """
    target = Path(target)
    pattern = re.compile(re.escape(temp_prefix(target)) + TEMP_RANDOM + re.escape(suffix))
    try:
        candidates = list(target.parent.iterdir())
    except FileNotFoundError:
        return []
    stale = sorted(p for p in candidates if pattern.fullmatch(p.name))
    for leftover in stale:
        log.warning("%s: removing %s, left by an interrupted earlier write", target, leftover.name)
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
    return stale


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds.

    Works for files and for directories (the block creates whichever it needs). The
    temporary folder is ``.<name>.<random>`` beside the target and is always removed; one
    left by a killed process (SIGKILL runs no cleanup) is removed by the next write.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    tmp_dir = Path(tempfile.mkdtemp(prefix=temp_prefix(target), dir=target.parent))
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


def read_parquet(
    path: str | Path,
    made_by: str | None = None,
    columns: list[str] | None = None,
    filters: list[tuple[str, str, Any]] | None = None,
) -> pd.DataFrame:
    """Read a Parquet file (only ``columns``, only the rows ``filters`` keep, as pyarrow's ``filters``);
    a missing file is a one-line MedcostError naming it and the stage that writes it."""
    try:
        return pd.read_parquet(path, columns=columns, filters=filters)
    except FileNotFoundError:
        hint = f" (run the {made_by} stage first)" if made_by else ""
        raise MedcostError(f"{path}: file not found{hint}") from None
