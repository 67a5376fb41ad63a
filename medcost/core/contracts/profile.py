"""The profile of an accepted snapshot: the measures the next snapshot is compared with (inside the published receipt)."""

from __future__ import annotations

from typing import Literal

from medcost.core.contracts.base import Contract

MeasureKind = Literal["count", "rate", "amount"]
"""count and amount change relatively (validate.profile.max_count_change / max_amount_change), rates absolutely."""


class ProfileMeasure(Contract):
    kind: MeasureKind
    value: float


class SnapshotProfile(Contract):
    """Row counts, rates, shares and amounts of one raw extract (see medcost.validate.profile for the names)."""

    as_of: str  # the snapshot date (extract.as_of)
    source: str | None = None  # the source's masked identity (the fingerprint's): profiles compare within one source
    years: list[int]  # the paid years of the window: per-year measures exist for each, zero when empty
    measures: dict[str, ProfileMeasure]
