"""The promotion decision, without registry access: the verdicts, which model is the candidate, and whether it is crowned."""

from __future__ import annotations

import math
from dataclasses import dataclass

from medcost.core.contracts import DriftSummary, Evaluation, QualityVerdict, VerdictFlags
from medcost.core.errors import MedcostError
from medcost.promote.session import REASON_ROLLBACK, TAG_LIFECYCLE


@dataclass(frozen=True)
class Verdicts:
    """The quality and drift verdicts of one promotion, and the reasons any of them failed."""

    quality: bool
    drift: bool
    candidate: str | None  # the quality verdict's candidate (None: no model passes its gates)
    quality_reason: str
    drift_failed: tuple[str, ...]
    reasons: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return self.quality and self.drift

    def flags(self) -> VerdictFlags:
        """The verdicts as the decision file shows them."""
        return VerdictFlags(passed=self.passed, quality=self.quality, drift=self.drift)


def read_verdicts(quality: QualityVerdict, drift: DriftSummary | None) -> Verdicts:
    """Both verdicts: quality passes with a candidate only; a missing drift verdict is a failure."""
    quality_passed = quality.passed and quality.candidate is not None
    drift_passed = drift is not None and drift.verdict.passed
    failed = tuple(drift.verdict.failed) if drift is not None else ()
    reasons = []
    if not quality_passed:
        reasons.append(f"quality gates failed: {quality.reason or 'no candidate passes'}")
    if drift is None:
        reasons.append("drift verdict missing")
    elif not drift_passed:
        reasons.append(f"drift check failed: {', '.join(failed[:10]) or 'see drift report'}")
    return Verdicts(
        quality=quality_passed,
        drift=drift_passed,
        candidate=quality.candidate,
        quality_reason=quality.reason,
        drift_failed=failed,
        reasons=tuple(reasons),
    )


def choose_candidate(quality: QualityVerdict, evaluation: Evaluation | None) -> str:
    """The verdict's candidate; without one, the model with the lowest test RMSE (it will be archived)."""
    if quality.candidate:
        return quality.candidate
    models = list(quality.models) or (list(evaluation.models) if evaluation is not None else [])
    if not models:
        raise MedcostError("quality verdict names no candidate and no models")

    def test_rmse(model: str) -> float:
        scores = evaluation.models.get(model) if evaluation is not None else None
        value = scores.test.rmse if scores is not None else None
        return value if value is not None and math.isfinite(value) else math.inf

    return min(models, key=lambda m: (test_rmse(m), models.index(m)))


def decide(
    *,
    version: int,
    verdict_passed: bool,
    archived_reason: str | None,
    champion: int | None,
    candidate_rmse: float,
    champion_rmse: float | None,
    champion_error: str | None,
    min_improvement: float,
) -> tuple[bool, list[str]]:
    """Whether ``version`` becomes champion, and why (pure: no registry access)."""
    if champion == version:
        if not verdict_passed:
            return False, [
                f"version {version} is the champion and now fails its gates: it stays champion "
                "(run `python -m medcost.registry rollback` to replace it)"
            ]
        return False, [f"version {version} is already the champion"]
    if not verdict_passed:
        return False, [f"version {version} failed its gates: archived, never champion"]
    if archived_reason == REASON_ROLLBACK:
        return False, [
            f"version {version} was rolled back from champion: promote does not re-promote it "
            f"(delete its '{TAG_LIFECYCLE}' tag to allow it)"
        ]
    if champion is None:
        return True, ["no champion yet"]
    if champion_rmse is None:
        return True, [
            f"the champion (version {champion}) cannot score the current test set ({champion_error}): replaced"
        ]
    bar = champion_rmse * (1.0 - min_improvement)
    if candidate_rmse < bar:
        return True, [f"test RMSE {candidate_rmse:.6g} beats the champion (version {champion}) {champion_rmse:.6g}"]
    needed = f" by {min_improvement:.2%}" if min_improvement > 0 else ""
    return False, [
        f"test RMSE {candidate_rmse:.6g} does not beat the champion (version {champion}) "
        f"{champion_rmse:.6g}{needed}: stays challenger"
    ]
