"""The registered model's versions and aliases: look them up, roll the champion back, show the status."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from medcost.core.errors import MedcostError
from medcost.core.secrets import mask_url
from medcost.promote.session import (
    ACTIVE,
    ARCHIVED,
    CHAMPION,
    PREVIOUS,
    REASON_ROLLBACK,
    SERVED_FORMAT,
    TAG_ARCHIVED_REASON,
    TAG_LIFECYCLE,
    TAG_PENDING,
    TAG_SERVED,
    TAG_SHA,
)

if TYPE_CHECKING:  # heavy: imported inside the functions that need it
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

log = logging.getLogger(__name__)


def model_exists(client: MlflowClient, name: str) -> bool:
    """Whether the registered model ``name`` exists."""
    from mlflow.exceptions import MlflowException

    try:
        client.get_registered_model(name)
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            return False
        raise
    return True


def current_aliases(client: MlflowClient, name: str) -> dict[str, int]:
    """The registered model's aliases (alias -> version number); empty when the model does not exist."""
    if not model_exists(client, name):
        return {}
    aliases = client.get_registered_model(name).aliases or {}
    return {alias: int(version) for alias, version in sorted(aliases.items())}


def champion_version(client: MlflowClient, name: str, uri: str) -> int:
    """The version holding ``champion``, or a one-line error saying to run promote."""
    version = current_aliases(client, name).get(CHAMPION)
    if version is None:
        raise MedcostError(
            f"no champion for registered model '{name}' in {mask_url(uri)}: run promote first (dvc repro promote)"
        )
    return version


def find_version(client: MlflowClient, name: str, sha256: str) -> ModelVersion | None:
    """The version registered for the model file with this sha256 in today's served format, if any (the oldest one).

    A version registered before the served model checked its inputs is not found: the same file
    becomes a new version that serve and predict accept.
    """
    if not model_exists(client, name):
        return None
    found = client.search_model_versions(
        f"name = '{name}' and tags.{TAG_SHA} = '{sha256}' and tags.{TAG_SERVED} = '{SERVED_FORMAT}'"
    )
    return min(found, key=lambda mv: int(mv.version)) if found else None


def rollback(client: MlflowClient, name: str, uri: str) -> dict[str, Any]:
    """Move ``champion`` to the version holding ``previous``; archive the one rolled back from; drop ``previous``."""
    if not model_exists(client, name):
        raise MedcostError(f"rollback: no registered model '{name}' in {mask_url(uri)}: run promote first")
    if TAG_PENDING in (client.get_registered_model(name).tags or {}):
        raise MedcostError(
            f"rollback: a promote of '{name}' was interrupted and its moves are unfinished "
            f"(registered model tag '{TAG_PENDING}'): rerun promote first (dvc repro promote)"
        )
    before = current_aliases(client, name)
    target, current = before.get(PREVIOUS), before.get(CHAMPION)
    if target is None:
        shown = f"version {current}" if current is not None else "none"
        raise MedcostError(
            f"rollback: no version of '{name}' holds alias '{PREVIOUS}' (champion: {shown}): nothing to roll back to"
        )
    client.set_registered_model_alias(name, CHAMPION, str(target))
    client.delete_registered_model_alias(name, PREVIOUS)
    if current is not None and current != target:
        client.set_model_version_tag(name, str(current), TAG_LIFECYCLE, ARCHIVED)
        client.set_model_version_tag(name, str(current), TAG_ARCHIVED_REASON, REASON_ROLLBACK)
    after = current_aliases(client, name)
    log.info("rolled back %s: champion version %s -> version %d", name, current, target)
    return {
        "model_name": name,
        "champion_before": current,
        "champion_after": target,
        "archived": current if current != target else None,
        "aliases_before": before,
        "aliases_after": after,
    }


def status(client: MlflowClient, name: str) -> dict[str, Any]:
    """Aliases and each version's lifecycle, newest first."""
    if not model_exists(client, name):
        return {"model_name": name, "aliases": {}, "versions": []}
    aliases = current_aliases(client, name)
    by_version: dict[int, list[str]] = {}
    for alias, version in aliases.items():
        by_version.setdefault(version, []).append(alias)
    versions = sorted(client.search_model_versions(f"name = '{name}'"), key=lambda mv: -int(mv.version))
    return {
        "model_name": name,
        "aliases": aliases,
        "versions": [
            {
                "version": int(mv.version),
                "aliases": sorted(by_version.get(int(mv.version), [])),
                "lifecycle": mv.tags.get(TAG_LIFECYCLE, ACTIVE),
                "archived_reason": mv.tags.get(TAG_ARCHIVED_REASON),
                "candidate": mv.tags.get("candidate"),
                "test_rmse": mv.tags.get("test_rmse"),
                "verdict": mv.tags.get("verdict.passed"),
                "git_commit": mv.tags.get("git_commit"),
                "git_dirty": mv.tags.get("git_dirty"),
                "experiment": mv.tags.get("dvc_exp_name"),
            }
            for mv in versions
        ],
    }
