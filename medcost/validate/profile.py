"""The snapshot profile and its comparison with the last accepted one, as Great Expectations expectations.

A profile (:class:`~medcost.core.contracts.SnapshotProfile`, made by
:func:`~medcost.validate.snapshot.profile_snapshot`) holds, for the raw extract:

* ``clients.rows`` and ``claims.rows.<year>``: row counts, the claims per *paid* year (a paid
  year is final once ``as_of`` has passed it, a service year still grows with late payments),
  zero for a year of the window without claims;
* ``claims.per_client_year.<year>`` and ``claims.claimant_share.<year>``: claims per enrolled
  client and the share of enrolled clients with a claim;
* ``claims.amount.mean.<year>.<category>`` and ``claims.amount.q0.9`` / ``q0.99``: amounts;
* ``clients.<flag>.rate``, ``clients.<column>.share.<value>`` (cleaned values) and
  ``<table>.<column>.null_rate``.

:func:`profile_batch` checks the measures both profiles have (per-year ones for the years of
both windows) against tolerances from ``validate.profile``: counts and amounts relatively, rates
absolutely. Each check is an expectation on the profile frame (one row per measure) whose meta
names the measure, the old value and the param, so it shows in the Data Docs and in the one-line
failure like every other expectation.
"""

from __future__ import annotations

import logging

import pandas as pd

from medcost.core.contracts import SnapshotProfile
from medcost.core.params import ProfileTolerances
from medcost.validate.gx import gx, gxe
from medcost.validate.run import Batch

log = logging.getLogger(__name__)

FIRST_RUN_MESSAGE = (
    "no earlier accepted snapshot to compare this one with: the profile checks start with the next snapshot"
)
PARAM = {
    "count": "validate.profile.max_count_change",
    "rate": "validate.profile.max_rate_change",
    "amount": "validate.profile.max_amount_change",
}


def _year_of(name: str) -> int | None:
    for part in name.split("."):
        if len(part) == 4 and part.isdigit():
            return int(part)
    return None


def comparable(previous: SnapshotProfile, current: SnapshotProfile) -> list[str]:
    """The measures both profiles have; a per-year one only for a year both windows hold."""
    years = set(previous.years) & set(current.years)
    names = []
    for name in sorted(set(previous.measures) & set(current.measures)):
        year = _year_of(name)
        if year is None or year in years:
            names.append(name)
    # a category value or column gone entirely is a change too: compared with zero below
    gone = [n for n in previous.measures if n not in current.measures and ".share." in n]
    return sorted([*names, *gone])


def bounds(kind: str, old: float, cfg: ProfileTolerances) -> tuple[float, float]:
    """The range the new value may take: old ± tolerance (relative for counts and amounts, absolute for rates)."""
    if kind == "rate":
        return max(0.0, old - cfg.max_rate_change), min(1.0, old + cfg.max_rate_change)
    tolerance = cfg.max_count_change if kind == "count" else cfg.max_amount_change
    return old * (1.0 - tolerance), old * (1.0 + tolerance)


def _allowed(kind: str, cfg: ProfileTolerances) -> str:
    if kind == "rate":
        return f"±{cfg.max_rate_change:g}"
    return f"±{100 * (cfg.max_count_change if kind == 'count' else cfg.max_amount_change):g}%"


def profile_frame(profile: SnapshotProfile) -> pd.DataFrame:
    """One row per measure: its name and value (the batch the profile expectations run on)."""
    names = list(profile.measures)
    return pd.DataFrame(
        {"measure": pd.Series(names, dtype="string"), "value": [profile.measures[n].value for n in names]}
    )


def profile_batch(previous: SnapshotProfile | None, current: SnapshotProfile, cfg: ProfileTolerances) -> Batch | None:
    """The expectations comparing ``current`` with the last accepted ``previous`` (None: the first snapshot)."""
    from great_expectations.expectations.row_conditions import Column

    if previous is None:
        log.info(FIRST_RUN_MESSAGE)
        return None
    expect = gxe()
    frame = profile_frame(current)
    missing = [n for n in comparable(previous, current) if n not in current.measures]
    if missing:  # a category value gone from the snapshot: its share is 0 now
        extra = pd.DataFrame({"measure": pd.Series(missing, dtype="string"), "value": 0.0})
        frame = pd.concat([frame, extra], ignore_index=True)
    expectations = [expect.ExpectColumnValuesToBeUnique(column="measure")]
    order = {"count": 0, "rate": 1, "amount": 2}  # the most telling first: a lost year shows as counts
    for name in sorted(comparable(previous, current), key=lambda n: (order[previous.measures[n].kind], n)):
        old = previous.measures[name]
        low, high = bounds(old.kind, old.value, cfg)
        expectations.append(
            expect.ExpectColumnValuesToBeBetween(
                column="value",
                min_value=low,
                max_value=high,
                row_condition=Column("measure") == name,
                notes=f"{name}: was {old.value:.6g} in the snapshot of {previous.as_of}",
                meta={
                    "param": f"{PARAM[old.kind]} = {_allowed(old.kind, cfg)}",
                    "observed": f"{name} was {old.value:.6g}",
                },
            )
        )
    suite = gx().ExpectationSuite(name="profile", expectations=expectations)
    return Batch("profile", frame, suite)
