"""The plan of a promote, recorded in the registry before it changes anything, so a rerun after a crash completes it.

Before promote logs, registers or moves anything, it writes its plan as the registered
model's tag ``promote.pending``: the state it started from (the aliases, the version's
``archived_reason``, its recorded lineage), the champion's scores, the verdicts and the
params of the decision — everything :func:`~medcost.promote.decision.decide` and the moves
need, so the outcome is decided once, never again from a half-moved registry — plus
``request``, a digest of the promote's inputs. Every move is idempotent (set an alias or a
tag to a value), and the tag is deleted only after the decision has been published
(``metrics/promotion.json`` written). See :mod:`medcost.promote.moves` for what a rerun does
with a plan it finds.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from medcost.core.contracts import RmseImprovement
from medcost.core.errors import MedcostError
from medcost.promote.decision import decide
from medcost.promote.session import ALIASES, CHALLENGER, CHAMPION, PREVIOUS, TAG_PENDING

if TYPE_CHECKING:  # heavy: imported inside the functions that need it
    from mlflow import MlflowClient

log = logging.getLogger(__name__)


class PromotePlan(BaseModel):
    """What one promote decided to do, in terms of the registry state it started from."""

    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_inf_nan="constants")

    request: str  # request_digest(...) of the promote's inputs
    model_sha256: str  # the candidate's model file: its version is found by this tag
    new_version: bool  # the file was not registered yet: a new version, which gets `challenger`
    aliases_before: dict[str, int]
    archived_reason: str | None = None  # of the existing version, before this promote
    version_tags: dict[str, str] = Field(default_factory=dict)  # set on an existing version (verdicts, lineage)
    verdict_passed: bool
    candidate_rmse: float
    champion_rmse: float | None = None
    champion_error: str | None = None
    improvement: RmseImprovement = Field(default_factory=RmseImprovement)
    min_improvement: float
    uncommitted: str | None = None
    allow_uncommitted: bool
    git_commit: str | None = None  # the version's lineage as its tags record it
    git_dirty: bool | None = None
    experiment: str | None = None

    @property
    def champion(self) -> int | None:
        return self.aliases_before.get(CHAMPION)

    def outcome(self, version: int) -> tuple[bool, list[str]]:
        """Whether ``version`` (the candidate's) is crowned, and why: the same on every rerun."""
        return decide(
            version=version,
            verdict_passed=self.verdict_passed,
            archived_reason=self.archived_reason,
            champion=self.champion,
            candidate_rmse=self.candidate_rmse,
            champion_rmse=self.champion_rmse,
            champion_error=self.champion_error,
            improvement=self.improvement,
            min_improvement=self.min_improvement,
            uncommitted=self.uncommitted,
            allow_uncommitted=self.allow_uncommitted,
        )

    def target_aliases(self, version: int | None) -> dict[str, int]:
        """The aliases once the plan is applied (``version``: the candidate's; None: not registered yet)."""
        aliases = dict(self.aliases_before)
        if version is None:
            return aliases
        if self.new_version:
            aliases[CHALLENGER] = version
        if self.outcome(version)[0]:
            if self.champion is not None:
                aliases[PREVIOUS] = self.champion
            aliases[CHAMPION] = version
        return dict(sorted(aliases.items()))

    def is_on_the_way(self, aliases: Mapping[str, int], version: int | None) -> bool:
        """Whether ``aliases`` are where the plan started, where it leads, or partly moved between."""
        target = self.target_aliases(version)
        known = {*ALIASES, *aliases, *target}
        return all(aliases.get(alias) in (self.aliases_before.get(alias), target.get(alias)) for alias in known)


def request_digest(inputs: Mapping[str, Any], test: pd.DataFrame) -> str:
    """A digest of a promote's inputs (JSON-able ``inputs`` and the test rows): equal for a rerun of the same promote."""
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode())
    digest.update(json.dumps([str(c) for c in test.columns]).encode())
    digest.update(pd.util.hash_pandas_object(test, index=True).to_numpy().tobytes())
    return digest.hexdigest()


def read_plan(client: MlflowClient, name: str) -> PromotePlan | None:
    """The plan of an unfinished promote of registered model ``name`` (None: every promote finished)."""
    text = (client.get_registered_model(name).tags or {}).get(TAG_PENDING)
    if text is None:
        return None
    try:
        return PromotePlan.model_validate_json(text)
    except ValidationError as exc:
        raise MedcostError(
            f"registered model '{name}': tag '{TAG_PENDING}' is not a promote plan of this medcost version "
            f"({exc.error_count()} problems): delete the tag and rerun promote"
        ) from None


def write_plan(client: MlflowClient, name: str, plan: PromotePlan) -> None:
    client.set_registered_model_tag(name, TAG_PENDING, plan.model_dump_json())


def clear_plan(client: MlflowClient, name: str, request: str) -> None:
    """Delete the plan of ``request`` (a plan another promote wrote since stays)."""
    plan = read_plan(client, name)
    if plan is not None and plan.request == request:
        client.delete_registered_model_tag(name, TAG_PENDING)
