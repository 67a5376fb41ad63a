"""Atomic writes: a killed writer leaves no output that looks complete, and its temporary is removed by the next write."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from medcost.core.io import atomic_path, remove_stale_temporaries
from medcost.demo_data.target import temp_beside

ROOT = Path(__file__).resolve().parents[2]

# Writes part of a folder through atomic_path, says so, and waits to be killed mid-write.
WRITER = """
import sys, time
from pathlib import Path
from medcost.core.io import atomic_path
with atomic_path(sys.argv[1]) as tmp:
    tmp.mkdir()
    (tmp / "clients.parquet").write_bytes(b"complete")
    (tmp / "claims.parquet").write_bytes(b"half")
    print("writing", flush=True)
    time.sleep(600)
"""


def write_folder(target: Path, content: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.mkdir()
        (tmp / "clients.parquet").write_bytes(content)
        (tmp / "claims.parquet").write_bytes(content)


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_a_writer_killed_mid_write_leaves_a_temporary_that_the_next_write_removes(tmp_path):
    target = tmp_path / "data" / "raw"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
        os.kill(writer.pid, signal.SIGKILL)  # no finally, no atexit: what `kill -9` or the OOM killer does
    finally:
        writer.kill()
        writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    assert not target.exists()  # nothing half-written in place
    left = hidden(target.parent)
    assert len(left) == 1 and left[0].startswith(".raw.")

    write_folder(target, b"complete")
    assert hidden(target.parent) == []
    assert {p.name: p.read_bytes() for p in target.iterdir()} == {
        "clients.parquet": b"complete",
        "claims.parquet": b"complete",
    }


def test_only_the_targets_own_temporaries_are_removed(tmp_path):
    target = tmp_path / "raw"
    own = [tmp_path / ".raw.abcd_123", tmp_path / ".raw.zz99zz99"]
    for folder in own:
        (folder / "raw").mkdir(parents=True)
    others = [
        ".raw.backup.abcd1234",  # a temporary of another target, `raw.backup`
        ".rawx.abcd1234",
        ".raw.abc1234",  # not tempfile's 8 random characters
        ".raw.ABCD1234",
        ".raw.abcd1234.tmp",  # another kind of temporary (demo database)
        "raw.abcd1234",
        ".features.abcd1234",
    ]
    for name in others:
        (tmp_path / name).mkdir()
    (tmp_path / ".raw.abcd12_x").write_text("a stale temporary file")
    assert remove_stale_temporaries(target) == sorted([*own, tmp_path / ".raw.abcd12_x"])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(others)
    assert remove_stale_temporaries(tmp_path / "missing" / "raw") == []


def test_a_write_through_atomic_path_cleans_before_it_writes_and_keeps_the_old_target_on_error(tmp_path):
    target = tmp_path / "features.parquet"
    target.write_bytes(b"old")
    (tmp_path / ".features.parquet.k1ll3d00").mkdir()
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"new, half")
        raise RuntimeError("the stage failed")
    assert target.read_bytes() == b"old" and hidden(tmp_path) == []


def test_the_demo_generators_temporary_database_of_a_killed_run_is_removed(tmp_path):
    db = tmp_path / "demo.db"
    stale = tmp_path / ".demo.db.x1y2z3w4.tmp"
    stale.write_bytes(b"SQLite format 3\x00 and gigabytes more")
    kept = tmp_path / ".demo.db.x1y2z3w4"  # not the generator's pattern (no .tmp)
    kept.write_bytes(b"")
    temps: list[Path] = []
    made = temp_beside(db, temps)
    assert not stale.exists() and kept.exists() and made.exists() and temps == [made]
    assert made.name.startswith(".demo.db.") and made.name.endswith(".tmp")
