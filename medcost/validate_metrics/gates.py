"""Model-quality gates: the verdict that decides whether a model may be promoted.

Each candidate model is checked against the gates configured in params
(``validate_metrics``); a gate set to null is not configured. The verdict names the
candidate: the model with the lowest test RMSE among those passing every gate.

A failing model is a result, not an error: the verdict says ``passed: false`` and the
stage still succeeds, so the experiment is recorded. A metric the gates need but the
evaluation does not contain (or holds as null) is an error: the pipeline is broken, not the model.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence

from medcost.core.contracts import Backtest, Evaluation, GateResult, ModelVerdict, Number, QualityVerdict
from medcost.core.errors import MedcostError
from medcost.core.numbers import round_floats
from medcost.core.params import ValidateMetricsParams

log = logging.getLogger(__name__)

Threshold = float | tuple[float, float]

# Gate name -> kind of threshold. The names are the keys of quality.json's "gates".
GATE_KINDS = {
    "r2": "min",  # test R² >= min_r2
    "rmse_vs_baseline": "max",  # test RMSE / baseline test RMSE <= max_rmse_ratio
    "train_test_r2_gap": "max",  # train R² - test R² <= max_r2_gap (overfitting)
    "total_ratio": "band",  # total predicted / total actual cost in [low, high]
    "backtest_r2": "min",  # mean backtest R² over the years (metrics/backtest.json) >= min_backtest_r2
}


def model_metrics(evaluation: Evaluation, model: str, backtest: Backtest | None = None) -> dict[str, Number]:
    """The metrics the gates read for one model (None when the evaluation, or the backtest, has none)."""
    scores = evaluation.scores(model)
    return {
        "test.r2": scores.test.r2,
        "test.rmse": scores.test.rmse,
        "test.total_ratio": scores.test.total_ratio,
        "train.r2": scores.train.r2 if scores.train else None,
        "backtest.mean.r2": backtest.mean_r2(model) if backtest is not None else None,
    }


def _need(metrics: Mapping[str, Number], model: str, name: str) -> float:
    """A metric that must be present and finite; else the pipeline is broken (one-line error)."""
    value = metrics.get(name)
    if value is None:
        raise MedcostError(f"evaluation: model '{model}' has no metric '{name}' (needed by the quality gates)")
    if not math.isfinite(value):
        raise MedcostError(f"evaluation: model '{model}' metric '{name}' = {value} is not finite")
    return float(value)


def configured_gates(cfg: ValidateMetricsParams) -> dict[str, Threshold]:
    """The gates that are switched on, with their thresholds."""
    thresholds: dict[str, Threshold | None] = {
        "r2": cfg.min_r2,
        "rmse_vs_baseline": cfg.max_rmse_ratio,
        "train_test_r2_gap": cfg.max_r2_gap,
        "total_ratio": cfg.total_ratio_band,
        "backtest_r2": cfg.min_backtest_r2,
    }
    return {name: value for name, value in thresholds.items() if value is not None}


def _gate_value(
    name: str, metrics: Mapping[str, Number], baseline: Mapping[str, Number], model: str, baseline_name: str
) -> float:
    if name == "r2":
        return _need(metrics, model, "test.r2")
    if name == "rmse_vs_baseline":
        reference = _need(baseline, baseline_name, "test.rmse")
        if reference <= 0:
            raise MedcostError(f"evaluation: model '{baseline_name}' metric 'test.rmse' = {reference} must be positive")
        return _need(metrics, model, "test.rmse") / reference
    if name == "train_test_r2_gap":
        return _need(metrics, model, "train.r2") - _need(metrics, model, "test.r2")
    if name == "total_ratio":
        return _need(metrics, model, "test.total_ratio")
    if name == "backtest_r2":
        if metrics.get("backtest.mean.r2") is None:
            raise MedcostError(
                f"backtest: model '{model}' has no mean R² (needed by validate_metrics.min_backtest_r2; "
                "backtest.years = 0, or rerun the backtest stage)"
            )
        return _need(metrics, model, "backtest.mean.r2")
    raise MedcostError(f"validate_metrics: unknown gate '{name}'")  # pragma: no cover - GATE_KINDS is fixed


def _passes(kind: str, value: float, threshold: Threshold) -> bool:
    if isinstance(threshold, tuple):
        low, high = threshold
        return low <= value <= high  # edges inclusive
    return value >= threshold if kind == "min" else value <= threshold


def evaluate_gates(
    evaluation: Evaluation, cfg: ValidateMetricsParams, backtest: Backtest | None = None
) -> QualityVerdict:
    """Apply the configured gates to each model and pick the candidate (quality.json).

    ``backtest`` (metrics/backtest.json) feeds the ``backtest_r2`` gate. Raises MedcostError when
    a model or metric the gates need is missing.
    """
    gates = configured_gates(cfg)
    baseline = model_metrics(evaluation, cfg.baseline) if "rmse_vs_baseline" in gates else {}
    models: dict[str, ModelVerdict] = {}
    rmse: dict[str, float] = {}
    for model in cfg.models:
        metrics = model_metrics(evaluation, model, backtest)
        rmse[model] = _need(metrics, model, "test.rmse")  # ranks the passing models
        results = {}
        for name, threshold in gates.items():
            # rounded like the metric files, and compared as written: the file never contradicts itself
            value = round_floats(_gate_value(name, metrics, baseline, model, cfg.baseline))
            results[name] = GateResult(
                value=value, threshold=threshold, passed=_passes(GATE_KINDS[name], value, threshold)
            )
        models[model] = ModelVerdict(passed=all(g.passed for g in results.values()), gates=results)
    check_complete(models, cfg.models, gates)

    passing = [m for m in cfg.models if models[m].passed]
    candidate = min(passing, key=lambda m: (rmse[m], cfg.models.index(m))) if passing else None
    verdict = QualityVerdict(
        passed=candidate is not None, candidate=candidate, models=models, reason=_reason(models, candidate, rmse)
    )
    log.info("quality gates: %s", verdict.reason)
    return verdict


def check_complete(models: Mapping[str, ModelVerdict], expected: Sequence[str], gates: Mapping[str, Threshold]) -> None:
    """Meta-validation: every configured gate was evaluated for every expected model, with a finite value."""
    if set(models) != set(expected):
        raise MedcostError(
            f"validate_metrics: evaluated models {sorted(models)} differ from the configured {sorted(expected)}"
        )
    for model, result in models.items():
        evaluated = set(result.gates)
        if evaluated != set(gates):
            missing = sorted(set(gates) - evaluated) or sorted(evaluated - set(gates))
            raise MedcostError(
                f"validate_metrics: model '{model}': gates {', '.join(missing)} not evaluated as configured"
            )
        for name, gate in result.gates.items():
            if not math.isfinite(gate.value):
                raise MedcostError(f"validate_metrics: model '{model}': gate '{name}' has no finite value")


def _reason(models: Mapping[str, ModelVerdict], candidate: str | None, rmse: Mapping[str, float]) -> str:
    failed = {m: [g for g, r in res.gates.items() if not r.passed] for m, res in models.items()}
    failures = "; ".join(f"{m} failed {', '.join(f)}" for m, f in failed.items() if f)
    if candidate is None:
        return f"no model passes its gates: {failures}"
    passing = [m for m in models if not failed[m]]
    text = f"{candidate} passes all gates with the lowest test RMSE ({rmse[candidate]:.6g})"
    if len(passing) > 1:
        text += f" of {len(passing)} passing models"
    if failures:
        text += f"; {failures}"
    return text
