"""The validate_metrics stage: quality gates on the evaluation, and the verdict naming the candidate model."""

from medcost.validate_metrics.gates import GATE_KINDS, check_complete, configured_gates, evaluate_gates, model_metrics

__all__ = ["GATE_KINDS", "check_complete", "configured_gates", "evaluate_gates", "model_metrics"]
