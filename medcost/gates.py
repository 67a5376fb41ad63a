"""Model-quality gates: the verdict that decides whether a model may be promoted.

Each candidate model is checked against the gates configured in params
(``validate_metrics``); a gate set to null is not configured. The verdict names the
candidate: the model with the lowest test RMSE among those passing every gate.

A failing model is a result, not an error: the verdict says ``passed: false`` and the
stage still succeeds, so the experiment is recorded. A metric the gates need but the
evaluation does not contain is an error: the pipeline is broken, not the model.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

from medcost.config import ValidateMetricsParams
from medcost.errors import MedcostError
from medcost.evaluation import round_floats
from medcost.io import read_json

log = logging.getLogger(__name__)

EVALUATION_FILE = "evaluate.json"
"""The evaluate stage's metrics, under ``paths.metrics``."""
VERDICT_FILE = "quality.json"
"""The verdict, under ``paths.metrics``; read by drift and promote."""

# Gate name -> kind of threshold. The names are the keys of quality.json's "gates".
GATE_KINDS = {
    "r2": "min",                  # test R² >= min_r2
    "rmse_vs_baseline": "max",    # test RMSE / baseline test RMSE <= max_rmse_ratio
    "train_test_r2_gap": "max",   # train R² - test R² <= max_r2_gap (overfitting)
    "total_ratio": "band",        # total predicted / total actual cost in [low, high]
}


def _read_object(path: str | Path, made_by: str) -> dict[str, Any]:
    data = read_json(path, made_by=made_by)
    if not isinstance(data, dict):
        raise MedcostError(f"{path}: expected a JSON object")
    return data


def read_evaluation(path: str | Path) -> dict[str, Any]:
    """The evaluate stage's metrics file (a one-line error if it is missing or not a JSON object)."""
    return _read_object(path, "evaluate")


def read_verdict(path: str | Path) -> dict[str, Any]:
    """A verdict written by ``evaluate_gates`` (quality.json)."""
    data = _read_object(path, "validate_metrics")
    if not {"passed", "candidate", "models"} <= set(data):
        raise MedcostError(f"{path}: not a quality verdict (expected keys passed, candidate, models)")
    return data


def model_metrics(evaluation: dict[str, Any], model: str) -> dict[str, float]:
    """The metrics the gates read for one model, from the evaluate stage's output.

    The one place that knows the layout of ``evaluate.json`` (see medcost/evaluation.py):
    ``{model: {"test": {...}, "train": {...}}}``. Keys that are absent are left out; the
    caller reports the missing ones.
    """
    entry = evaluation.get(model)
    if not isinstance(entry, dict):
        raise MedcostError(f"evaluation: model '{model}' missing (expected one of: {', '.join(sorted(evaluation))})")
    test = entry.get("test") if isinstance(entry.get("test"), dict) else {}
    train = entry.get("train") if isinstance(entry.get("train"), dict) else {}
    found = {
        "test.r2": test.get("r2"),
        "test.rmse": test.get("rmse"),
        "test.total_ratio": test.get("total_ratio"),
        "train.r2": train.get("r2"),
    }
    return {name: value for name, value in found.items() if value is not None}


def _need(metrics: dict[str, float], model: str, name: str) -> float:
    """A metric that must be present and finite; else the pipeline is broken (one-line error)."""
    value = metrics.get(name)
    if value is None:
        raise MedcostError(f"evaluation: model '{model}' has no metric '{name}' (needed by the quality gates)")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise MedcostError(f"evaluation: model '{model}' metric '{name}' = {value!r} is not a number") from None
    if not math.isfinite(number):
        raise MedcostError(f"evaluation: model '{model}' metric '{name}' = {number} is not finite")
    return number


def configured_gates(cfg: ValidateMetricsParams) -> dict[str, float | tuple[float, float]]:
    """The gates that are switched on, with their thresholds."""
    thresholds = {
        "r2": cfg.min_r2,
        "rmse_vs_baseline": cfg.max_rmse_ratio,
        "train_test_r2_gap": cfg.max_r2_gap,
        "total_ratio": cfg.total_ratio_band,
    }
    return {name: value for name, value in thresholds.items() if value is not None}


def _gate_value(name: str, metrics: dict[str, float], baseline: dict[str, float], model: str,
                baseline_name: str) -> float:
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
    raise MedcostError(f"validate_metrics: unknown gate '{name}'")  # pragma: no cover - GATE_KINDS is fixed


def _passes(kind: str, value: float, threshold: float | tuple[float, float]) -> bool:
    if kind == "min":
        return value >= threshold  # type: ignore[operator]
    if kind == "max":
        return value <= threshold  # type: ignore[operator]
    low, high = threshold  # type: ignore[misc]
    return low <= value <= high  # edges inclusive


def evaluate_gates(evaluation: dict[str, Any], cfg: ValidateMetricsParams) -> dict[str, Any]:
    """Apply the configured gates to each model and pick the candidate.

    Returns the verdict ``{"passed", "candidate", "models", "reason"}`` (quality.json).
    Raises MedcostError when a model or metric the gates need is missing.
    """
    gates = configured_gates(cfg)
    baseline = model_metrics(evaluation, cfg.baseline) if "rmse_vs_baseline" in gates else {}
    models: dict[str, Any] = {}
    rmse: dict[str, float] = {}
    for model in cfg.models:
        metrics = model_metrics(evaluation, model)
        rmse[model] = _need(metrics, model, "test.rmse")  # ranks the passing models
        results = {}
        for name, threshold in gates.items():
            # rounded like the metric files, and compared as written: the file never contradicts itself
            value = round_floats(_gate_value(name, metrics, baseline, model, cfg.baseline))
            results[name] = {
                "value": value,
                "threshold": list(threshold) if isinstance(threshold, tuple) else float(threshold),
                "passed": _passes(GATE_KINDS[name], value, threshold),
            }
        models[model] = {"passed": all(g["passed"] for g in results.values()), "gates": results}
    check_complete(models, cfg.models, gates)

    passing = [m for m in cfg.models if models[m]["passed"]]
    candidate = min(passing, key=lambda m: (rmse[m], cfg.models.index(m))) if passing else None
    verdict = {"passed": candidate is not None, "candidate": candidate, "models": models,
               "reason": _reason(models, candidate, rmse)}
    log.info("quality gates: %s", verdict["reason"])
    return verdict


def check_complete(models: dict[str, Any], expected: list[str], gates: dict[str, Any]) -> None:
    """Meta-validation: every configured gate was evaluated for every expected model, with a finite value."""
    if set(models) != set(expected):
        raise MedcostError(f"validate_metrics: evaluated models {sorted(models)} "
                           f"differ from the configured {sorted(expected)}")
    for model, result in models.items():
        evaluated = set(result["gates"])
        if evaluated != set(gates):
            missing = sorted(set(gates) - evaluated) or sorted(evaluated - set(gates))
            raise MedcostError(f"validate_metrics: model '{model}': "
                               f"gates {', '.join(missing)} not evaluated as configured")
        for name, gate in result["gates"].items():
            if not math.isfinite(gate["value"]):
                raise MedcostError(f"validate_metrics: model '{model}': gate '{name}' has no finite value")


def _reason(models: dict[str, Any], candidate: str | None, rmse: dict[str, float]) -> str:
    failed = {m: [g for g, r in res["gates"].items() if not r["passed"]] for m, res in models.items()}
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
