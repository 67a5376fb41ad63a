"""The promotion decision, without registry access: the verdicts, which model is the candidate, and whether it is crowned."""

from __future__ import annotations

import math
from dataclasses import dataclass

from medcost.core.contracts import DriftSummary, Evaluation, QualityVerdict, RmseImprovement, VerdictFlags
from medcost.core.errors import MedcostError
from medcost.promote.session import REASON_ROLLBACK, TAG_LIFECYCLE
from medcost.promote.significance import is_significant


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
    improvement: RmseImprovement,
    min_improvement: float,
    uncommitted: str | None = None,
    allow_uncommitted: bool = False,
) -> tuple[bool, list[str]]:
    """Whether ``version`` becomes champion, and why (pure: no registry access).

    It must pass its verdicts, not be a rolled-back version, beat the champion significantly
    (``improvement``: the paired bootstrap of :mod:`medcost.promote.significance`; its lower bound
    above ``min_improvement`` x the champion's RMSE) and, unless ``allow_uncommitted``, come from
    committed code, SQL and params outside ``dvc exp run`` (``uncommitted``: why not, or None).
    """
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
    better, reason = _compare(champion, candidate_rmse, champion_rmse, champion_error, improvement, min_improvement)
    reasons = [reason]
    if uncommitted is None:
        return better, reasons
    if allow_uncommitted:
        reasons.append(f"{uncommitted}: may be champion (promote.allow_uncommitted: true)")
        return better, reasons
    reasons.append(f"{uncommitted}: stays challenger (promote.allow_uncommitted: false)")
    return False, reasons


def _compare(
    champion: int | None,
    candidate_rmse: float,
    champion_rmse: float | None,
    champion_error: str | None,
    improvement: RmseImprovement,
    min_improvement: float,
) -> tuple[bool, str]:
    """Whether the candidate beats the champion significantly, and the sentence that says so."""
    if champion is None:
        return True, "no champion yet"
    if champion_rmse is None:
        return True, f"the champion (version {champion}) cannot score the current test set ({champion_error})"
    head = f"test RMSE {candidate_rmse:.6g} vs the champion (version {champion}) {champion_rmse:.6g}"
    estimate, low, high, confidence = improvement.estimate, improvement.low, improvement.high, improvement.confidence
    if estimate is None or low is None or high is None or confidence is None:
        return False, f"{head}: no paired comparison: stays challenger"
    bar = champion_rmse * min_improvement
    needed = f"{bar:.6g} ({min_improvement:.2%} of the champion's RMSE)" if min_improvement > 0 else "0"
    shown = f"improvement {estimate:.6g}, {confidence:.0%} lower bound {low:.6g} (one-sided; upper {high:.6g})"
    if is_significant(improvement, champion_rmse, min_improvement):
        return True, f"{head}: significantly better: {shown} > {needed}"
    if estimate <= 0:
        return False, f"{head}: does not beat the champion: {shown}: stays challenger"
    return False, f"{head}: not significantly better: {shown}, not above {needed}: stays challenger"
