"""The MLflow Model Registry: promote a candidate model, find the champion, roll back.

MLflow 3 replaced registry stages with aliases. medcost keeps ONE registered model
(``promote.model_name``) and this lifecycle:

- **register**: each distinct model file (sha256, stored as the version tag ``model_sha256``)
  becomes one version, with alias ``challenger`` (the newest version). Promoting the same
  file again registers nothing and logs no new run: it re-applies the verdicts to the
  existing version.
- **champion** (production): only if the quality and drift verdicts pass AND the candidate's
  RMSE on the current test set beats the current champion's, scored on the same rows
  (``models:/<name>@champion`` loaded with pyfunc). The replaced champion gets ``previous``.
- **archived**: a version failing its gates is tagged ``lifecycle=archived`` and never gets
  ``champion`` (if its verdicts pass on a later run, it is re-evaluated).
- **rollback**: ``champion`` goes back to the version holding ``previous``; the version rolled
  back from is archived with ``archived_reason=rollback`` (promote never re-promotes it) and
  ``previous`` is removed, so a second rollback says there is nothing to roll back to.

Every version carries its lineage as tags: git commit, the DVC hashes (dvc.lock) of the
data and model file it came from, the params sections, the verdicts and the DVC
experiment name when run by ``dvc exp run``.

Tracking store: ``MLFLOW_TRACKING_URI`` (environment or ``.env``), by default the SQLite file
``mlflow.db`` in the working directory, with artifacts in ``mlruns/`` beside it.

Command line: ``python -m medcost.registry status`` and ``python -m medcost.registry rollback``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import os
import re
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Sequence
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from medcost.errors import MedcostError

if TYPE_CHECKING:  # heavy: imported inside the functions that need it
    from mlflow import MlflowClient
    from mlflow.models import ModelSignature
    from mlflow.pyfunc import PyFuncModel

    from medcost.config import PromoteParams

log = logging.getLogger(__name__)

CHAMPION = "champion"
CHALLENGER = "challenger"
PREVIOUS = "previous"
ALIASES = (CHAMPION, CHALLENGER, PREVIOUS)

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
ARTIFACT_DIR = "mlruns"

TAG_SHA = "model_sha256"
TAG_LIFECYCLE = "lifecycle"
TAG_ARCHIVED_REASON = "archived_reason"
ACTIVE = "active"
ARCHIVED = "archived"
REASON_GATES = "gates"
REASON_ROLLBACK = "rollback"

TRUSTED_MODULES = ("sklearn", "numpy", "scipy", "functools")
"""Top-level modules whose types the skops model format may load (medcost's pipelines hold only these)."""

SECRET_WORDS = ("password", "passwd", "secret", "token", "api_key", "apikey", "credential", "private_key")

MODEL_DESCRIPTION = (
    "Next year's medical cost per insured client (medcost). Aliases: champion = served and used for "
    "batch predictions; challenger = newest version; previous = the champion before (rollback target). "
    "Versions tagged lifecycle=archived failed their gates or were rolled back."
)


# ------------------------------------------------------------------ URIs and secrets


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` if set, else the embedded SQLite store ``sqlite:///mlflow.db``.

    Under ``dvc exp run --temp`` or ``--queue`` a stage runs in a temporary copy of the
    repository; DVC then points ``DVC_ROOT`` at the real one, whose ``mlflow.db`` is used,
    so the experiment's versions are not lost with the copy.
    """
    configured = os.environ.get("MLFLOW_TRACKING_URI", "").strip()
    if configured:
        return configured
    root = os.environ.get("DVC_ROOT", "").strip()
    if root and Path(root).resolve() != Path.cwd().resolve():
        return f"sqlite:///{Path(root).resolve() / 'mlflow.db'}"
    return DEFAULT_TRACKING_URI


def mask_uri(uri: str) -> str:
    """``uri`` without user, password, query and fragment: safe for logs and the decision file.

    Everything up to the last ``@`` goes, so a password holding ``/`` or ``@`` is hidden too.
    """
    base = uri.split("#", 1)[0].split("?", 1)[0]
    scheme, separator, rest = base.partition("://")
    if not separator:
        return base
    if "@" in rest:
        rest = rest.rsplit("@", 1)[1]
    return f"{scheme}://{rest}"


def default_artifact_location(uri: str) -> str | None:
    """Where a new experiment keeps its artifacts: ``mlruns/`` beside a SQLite store; the server decides otherwise."""
    scheme = urlsplit(uri).scheme
    if scheme == "sqlite":
        database = uri.split(":///", 1)[1] if ":///" in uri else ""
        folder = Path(database).resolve().parent if database and database != ":memory:" else Path.cwd()
        return (folder / ARTIFACT_DIR).resolve().as_uri()
    if scheme in ("", "file"):
        return None  # a file store keeps artifacts in its own folder
    return None


def redact(value: Any) -> Any:
    """``value`` (nested dicts/lists/strings) with secret-looking keys and URL credentials masked."""
    if isinstance(value, Mapping):
        return {k: ("***" if any(w in str(k).lower() for w in SECRET_WORDS) else redact(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str) and "://" in value and ("@" in value or "?" in value):
        return mask_uri(value)
    return value


# ------------------------------------------------------------------ MLflow session


def quiet_mlflow() -> None:
    """No telemetry from MLflow unless the user asked for it (set before mlflow is imported)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


@contextmanager
def registry_lock(uri: str) -> Iterator[None]:
    """Serialise alias changes on an embedded SQLite store (``dvc queue start -j 2`` runs promotes at once).

    Reading the champion, comparing and moving aliases must not interleave, or two
    experiments could both be crowned and ``previous`` would point at the wrong version.
    A tracking server is shared by many clients and is left to its own consistency.
    """
    if not uri.startswith("sqlite:///") or uri.endswith(":memory:"):
        yield
        return
    import fcntl

    lock_path = Path(uri.split(":///", 1)[1] + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def mlflow_session(uri: str) -> Iterator["MlflowClient"]:
    """A client of ``uri``, with MLflow's global tracking and registry URIs set to it for the block."""
    quiet_mlflow()
    import mlflow
    from mlflow import MlflowClient

    # mlflow.set_tracking_uri also writes os.environ["MLFLOW_TRACKING_URI"]: put the environment back after.
    saved = {name: os.environ.get(name) for name in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        yield MlflowClient(tracking_uri=uri, registry_uri=uri)
    except Exception as exc:
        if _is_mlflow_error(exc):
            raise MedcostError(f"MLflow at {mask_uri(uri)}: {_first_line(exc)}") from None
        raise
    finally:
        mlflow.set_tracking_uri(None)
        mlflow.set_registry_uri(None)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _is_mlflow_error(exc: BaseException) -> bool:
    from mlflow.exceptions import MlflowException

    return isinstance(exc, MlflowException)


def _first_line(exc: BaseException) -> str:
    """The first line of an error, with any ``user:password@`` of a URL removed."""
    message = getattr(exc, "message", None) or str(exc)
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    return scrub(lines[0]) if lines else type(exc).__name__


def scrub(text: str) -> str:
    """``text`` with the credentials of any URL in it removed."""
    return re.sub(r"(?<=://)[^/@\s]+@", "", text)


def model_exists(client: "MlflowClient", name: str) -> bool:
    from mlflow.exceptions import MlflowException

    try:
        client.get_registered_model(name)
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            return False
        raise
    return True


def current_aliases(client: "MlflowClient", name: str) -> dict[str, int]:
    """The registered model's aliases (alias -> version number); empty when the model does not exist."""
    if not model_exists(client, name):
        return {}
    aliases = client.get_registered_model(name).aliases or {}
    return {alias: int(version) for alias, version in sorted(aliases.items())}


def champion_version(client: "MlflowClient", name: str, uri: str) -> int:
    """The version holding ``champion``, or a one-line error saying to run promote."""
    version = current_aliases(client, name).get(CHAMPION)
    if version is None:
        raise MedcostError(f"no champion for registered model '{name}' in {mask_uri(uri)}: "
                           "run promote first (dvc repro promote)")
    return version


def find_version(client: "MlflowClient", name: str, sha256: str) -> Any | None:
    """The version registered for the model file with this sha256, if any (the oldest one)."""
    if not model_exists(client, name):
        return None
    found = client.search_model_versions(f"name = '{name}' and tags.{TAG_SHA} = '{sha256}'")
    return min(found, key=lambda mv: int(mv.version)) if found else None


# ------------------------------------------------------------------ model inputs


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except FileNotFoundError:
        raise MedcostError(f"{path}: model file not found (run its train stage first)") from None
    return digest.hexdigest()


def input_types(model: Any, numeric: Sequence[str], categorical: Sequence[str]) -> dict[str, str]:
    """MLflow type of each column the model reads: ``double`` for numeric, ``string`` for categorical.

    The columns are the fitted pipeline's own (``feature_names_in_``) when it has them.
    """
    names = list(getattr(model, "feature_names_in_", [])) or [*numeric, *categorical]
    strings = set(categorical)
    unknown = [c for c in names if c not in strings and c not in set(numeric)]
    if unknown:
        raise MedcostError(f"model input: column(s) {', '.join(unknown)} are neither numeric nor categorical "
                           "in the transform params (params changed since training?)")
    return {c: ("string" if c in strings else "double") for c in names}


def model_signature(types: Mapping[str, str]) -> "ModelSignature":
    """Every input column required (a request missing one is refused); NaN/None allowed as values."""
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, DataType, Schema, TensorSpec

    inputs = Schema([ColSpec(DataType[kind], name, required=True) for name, kind in types.items()])
    outputs = Schema([TensorSpec(np.dtype("float64"), (-1,))])
    return ModelSignature(inputs=inputs, outputs=outputs)


def coerce_inputs(frame: pd.DataFrame, types: Mapping[str, str], what: str = "model input") -> pd.DataFrame:
    """The ``types`` columns of ``frame`` as the signature wants them (a new frame).

    double -> float64 (missing: NaN), long/integer -> int64, string -> object (missing: None).
    """
    missing = [c for c in types if c not in frame.columns]
    if missing:
        raise MedcostError(f"{what}: column(s) {', '.join(missing)} missing")
    out: dict[str, Any] = {}
    for name, kind in types.items():
        column = frame[name]
        if kind in ("double", "float"):
            try:
                out[name] = pd.to_numeric(column, errors="raise").astype("float64")
            except (TypeError, ValueError):
                raise MedcostError(f"{what}: column {name} is not numeric") from None
        elif kind in ("long", "integer"):
            if column.isna().any():
                raise MedcostError(f"{what}: integer column {name} has missing values")
            out[name] = column.astype("int64")
        elif kind == "string":
            text = column.astype(object)
            out[name] = text.where(column.notna(), None).map(lambda v: v if v is None else str(v))
        else:
            out[name] = column
    return pd.DataFrame(out, index=frame.index)


def pyfunc_input_types(model: "PyFuncModel") -> dict[str, str] | None:
    """Column -> MLflow type from a logged model's signature (None without a column signature)."""
    schema = model.metadata.get_input_schema()
    if schema is None or not schema.has_input_names():
        return None
    return {spec.name: spec.type.name for spec in schema.inputs}


def pyfunc_predict(model: "PyFuncModel", frame: pd.DataFrame) -> np.ndarray:
    """Predictions of a logged model for ``frame``, its inputs taken and typed by the model's signature."""
    types = pyfunc_input_types(model)
    inputs = coerce_inputs(frame, types, "champion input") if types else frame
    return np.asarray(model.predict(inputs), dtype="float64").ravel()


def rmse(y_true: Any, y_pred: Any) -> float:
    true = np.asarray(y_true, dtype="float64").ravel()
    pred = np.asarray(y_pred, dtype="float64").ravel()
    if true.shape != pred.shape or len(true) == 0:
        raise MedcostError(f"rmse: {len(true)} actual values and {len(pred)} predictions")
    return float(np.sqrt(np.mean((true - pred) ** 2)))


def skops_trusted_types(model: Any) -> list[str]:
    """The types skops must be told to trust to load ``model``; only from ``TRUSTED_MODULES``."""
    import skops.io

    types = sorted(skops.io.get_untrusted_types(data=skops.io.dumps(model)))
    foreign = [t for t in types if t.split(".", 1)[0] not in TRUSTED_MODULES]
    if foreign:
        raise MedcostError(f"model: holds types outside {', '.join(TRUSTED_MODULES)} that the skops format "
                           f"will not load safely: {', '.join(foreign)}")
    return types


# ------------------------------------------------------------------ verdicts and lineage


def read_verdicts(quality: Mapping[str, Any], drift: Mapping[str, Any] | None) -> dict[str, Any]:
    """Both verdicts, read defensively: anything but an explicit ``passed: true`` is a failure."""
    candidate = quality.get("candidate")
    quality_passed = quality.get("passed") is True and isinstance(candidate, str)
    verdict = drift.get("verdict") if isinstance(drift, Mapping) else None
    drift_passed = isinstance(verdict, Mapping) and verdict.get("passed") is True
    failed = list(verdict.get("failed") or []) if isinstance(verdict, Mapping) else []
    reasons = []
    if not quality_passed:
        reasons.append(f"quality gates failed: {quality.get('reason') or 'no candidate passes'}")
    if drift is None:
        reasons.append("drift verdict missing")
    elif not isinstance(verdict, Mapping) or "passed" not in verdict:
        reasons.append("drift verdict unreadable: no verdict.passed")
    elif not drift_passed:
        shown = ", ".join(str(f) for f in failed[:10]) or "see drift report"
        reasons.append(f"drift check failed: {shown}")
    return {
        "passed": quality_passed and drift_passed,
        "quality": {"passed": quality_passed, "candidate": candidate, "reason": str(quality.get("reason", ""))},
        "drift": {"passed": drift_passed, "failed": [str(f) for f in failed]},
        "reasons": reasons,
    }


def choose_candidate(quality: Mapping[str, Any], evaluation: Mapping[str, Any]) -> str:
    """The verdict's candidate; without one, the model with the lowest test RMSE (it will be archived)."""
    candidate = quality.get("candidate")
    if isinstance(candidate, str) and candidate:
        return candidate
    models = list(quality.get("models") or evaluation)
    if not models:
        raise MedcostError("quality verdict names no candidate and no models")

    def test_rmse(model: str) -> float:
        entry = evaluation.get(model)
        value = entry.get("test", {}).get("rmse") if isinstance(entry, Mapping) else None
        try:
            return float(value) if value is not None and math.isfinite(float(value)) else math.inf
        except (TypeError, ValueError):
            return math.inf

    return min(models, key=lambda m: (test_rmse(m), models.index(m)))


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


def lineage_tags(*, candidate: str, sha256: str, commit: str | None, hashes: Mapping[str, str],
                 params: Mapping[str, Any], env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The version tags that say where a model came from (all strings, secrets redacted)."""
    env = os.environ if env is None else env
    tags = {TAG_SHA: sha256, "candidate": candidate, "git_commit": commit or "unknown"}
    tags.update({f"dvc.{name}.md5": digest for name, digest in hashes.items()})
    tags.update({f"params.{name}": json.dumps(redact(value), sort_keys=True, default=str)
                 for name, value in params.items()})
    if env.get("DVC_EXP_NAME"):
        tags["dvc_exp_name"] = env["DVC_EXP_NAME"]
    if env.get("DVC_EXP_BASELINE_REV"):
        tags["dvc_exp_baseline_rev"] = env["DVC_EXP_BASELINE_REV"]
    return tags


def verdict_tags(verdicts: Mapping[str, Any], test_rmse: float) -> dict[str, str]:
    def word(passed: bool) -> str:
        return "passed" if passed else "failed"

    return {
        "verdict.passed": word(verdicts["passed"]),
        "verdict.quality": word(verdicts["quality"]["passed"]),
        "verdict.drift": word(verdicts["drift"]["passed"]),
        "verdict.reasons": "; ".join(verdicts["reasons"]) or "all gates passed",
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


def run_metrics(evaluation: Mapping[str, Any], quality: Mapping[str, Any], candidate: str) -> dict[str, float]:
    """The candidate's evaluation metrics and gate values (finite numbers only)."""
    metrics = {k: v for k, v in flatten(evaluation.get(candidate) or {}).items()}
    gates = ((quality.get("models") or {}).get(candidate) or {}).get("gates") or {}
    metrics.update({f"gate.{name}": gate.get("value") for name, gate in gates.items() if isinstance(gate, Mapping)})
    out = {}
    for key, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            continue
        if math.isfinite(float(value)):
            out[key] = float(value)
    return out


# ------------------------------------------------------------------ the decision


def decide(*, version: int, verdict_passed: bool, archived_reason: str | None, champion: int | None,
           candidate_rmse: float, champion_rmse: float | None, champion_error: str | None,
           min_improvement: float) -> tuple[bool, list[str]]:
    """Whether ``version`` becomes champion, and why (pure: no registry access)."""
    if champion == version:
        if not verdict_passed:
            return False, [f"version {version} is the champion and now fails its gates: it stays champion "
                           "(run `python -m medcost.registry rollback` to replace it)"]
        return False, [f"version {version} is already the champion"]
    if not verdict_passed:
        return False, [f"version {version} failed its gates: archived, never champion"]
    if archived_reason == REASON_ROLLBACK:
        return False, [f"version {version} was rolled back from champion: promote does not re-promote it "
                       f"(delete its '{TAG_LIFECYCLE}' tag to allow it)"]
    if champion is None:
        return True, ["no champion yet"]
    if champion_rmse is None:
        return True, [f"the champion (version {champion}) cannot score the current test set ({champion_error}): replaced"]
    bar = champion_rmse * (1.0 - min_improvement)
    if candidate_rmse < bar:
        return True, [f"test RMSE {candidate_rmse:.6g} beats the champion (version {champion}) {champion_rmse:.6g}"]
    needed = f" by {min_improvement:.2%}" if min_improvement > 0 else ""
    return False, [f"test RMSE {candidate_rmse:.6g} does not beat the champion (version {champion}) "
                   f"{champion_rmse:.6g}{needed}: stays challenger"]


@dataclass(frozen=True)
class Promotion:
    """Everything promote needs, gathered by the stage (no file access in the registry code)."""

    model_name: str
    experiment: str
    candidate: str                     # "tree" | "linear": which trained model
    model: Any                         # the fitted scikit-learn pipeline
    model_sha256: str                  # of the model file: the version's identity
    test: pd.DataFrame                 # the test set, with the target
    numeric: list[str]
    categorical: list[str]
    target: str
    verdicts: dict[str, Any]           # read_verdicts(...)
    metrics: dict[str, float]          # logged to the run
    params: dict[str, Any]             # params sections, logged to the run (flattened) and as version tags
    tags: dict[str, str]               # lineage_tags(...)
    artifacts: list[tuple[str, Path]] = field(default_factory=list)  # (run artifact folder, local file or folder)
    min_rmse_improvement: float = 0.0
    input_example_rows: int = 5


def promote(p: Promotion, uri: str, artifact_location: str | None = None) -> dict[str, Any]:
    """Log, register and maybe crown ``p``'s model; return the decision (deterministic fields only)."""
    types = input_types(p.model, p.numeric, p.categorical)
    if p.target not in p.test.columns:
        raise MedcostError(f"test set: target column {p.target} missing")
    x_test = coerce_inputs(p.test, types, "test set")
    y_test = p.test[p.target].to_numpy(dtype="float64")
    candidate_rmse = rmse(y_test, np.asarray(p.model.predict(x_test), dtype="float64"))
    log.info("candidate %s (sha256 %s): test RMSE %.6g", p.candidate, p.model_sha256[:12], candidate_rmse)

    with registry_lock(uri), mlflow_session(uri) as client:
        before = current_aliases(client, p.model_name)
        existing = find_version(client, p.model_name, p.model_sha256)
        champion = before.get(CHAMPION)

        registered = existing is None
        if existing is None:
            version = _log_and_register(client, p, types, x_test, candidate_rmse, artifact_location)
            archived_reason = None
        else:
            version = int(existing.version)
            archived_reason = existing.tags.get(TAG_ARCHIVED_REASON) if existing.tags.get(TAG_LIFECYCLE) == ARCHIVED else None
            log.info("model file already registered as %s version %d: no new version", p.model_name, version)
            for key, value in verdict_tags(p.verdicts, candidate_rmse).items():
                client.set_model_version_tag(p.model_name, str(version), key, value)

        champion_rmse, champion_error = None, None
        if champion is not None and champion != version and p.verdicts["passed"]:
            champion_rmse, champion_error = _score_version(p.model_name, champion, p.test, y_test)

        crowned, reasons = decide(version=version, verdict_passed=p.verdicts["passed"], archived_reason=archived_reason,
                                  champion=champion, candidate_rmse=candidate_rmse, champion_rmse=champion_rmse,
                                  champion_error=champion_error, min_improvement=p.min_rmse_improvement)
        lifecycle = _apply(client, p.model_name, version, registered=registered, crowned=crowned,
                           verdict_passed=p.verdicts["passed"], champion=champion, archived_reason=archived_reason)
        after = current_aliases(client, p.model_name)

    reasons = [*p.verdicts["reasons"], *reasons]
    for reason in reasons:
        log.info("%s version %d: %s", p.model_name, version, reason)
    from medcost.evaluation import round_floats

    return round_floats({
        "model_name": p.model_name,
        "tracking_uri": mask_uri(uri),
        "candidate": p.candidate,
        "model_sha256": p.model_sha256,
        "version": version,
        "registered_new_version": registered,
        "lifecycle": lifecycle,
        "verdicts": {"passed": p.verdicts["passed"], "quality": p.verdicts["quality"]["passed"],
                     "drift": p.verdicts["drift"]["passed"]},
        "rmse": {"candidate": candidate_rmse, "champion": champion_rmse},
        "champion_before": champion,
        "champion_after": after.get(CHAMPION),
        "champion_changed": after.get(CHAMPION) != champion,
        "aliases_before": before,
        "aliases_after": after,
        "reasons": redact(reasons),
    })


def _log_and_register(client: "MlflowClient", p: Promotion, types: Mapping[str, str], x_test: pd.DataFrame,
                      candidate_rmse: float, artifact_location: str | None) -> int:
    import mlflow
    import mlflow.sklearn

    experiment = client.get_experiment_by_name(p.experiment)
    if experiment is None:
        experiment_id = client.create_experiment(p.experiment, artifact_location=artifact_location)
        log.info("created MLflow experiment '%s' (artifacts: %s)", p.experiment, artifact_location or "server default")
    else:
        experiment_id = experiment.experiment_id
    if not model_exists(client, p.model_name):
        client.create_registered_model(p.model_name, description=MODEL_DESCRIPTION)

    run_tags = {k: v for k, v in p.tags.items() if not k.startswith("params.")}
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"{p.candidate}-{p.model_sha256[:12]}",
                          tags=run_tags) as run:
        mlflow.log_params({k: str(v) for k, v in flatten(redact(p.params)).items()})
        mlflow.log_metrics({**p.metrics, "promote.test_rmse": candidate_rmse})
        info = mlflow.sklearn.log_model(
            p.model,
            name="model",
            signature=model_signature(types),
            input_example=x_test.head(p.input_example_rows),
            serialization_format="skops",
            skops_trusted_types=skops_trusted_types(p.model),
            # explicit requirements: no slow subprocess inferring them from the model
            pip_requirements=mlflow.sklearn.get_default_pip_requirements(include_skops=True),
        )
        for folder, path in p.artifacts:
            if path.is_dir():
                mlflow.log_artifacts(str(path), artifact_path=folder)
            elif path.is_file():
                mlflow.log_artifact(str(path), artifact_path=folder)
        log.info("logged run %s in experiment '%s'", run.info.run_id, p.experiment)

    tags = {**p.tags, **verdict_tags(p.verdicts, candidate_rmse),
            TAG_LIFECYCLE: ACTIVE if p.verdicts["passed"] else ARCHIVED}
    if not p.verdicts["passed"]:
        tags[TAG_ARCHIVED_REASON] = REASON_GATES
    # One call creates the version with all its tags, model_sha256 included: no untagged version on a crash.
    created = mlflow.register_model(info.model_uri, p.model_name, tags=tags)
    log.info("registered %s version %s", p.model_name, created.version)
    return int(created.version)


def _score_version(name: str, version: int, test: pd.DataFrame, y_test: np.ndarray) -> tuple[float | None, str | None]:
    """The test RMSE of a registered version, or None and why it cannot score the test set."""
    import mlflow.pyfunc

    try:
        model = mlflow.pyfunc.load_model(f"models:/{name}/{version}")
        value = rmse(y_test, pyfunc_predict(model, test))
    except MedcostError as exc:
        return None, str(exc)
    except Exception as exc:  # a model that cannot load or predict the current features
        log.warning("champion %s version %d cannot score the test set: %s", name, version, _first_line(exc))
        return None, _first_line(exc)[:300]
    log.info("champion %s version %d: test RMSE %.6g", name, version, value)
    return value, None


def _apply(client: "MlflowClient", name: str, version: int, *, registered: bool, crowned: bool,
           verdict_passed: bool, champion: int | None, archived_reason: str | None) -> str:
    """Move the aliases and the lifecycle tag; return the version's lifecycle."""
    v = str(version)
    if registered:
        client.set_registered_model_alias(name, CHALLENGER, v)
    if crowned:
        if champion is not None:
            client.set_registered_model_alias(name, PREVIOUS, str(champion))
        client.set_registered_model_alias(name, CHAMPION, v)
    if not verdict_passed and champion != version:
        client.set_model_version_tag(name, v, TAG_LIFECYCLE, ARCHIVED)
        if archived_reason != REASON_ROLLBACK:
            client.set_model_version_tag(name, v, TAG_ARCHIVED_REASON, REASON_GATES)
        return ARCHIVED
    if verdict_passed and archived_reason == REASON_GATES:  # passes now: back in the race
        client.set_model_version_tag(name, v, TAG_LIFECYCLE, ACTIVE)
        client.delete_model_version_tag(name, v, TAG_ARCHIVED_REASON)
        return ACTIVE
    return ARCHIVED if archived_reason else ACTIVE


# ------------------------------------------------------------------ rollback and status


def rollback(client: "MlflowClient", name: str, uri: str) -> dict[str, Any]:
    """Move ``champion`` to the version holding ``previous``; archive the one rolled back from; drop ``previous``."""
    if not model_exists(client, name):
        raise MedcostError(f"rollback: no registered model '{name}' in {mask_uri(uri)}: run promote first")
    before = current_aliases(client, name)
    target, current = before.get(PREVIOUS), before.get(CHAMPION)
    if target is None:
        shown = f"version {current}" if current is not None else "none"
        raise MedcostError(f"rollback: no version of '{name}' holds alias '{PREVIOUS}' (champion: {shown}): "
                           "nothing to roll back to")
    client.set_registered_model_alias(name, CHAMPION, str(target))
    client.delete_registered_model_alias(name, PREVIOUS)
    if current is not None and current != target:
        client.set_model_version_tag(name, str(current), TAG_LIFECYCLE, ARCHIVED)
        client.set_model_version_tag(name, str(current), TAG_ARCHIVED_REASON, REASON_ROLLBACK)
    after = current_aliases(client, name)
    log.info("rolled back %s: champion version %s -> version %d", name, current, target)
    return {"model_name": name, "champion_before": current, "champion_after": target,
            "archived": current if current != target else None, "aliases_before": before, "aliases_after": after}


def status(client: "MlflowClient", name: str) -> dict[str, Any]:
    """Aliases and each version's lifecycle, newest first."""
    if not model_exists(client, name):
        return {"model_name": name, "aliases": {}, "versions": []}
    aliases = current_aliases(client, name)
    by_version: dict[int, list[str]] = {}
    for alias, version in aliases.items():
        by_version.setdefault(version, []).append(alias)
    versions = sorted(client.search_model_versions(f"name = '{name}'"), key=lambda mv: -int(mv.version))
    return {"model_name": name, "aliases": aliases, "versions": [
        {"version": int(mv.version), "aliases": sorted(by_version.get(int(mv.version), [])),
         "lifecycle": mv.tags.get(TAG_LIFECYCLE, ACTIVE), "archived_reason": mv.tags.get(TAG_ARCHIVED_REASON),
         "candidate": mv.tags.get("candidate"), "test_rmse": mv.tags.get("test_rmse"),
         "verdict": mv.tags.get("verdict.passed"), "git_commit": mv.tags.get("git_commit")}
        for mv in versions]}


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments every registry command line shares (registry, serve)."""
    parser.add_argument("--params", default="params.yaml", help="params file (default: params.yaml)")
    parser.add_argument("--model-name", help="registered model (default: promote.model_name)")


def start_tool(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the arguments, configure logging and read .env, as the stages do."""
    from medcost.cli import configure_logging, load_dotenv_file

    args = parser.parse_args(argv)
    configure_logging()
    load_dotenv_file()
    return args


def model_name(args: argparse.Namespace) -> str:
    """``--model-name``, else promote.model_name from the params file (read only when needed)."""
    return args.model_name or promote_params(args).model_name


def promote_params(args: argparse.Namespace) -> "PromoteParams":
    """The promote section of the params file, with ``--model-name`` applied."""
    from medcost.config import PromoteParams, read_params, section

    cfg = section(read_params(args.params), "promote", PromoteParams)
    return cfg.model_copy(update={"model_name": args.model_name}) if args.model_name else cfg


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m medcost.registry {status,rollback}``."""
    parser = argparse.ArgumentParser(prog="python -m medcost.registry",
                                     description="Inspect the medcost registered model or roll its champion back.")
    parser.add_argument("command", choices=["status", "rollback"],
                        help="status: aliases and versions; rollback: champion back to the version holding 'previous'")
    add_model_arguments(parser)
    args = start_tool(parser, argv)
    try:
        cfg = promote_params(args)
        name = cfg.model_name
        uri = tracking_uri()
        with registry_lock(uri), mlflow_session(uri) as client:
            if args.command == "status":
                print(json.dumps(status(client, name), indent=2))
                return
            result = rollback(client, name, uri)
    except MedcostError as exc:
        print(f"error: registry: {' '.join(str(exc).split())}", file=sys.stderr)
        sys.exit(1)
    archived = (f"; version {result['archived']} is archived (promote will not re-promote it)"
                if result["archived"] is not None else "")
    print(f"rolled back '{name}': champion version {result['champion_before']} -> version {result['champion_after']}"
          f"{archived}; alias '{PREVIOUS}' removed. Restart `make serve` and re-score with `dvc repro -s -f predict`.")
    from medcost.notify import notify

    notify({"event": "rolled_back", **result}, timeout=cfg.webhook_timeout_seconds)


if __name__ == "__main__":
    main()
