"""Typed contracts: one pydantic model per JSON file a stage writes and another reads.

Writer and reader use the same model (:func:`write_contract`, :func:`read_contract`), and so
do the tests. The catalog (:mod:`medcost.core.catalog`) says where each file lives.
"""

from medcost.core.contracts.backtest import Backtest, BacktestData, BacktestRows, BacktestScores, FamilyBacktest
from medcost.core.contracts.base import (
    Contract,
    Number,
    read_contract,
    write_contract,
)
from medcost.core.contracts.data import (
    ExpectationFailure,
    ExtractMetrics,
    LoadReceipt,
    PublishedSnapshot,
    SourceFingerprint,
    SplitSummary,
    SuiteResult,
    TableExtract,
    TableFingerprint,
    TransformSummary,
    ValidationMeta,
    ValidationReport,
)
from medcost.core.contracts.models import (
    DriftSummary,
    DriftVerdict,
    Evaluation,
    EvaluationData,
    FeatureDrift,
    GateResult,
    HoldoutScores,
    ModelScores,
    ModelVerdict,
    QualityVerdict,
    TrainScores,
)
from medcost.core.contracts.monitor import Expectation, MonitoredYear, MonitorVerdict, PendingYear
from medcost.core.contracts.profile import ProfileMeasure, SnapshotProfile
from medcost.core.contracts.registry import (
    PredictedCost,
    PredictSummary,
    PromotionDecision,
    RmseImprovement,
    RmsePair,
    VerdictFlags,
)
from medcost.core.contracts.select import (
    FeatureChoice,
    FeatureSelection,
    SelectReason,
    SelectSummary,
    SelectThresholds,
)
from medcost.core.contracts.tuning import (
    CvScore,
    FamilySearch,
    FamilyTuneMetrics,
    Trial,
    TunedSettings,
    TuneMetrics,
)

__all__ = [
    "Backtest",
    "BacktestData",
    "BacktestRows",
    "BacktestScores",
    "FamilyBacktest",
    "Expectation",
    "MonitoredYear",
    "MonitorVerdict",
    "PendingYear",
    "ProfileMeasure",
    "SnapshotProfile",
    "SourceFingerprint",
    "TableFingerprint",
    "Contract",
    "CvScore",
    "FamilySearch",
    "FamilyTuneMetrics",
    "Trial",
    "TunedSettings",
    "TuneMetrics",
    "DriftSummary",
    "DriftVerdict",
    "Evaluation",
    "EvaluationData",
    "ExpectationFailure",
    "ExtractMetrics",
    "FeatureChoice",
    "FeatureDrift",
    "FeatureSelection",
    "GateResult",
    "HoldoutScores",
    "LoadReceipt",
    "PublishedSnapshot",
    "SplitSummary",
    "ModelScores",
    "ModelVerdict",
    "Number",
    "PredictSummary",
    "PredictedCost",
    "PromotionDecision",
    "QualityVerdict",
    "RmseImprovement",
    "RmsePair",
    "SelectReason",
    "SelectSummary",
    "SelectThresholds",
    "SuiteResult",
    "TableExtract",
    "TrainScores",
    "TransformSummary",
    "ValidationMeta",
    "ValidationReport",
    "VerdictFlags",
    "read_contract",
    "write_contract",
]
