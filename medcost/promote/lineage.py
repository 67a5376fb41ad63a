"""Where a registered version came from: the model file's sha256, DVC hashes, git commit, params and verdicts as tags.

The git state is HEAD and whether the code, SQL or params differ from it (``git_dirty``:
:data:`SOURCE_PATHS`, untracked files in them included; ``dvc.lock`` and DVC outputs do not
count); a ``dvc exp run`` is told by the variables DVC sets for every experiment's stages
(workspace, ``--temp`` and ``--queue`` runs alike: ``DVC_EXP_NAME``, ``DVC_EXP_BASELINE_REV``).
Under ``--temp``/``--queue`` the stage runs in DVC's temporary copy, whose HEAD is the
baseline commit and whose work tree holds the experiment's changes uncommitted, so the state
read in the working directory is the experiment's. Also the run's metrics: the candidate's
evaluation scores and gate values, flattened to MLflow's ``a.b.c`` keys.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from medcost.core.contracts import Backtest, Evaluation, QualityVerdict
from medcost.core.contracts.monitor import BACKTEST_RUN_PREFIX
from medcost.core.errors import MedcostError
from medcost.core.secrets import redact
from medcost.promote.decision import Verdicts
from medcost.promote.session import SERVED_FORMAT, TAG_SERVED, TAG_SHA

log = logging.getLogger(__name__)

SOURCE_PATHS = ("medcost", "stages", "sql", "params.yaml", "dvc.yaml")
"""What a model is made from besides data: a change here (uncommitted) makes the tree dirty."""


@dataclass(frozen=True)
class Lineage:
    """The git and DVC experiment state a promote runs in."""

    commit: str | None  # HEAD; None outside a git repository
    dirty: bool | None  # code, SQL or params differ from HEAD; None outside a git repository
    experiment: str | None = None  # DVC_EXP_NAME
    baseline_rev: str | None = None  # DVC_EXP_BASELINE_REV

    @property
    def in_experiment(self) -> bool:
        return bool(self.experiment or self.baseline_rev)

    def uncommitted(self, trained: bool = True) -> str | None:
        """Why a promote in this state crowns nobody by default (None: it may); ``trained=False``: an older version."""
        verb = "trained" if trained else "promoted"
        if self.in_experiment:
            shown = f" '{self.experiment}'" if self.experiment else ""
            return f"uncommitted: {verb} inside `dvc exp run`{shown} (apply it, commit, rerun promote)"
        if self.commit is None:
            return f"uncommitted: {verb} outside a git repository, so not traceable to a commit"
        if self.dirty:
            return (
                f"uncommitted: {verb} from a dirty tree (code, SQL or params differ from {self.commit[:12]}; "
                "commit, rerun promote)"
            )
        return None


def lineage_from_tags(tags: Mapping[str, str]) -> Lineage:
    """The lineage a registered version's tags record (see :func:`git_tags`)."""
    commit = tags.get("git_commit")
    return Lineage(
        commit=None if commit in (None, "", "unknown") else commit,
        dirty={"true": True, "false": False}.get(tags.get("git_dirty") or ""),
        experiment=tags.get("dvc_exp_name") or None,
        baseline_rev=tags.get("dvc_exp_baseline_rev") or None,
    )


def read_lineage(cwd: str | Path = ".", env: Mapping[str, str] | None = None) -> Lineage:
    """The lineage of a promote run in ``cwd``: HEAD, ``git_dirty`` and the DVC experiment, if any."""
    env = os.environ if env is None else env
    commit = git_commit(cwd)
    return Lineage(
        commit=commit,
        dirty=git_dirty(cwd) if commit is not None else None,
        experiment=env.get("DVC_EXP_NAME") or None,
        baseline_rev=env.get("DVC_EXP_BASELINE_REV") or None,
    )


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


def git_dirty(cwd: str | Path = ".", paths: tuple[str, ...] = SOURCE_PATHS) -> bool | None:
    """Whether ``paths`` (relative to ``cwd``) differ from HEAD, untracked files included; None if git cannot tell."""
    command = ["git", "status", "--porcelain", "--untracked-files=all", "--", *paths]
    try:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    changed = [line for line in result.stdout.splitlines() if line.strip()]
    if changed:
        log.info("uncommitted changes: %s", ", ".join(line[3:] for line in changed[:10]))
    return bool(changed)


def lineage_tags(
    *,
    candidate: str,
    sha256: str,
    lineage: Lineage,
    hashes: Mapping[str, str],
    params: Mapping[str, Any],
) -> dict[str, str]:
    """The version tags that say where a model came from (all strings, secrets redacted)."""
    tags = {TAG_SHA: sha256, TAG_SERVED: SERVED_FORMAT, "candidate": candidate, **git_tags(lineage)}
    tags.update({f"dvc.{name}.md5": digest for name, digest in hashes.items()})
    tags.update(
        {f"params.{name}": json.dumps(redact(value), sort_keys=True, default=str) for name, value in params.items()}
    )
    return tags


def git_tags(lineage: Lineage) -> dict[str, str]:
    """``git_commit``, ``git_dirty`` and, inside ``dvc exp run``, ``dvc_exp_name``/``dvc_exp_baseline_rev``."""
    dirty = "unknown" if lineage.dirty is None else str(lineage.dirty).lower()
    tags = {"git_commit": lineage.commit or "unknown", "git_dirty": dirty}
    if lineage.experiment:
        tags["dvc_exp_name"] = lineage.experiment
    if lineage.baseline_rev:
        tags["dvc_exp_baseline_rev"] = lineage.baseline_rev
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


def run_metrics(
    evaluation: Evaluation | None, quality: QualityVerdict, candidate: str, backtest: Backtest | None = None
) -> dict[str, float]:
    """The candidate's evaluation metrics, its backtest mean (``backtest.r2``, ...: what monitor expects of the
    version) and gate values (finite numbers only)."""
    scores = evaluation.models.get(candidate) if evaluation is not None else None
    metrics = flatten(scores.model_dump() if scores is not None else {})
    family = backtest.models.get(candidate) if backtest is not None else None
    if family is not None:
        mean = family.mean.model_dump(exclude={"predictive_ratio"})
        metrics.update({f"{BACKTEST_RUN_PREFIX}.{name}": value for name, value in mean.items()})
    verdict = quality.models.get(candidate)
    if verdict is not None:
        metrics.update({f"gate.{name}": gate.value for name, gate in verdict.gates.items()})
    return {
        key: float(value)
        for key, value in metrics.items()
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(float(value))
    }
