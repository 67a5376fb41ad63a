"""The publishing rule of batch predictions: only from a snapshot validate accepted and whose drift verdict passed."""

from __future__ import annotations

from medcost.core.contracts import DriftSummary, PublishedSnapshot, SplitSummary, ValidationReport

SHOWN = 3  # failed drift checks named in the message (all of them are in metrics/drift.json)


def held_back_reason(
    validation: ValidationReport | None,
    published: PublishedSnapshot | None,
    split: SplitSummary,
    drift: DriftSummary,
    allow_drift: bool,
) -> str | None:
    """Why predictions of this scoring snapshot must not be published, in one line (None: they may be).

    * validate's last run failed, or nothing was ever published: the snapshot is not accepted;
    * split's scoring rows come from another snapshot than the published one (a stale split);
    * the drift verdict failed, unless ``predict.allow_drift`` is true.
    """
    if validation is None or not validation.success:
        return "the latest snapshot did not pass validate (metrics/validate.json): nothing is published from it"
    if published is None:
        return "no snapshot has been accepted and published by validate yet"
    if split.published_hash != published.receipt.content_hash:
        return (
            f"the scoring snapshot was split from another snapshot than the published version "
            f"{published.receipt.version} (rerun split: dvc repro)"
        )
    if not drift.verdict.passed and not allow_drift:
        shown = drift.verdict.failed[:SHOWN]
        more = f" and {len(drift.verdict.failed) - SHOWN} more" if len(drift.verdict.failed) > SHOWN else ""
        failed = ", ".join(shown) + more if shown else "see metrics/drift.json"
        return (
            f"the scoring snapshot failed the drift verdict ({failed}); "
            "set predict.allow_drift: true to publish anyway (recorded in metrics/predict.json)"
        )
    return None
