"""The idempotent registry moves of a promote plan (aliases, lifecycle tags); what a rerun does with an unfinished one.

A promote that finds the plan of an interrupted one (:mod:`medcost.promote.plan`):

- same request (the rerun of the interrupted promote): goes on from it — registers the
  version if the crash came before that, applies every move again (a move already made is a
  no-op) and publishes the decision the interrupted run would have published;
- another request (another model file, other verdicts): first completes the interrupted
  promote's moves if its version was registered (else it changed nothing and is dropped),
  then promotes as usual — as if the interrupted promote had finished before it;
- aliases neither where the plan started nor on its way (moved by hand since): drops the
  plan with a warning and promotes as usual.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from medcost.core.faults import crash_point
from medcost.promote.plan import PromotePlan, clear_plan, read_plan
from medcost.promote.session import (
    ACTIVE,
    ARCHIVED,
    CHALLENGER,
    CHAMPION,
    PREVIOUS,
    REASON_GATES,
    REASON_ROLLBACK,
    TAG_ARCHIVED_REASON,
    TAG_LIFECYCLE,
)
from medcost.promote.versions import current_aliases, find_version

if TYPE_CHECKING:  # heavy: imported inside the functions that need it
    from mlflow import MlflowClient

log = logging.getLogger(__name__)


def settle_pending(client: MlflowClient, name: str, request: str) -> PromotePlan | None:
    """An unfinished plan to go on with (same ``request``), or None after completing or dropping any other."""
    plan = read_plan(client, name)
    if plan is None:
        return None
    found = find_version(client, name, plan.model_sha256)
    version = int(found.version) if found is not None else None
    aliases = current_aliases(client, name)
    if not plan.is_on_the_way(aliases, version):
        log.warning(
            "%s: dropping the plan of an interrupted promote (aliases %s, it started from %s): moved since",
            name,
            aliases,
            plan.aliases_before,
        )
    elif plan.request == request:
        shown = f"version {version}" if version is not None else "not registered yet"
        log.warning("%s: resuming the interrupted promote of this model file (%s)", name, shown)
        return plan
    elif version is not None:
        log.warning("%s: completing the interrupted promote of version %d first", name, version)
        apply_plan(client, name, version, plan)
    else:
        log.warning("%s: an interrupted promote of another model file registered nothing: dropped", name)
    clear_plan(client, name, plan.request)
    return None


def apply_plan(client: MlflowClient, name: str, version: int, plan: PromotePlan) -> str:
    """Apply ``plan`` to ``version`` (the candidate's): its tags, the aliases, its lifecycle; return the lifecycle."""
    for key, value in plan.version_tags.items():
        client.set_model_version_tag(name, str(version), key, value)
    if plan.version_tags:
        crash_point("promote", "after_version_tags")
    return _apply(
        client,
        name,
        version,
        registered=plan.new_version,
        crowned=plan.outcome(version)[0],
        verdict_passed=plan.verdict_passed,
        champion=plan.champion,
        archived_reason=plan.archived_reason,
    )


def _apply(
    client: MlflowClient,
    name: str,
    version: int,
    *,
    registered: bool,
    crowned: bool,
    verdict_passed: bool,
    champion: int | None,
    archived_reason: str | None,
) -> str:
    """Move the aliases and the lifecycle tag; return the version's lifecycle (from the arguments, not the registry)."""
    v = str(version)
    if registered:
        client.set_registered_model_alias(name, CHALLENGER, v)
        crash_point("promote", "after_challenger")
    if crowned:
        if champion is not None:
            client.set_registered_model_alias(name, PREVIOUS, str(champion))
            crash_point("promote", "after_previous")
        client.set_registered_model_alias(name, CHAMPION, v)
        crash_point("promote", "after_champion")
    if not verdict_passed and champion != version:
        client.set_model_version_tag(name, v, TAG_LIFECYCLE, ARCHIVED)
        if archived_reason != REASON_ROLLBACK:
            client.set_model_version_tag(name, v, TAG_ARCHIVED_REASON, REASON_GATES)
        crash_point("promote", "after_tags")
        return ARCHIVED
    if verdict_passed and archived_reason == REASON_GATES:  # passes now: back in the race
        client.set_model_version_tag(name, v, TAG_LIFECYCLE, ACTIVE)
        client.delete_model_version_tag(name, v, TAG_ARCHIVED_REASON)  # no-op when already deleted
        crash_point("promote", "after_tags")
        return ACTIVE
    return ARCHIVED if archived_reason else ACTIVE
