"""Where a registered version came from: the model file's sha256, DVC hashes, git commit, params and verdicts as tags.

Also the run's metrics: the candidate's evaluation scores and gate values, flattened to
MLflow's ``a.b.c`` keys.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from medcost.core.contracts import Evaluation, QualityVerdict
from medcost.core.errors import MedcostError
from medcost.core.secrets import redact
from medcost.promote.decision import Verdicts
from medcost.promote.session import TAG_SHA

log = logging.getLogger(__name__)


def file_sha256(path: str | Path) -> str:
    """The sha256 of a model file: the identity of its registered version."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except FileNotFoundError:
        raise MedcostError(f"{path}: model file not found (run its train stage first)") from None
    return digest.hexdigest()


def dvc_hashes(lock: Mapping[str, Any] | None, files: Mapping[str, str]) -> dict[str, str]:
    """The md5 dvc.lock records for each named path (a stage's outs first, then deps)."""
    index: dict[str, str] = {}
    stages = (lock or {}).get("stages") or {}
    for kind in ("outs", "deps"):
        for stage in stages.values():
            for entry in stage.get(kind) or []:
                digest = entry.get("md5") if isinstance(entry, Mapping) else None  # "hash" names the algorithm
                if isinstance(digest, str) and entry.get("path"):
                    index.setdefault(_norm(entry["path"]), digest)
    found = {name: index[_norm(path)] for name, path in files.items() if _norm(path) in index}
    for name, path in files.items():
        if name not in found:
            log.warning("dvc.lock has no hash for %s (%s): run through `dvc repro` for full lineage", name, path)
    return found


def _norm(path: str) -> str:
    return str(PurePosixPath(os.path.normpath(str(path)).replace(os.sep, "/")))


def git_commit(cwd: str | Path = ".") -> str | None:
    """``git rev-parse HEAD``, or None outside a git repository."""
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and commit else None


def lineage_tags(
    *,
    candidate: str,
    sha256: str,
    commit: str | None,
    hashes: Mapping[str, str],
    params: Mapping[str, Any],
    env: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The version tags that say where a model came from (all strings, secrets redacted)."""
    env = os.environ if env is None else env
    tags = {TAG_SHA: sha256, "candidate": candidate, "git_commit": commit or "unknown"}
    tags.update({f"dvc.{name}.md5": digest for name, digest in hashes.items()})
    tags.update(
        {f"params.{name}": json.dumps(redact(value), sort_keys=True, default=str) for name, value in params.items()}
    )
    if env.get("DVC_EXP_NAME"):
        tags["dvc_exp_name"] = env["DVC_EXP_NAME"]
    if env.get("DVC_EXP_BASELINE_REV"):
        tags["dvc_exp_baseline_rev"] = env["DVC_EXP_BASELINE_REV"]
    return tags


def verdict_tags(verdicts: Verdicts, test_rmse: float) -> dict[str, str]:
    """The version tags of one promotion's verdicts and the candidate's test RMSE."""

    def word(passed: bool) -> str:
        return "passed" if passed else "failed"

    return {
        "verdict.passed": word(verdicts.passed),
        "verdict.quality": word(verdicts.quality),
        "verdict.drift": word(verdicts.drift),
        "verdict.reasons": "; ".join(verdicts.reasons) or "all gates passed",
        "test_rmse": f"{test_rmse:.6g}",
    }


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts as ``a.b.c`` keys (for MLflow params and metrics)."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(flatten(inner, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): value}


def run_metrics(evaluation: Evaluation | None, quality: QualityVerdict, candidate: str) -> dict[str, float]:
    """The candidate's evaluation metrics and gate values (finite numbers only)."""
    scores = evaluation.models.get(candidate) if evaluation is not None else None
    metrics = flatten(scores.model_dump() if scores is not None else {})
    verdict = quality.models.get(candidate)
    if verdict is not None:
        metrics.update({f"gate.{name}": gate.value for name, gate in verdict.gates.items()})
    return {
        key: float(value)
        for key, value in metrics.items()
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(float(value))
    }
