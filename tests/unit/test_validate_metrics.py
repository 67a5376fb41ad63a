"""Quality gates on hand-made evaluations: each gate, band edges, the candidate, broken inputs, and the stage."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from medcost.core.contracts import (
    Backtest,
    BacktestData,
    BacktestRows,
    BacktestScores,
    Evaluation,
    EvaluationData,
    FamilyBacktest,
    GateResult,
    HoldoutScores,
    ModelScores,
    QualityVerdict,
    TrainScores,
    read_contract,
    write_contract,
)
from medcost.core.errors import MedcostError
from medcost.core.params import ValidateMetricsParams, section
from medcost.validate_metrics import check_complete, configured_gates, evaluate_gates

ROOT = Path(__file__).resolve().parents[2]

# Thresholds chosen so that the edge values below are exact in binary floating point.
CFG = ValidateMetricsParams(
    models=["tree", "linear"],
    baseline="baseline",
    min_r2=0.25,
    max_rmse_ratio=0.75,
    max_r2_gap=0.25,
    total_ratio_band=(0.875, 1.125),
)


def entry(
    r2: float | None = 0.5, rmse: float | None = 50.0, total_ratio: float | None = 1.0, train_r2: float | None = 0.625
) -> ModelScores:
    """One model's scores, as the evaluate stage writes them."""
    return ModelScores(
        test=HoldoutScores(
            r2=r2,
            rmse=rmse,
            mse=None if rmse is None else rmse**2,
            mae=None if rmse is None else rmse / 2,
            total_ratio=total_ratio,
            top_decile_share=0.4,
        ),
        train=TrainScores(r2=train_r2, rmse=None if rmse is None else rmse * 0.9),
    )


DATA = EvaluationData(train_rows=400, test_rows=100, test_total_cost=1e5, perfect_top_decile_share=0.5)


def evaluation(tree: ModelScores | None = None, linear: ModelScores | None = None) -> Evaluation:
    return Evaluation(
        models={
            "tree": tree or entry(),
            "linear": linear or entry(rmse=60.0),
            "baseline": entry(r2=0.0, rmse=100.0, train_r2=0.0),
        },
        data=DATA,
    )


def backtest(**mean_r2: float) -> Backtest:
    """A backtest of one year in which each named model has this R² (its mean too)."""

    def scored(r2: float) -> BacktestScores:
        return BacktestScores(
            r2=r2, rmse=1.0, mae=1.0, r2_capped=r2, gini=0.5, total_ratio=1.0, predictive_ratio={"1": 1.0}
        )

    return Backtest(
        data=BacktestData(years=[2025], training_years=1, cap=250_000.0, rows={"2025": BacktestRows(train=4, test=4)}),
        models={m: FamilyBacktest(mean=scored(r2), years={"2025": scored(r2)}) for m, r2 in mean_r2.items()},
    )


def with_cfg(**changes: Any) -> ValidateMetricsParams:
    return ValidateMetricsParams(**{**CFG.model_dump(), **changes})


def test_both_pass_lower_rmse_is_the_candidate():
    verdict = evaluate_gates(evaluation(), CFG)
    assert isinstance(verdict, QualityVerdict)
    assert verdict.passed is True and verdict.candidate == "tree"
    assert set(verdict.models) == {"tree", "linear"}
    for result in verdict.models.values():
        assert result.passed is True
        assert set(result.gates) == {"r2", "rmse_vs_baseline", "train_test_r2_gap", "total_ratio"}
    gates = verdict.models["tree"].gates
    assert gates["r2"] == GateResult(value=0.5, threshold=0.25, passed=True)
    assert gates["rmse_vs_baseline"] == GateResult(value=0.5, threshold=0.75, passed=True)
    assert gates["train_test_r2_gap"] == GateResult(value=0.125, threshold=0.25, passed=True)
    assert gates["total_ratio"] == GateResult(value=1.0, threshold=(0.875, 1.125), passed=True)
    assert "tree" in verdict.reason


@pytest.mark.parametrize(
    "metrics, gate",
    [
        (entry(r2=0.125, train_r2=0.25), "r2"),
        (entry(rmse=80.0), "rmse_vs_baseline"),
        (entry(r2=0.5, train_r2=0.875), "train_test_r2_gap"),
        (entry(total_ratio=0.75), "total_ratio"),
        (entry(total_ratio=1.25), "total_ratio"),
    ],
)
def test_each_gate_can_fail_alone(metrics, gate):
    verdict = evaluate_gates(evaluation(tree=metrics), CFG)
    tree = verdict.models["tree"]
    assert tree.passed is False
    assert [name for name, g in tree.gates.items() if not g.passed] == [gate]
    assert verdict.candidate == "linear" and verdict.passed is True
    assert f"tree failed {gate}" in verdict.reason


@pytest.mark.parametrize(
    "metrics",
    [
        entry(r2=0.25, train_r2=0.5),  # r2 == min, gap == max
        entry(rmse=75.0),  # rmse ratio == max
        entry(total_ratio=0.875),  # band low edge
        entry(total_ratio=1.125),  # band high edge
    ],
)
def test_edges_pass(metrics):
    tree = evaluate_gates(evaluation(tree=metrics), CFG).models["tree"]
    assert tree.passed is True, tree


@pytest.mark.parametrize(
    "metrics",
    [
        entry(r2=0.249999, train_r2=0.4),
        entry(rmse=75.0001),
        entry(total_ratio=0.874999),
        entry(total_ratio=1.12501),
    ],
)
def test_just_outside_the_edges_fails(metrics):
    assert evaluate_gates(evaluation(tree=metrics), CFG).models["tree"].passed is False


def test_values_are_compared_as_written_to_6_significant_digits():
    """quality.json never shows a value equal to its limit next to passed: false."""
    tree = evaluate_gates(evaluation(tree=entry(total_ratio=1.1250000001)), CFG).models["tree"]
    assert tree.gates["total_ratio"] == GateResult(value=1.125, threshold=(0.875, 1.125), passed=True)
    gap = evaluate_gates(evaluation(tree=entry(r2=0.3, train_r2=0.55)), CFG).models["tree"].gates
    # 0.55 - 0.3 = 0.25000000000000006, written and compared as 0.25
    assert gap["train_test_r2_gap"] == GateResult(value=0.25, threshold=0.25, passed=True)


def test_only_the_worse_model_passes_so_it_is_the_candidate():
    verdict = evaluate_gates(evaluation(tree=entry(rmse=40.0, total_ratio=0.5), linear=entry(rmse=70.0)), CFG)
    assert verdict.candidate == "linear" and verdict.passed is True


def test_none_passes():
    verdict = evaluate_gates(evaluation(tree=entry(r2=0.0, train_r2=0.0), linear=entry(total_ratio=2.0)), CFG)
    assert verdict.passed is False and verdict.candidate is None
    assert verdict.reason == "no model passes its gates: tree failed r2; linear failed total_ratio"


def test_rmse_tie_goes_to_the_first_listed_model():
    same = evaluation(tree=entry(rmse=50.0), linear=entry(rmse=50.0))
    assert evaluate_gates(same, CFG).candidate == "tree"
    assert evaluate_gates(same, with_cfg(models=["linear", "tree"])).candidate == "linear"


def test_a_switched_off_gate_is_not_evaluated_and_its_metric_not_needed():
    data = evaluation()
    for name in ("tree", "linear"):
        data.models[name].train = None
    verdict = evaluate_gates(data, with_cfg(max_r2_gap=None))
    assert set(verdict.models["tree"].gates) == {"r2", "rmse_vs_baseline", "total_ratio"}
    with pytest.raises(MedcostError, match="model 'tree' has no metric 'train.r2'"):
        evaluate_gates(data, CFG)


@pytest.mark.parametrize(
    "model, part, metric, shown",
    [
        ("linear", "test", "r2", "model 'linear' has no metric 'test.r2'"),
        ("tree", "test", "total_ratio", "model 'tree' has no metric 'test.total_ratio'"),
        ("tree", "test", "rmse", "model 'tree' has no metric 'test.rmse'"),
        ("baseline", "test", "rmse", "model 'baseline' has no metric 'test.rmse'"),
        ("tree", "train", "r2", "model 'tree' has no metric 'train.r2'"),
    ],
)
def test_a_null_metric_is_an_error_naming_model_and_metric(model, part, metric, shown):
    """A metric the gates need that the evaluation holds as null (undefined) is a one-line error."""
    data = evaluation()
    setattr(getattr(data.models[model], part), metric, None)
    with pytest.raises(MedcostError, match=shown) as err:
        evaluate_gates(data, CFG)
    assert str(err.value) == f"evaluation: {shown} (needed by the quality gates)"


def test_a_missing_model_or_a_non_finite_metric_is_an_error():
    data = evaluation()
    del data.models["linear"]
    with pytest.raises(MedcostError, match="model 'linear' missing"):
        evaluate_gates(data, CFG)
    data = evaluation(tree=entry(r2=float("nan")))
    with pytest.raises(MedcostError, match="model 'tree' metric 'test.r2' = nan is not finite"):
        evaluate_gates(data, CFG)


def test_meta_validation_catches_a_gate_or_model_not_evaluated():
    verdict = evaluate_gates(evaluation(), CFG)
    check_complete(verdict.models, CFG.models, configured_gates(CFG))
    del verdict.models["linear"].gates["r2"]
    with pytest.raises(MedcostError, match="model 'linear': gates r2 not evaluated as configured"):
        check_complete(verdict.models, CFG.models, configured_gates(CFG))
    with pytest.raises(MedcostError, match="evaluated models"):
        check_complete({"tree": verdict.models["tree"]}, CFG.models, configured_gates(CFG))
    verdict.models["tree"].gates["r2"].value = float("nan")
    with pytest.raises(MedcostError, match="model 'tree': gate 'r2' has no finite value"):
        check_complete({"tree": verdict.models["tree"]}, ["tree"], configured_gates(CFG))


def test_unreadable_files_are_one_line_errors(tmp_path):
    with pytest.raises(MedcostError, match="file not found \\(run the evaluate stage first\\)"):
        read_contract(tmp_path / "evaluate.json", Evaluation, made_by="evaluate")
    (tmp_path / "quality.json").write_text('{"passed": true}')
    with pytest.raises(MedcostError) as err:
        read_contract(tmp_path / "quality.json", QualityVerdict, made_by="validate_metrics")
    assert str(err.value) == (
        f"{tmp_path / 'quality.json'}: candidate: Field required (and 2 more); rerun the validate_metrics stage"
    )
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(MedcostError, match="not valid JSON"):
        read_contract(tmp_path / "bad.json", Evaluation, made_by="evaluate")


def test_a_metric_missing_from_the_file_is_a_one_line_error_naming_model_and_metric(tmp_path):
    """An evaluate.json without a metric (another layout, hand-edited) stops at reading, naming the field."""
    data = evaluation().model_dump(mode="json")
    del data["linear"]["test"]["rmse"]
    (tmp_path / "evaluate.json").write_text(json.dumps(data))
    with pytest.raises(MedcostError) as err:
        read_contract(tmp_path / "evaluate.json", Evaluation, made_by="evaluate")
    message = str(err.value)
    assert "\n" not in message and "linear.test.rmse: Field required" in message, message
    assert message.endswith("rerun the evaluate stage")


def test_the_backtest_gate_reads_the_mean_backtest_r2():
    cfg = with_cfg(min_backtest_r2=0.25)
    verdict = evaluate_gates(evaluation(), cfg, backtest(tree=0.25, linear=0.125))
    assert verdict.models["tree"].gates["backtest_r2"] == GateResult(value=0.25, threshold=0.25, passed=True)
    assert verdict.models["linear"].gates["backtest_r2"].passed is False and verdict.candidate == "tree"
    assert "backtest_r2" not in evaluate_gates(evaluation(), CFG, backtest(tree=0.25)).models["tree"].gates
    with pytest.raises(MedcostError, match="backtest: model 'linear' has no mean R²"):
        evaluate_gates(evaluation(), cfg, backtest(tree=0.25))
    with pytest.raises(MedcostError, match="backtest: model 'tree' has no mean R²"):
        evaluate_gates(evaluation(), cfg)


def test_the_verdict_file_round_trips_in_its_layout(tmp_path):
    verdict = evaluate_gates(evaluation(), CFG)
    write_contract(tmp_path / "quality.json", verdict)
    data = json.loads((tmp_path / "quality.json").read_text())
    assert set(data) == {"passed", "candidate", "models", "reason"}
    assert data["models"]["tree"]["gates"]["total_ratio"] == {"value": 1.0, "threshold": [0.875, 1.125], "passed": True}
    assert read_contract(tmp_path / "quality.json", QualityVerdict) == verdict


def test_inputs_are_not_modified():
    data = evaluation()
    before = data.model_dump_json()
    evaluate_gates(data, CFG)
    assert data.model_dump_json() == before


def test_params_section_validates(params):
    cfg = section(params, "validate_metrics", ValidateMetricsParams)
    assert cfg.models and cfg.baseline not in cfg.models
    with pytest.raises(MedcostError, match="total_ratio_band"):
        section(
            {"validate_metrics": {**params["validate_metrics"], "total_ratio_band": [1.2, 0.8]}},
            "validate_metrics",
            ValidateMetricsParams,
        )
    with pytest.raises(MedcostError, match="at least one gate"):
        section(
            {
                "validate_metrics": {
                    **params["validate_metrics"],
                    "min_r2": None,
                    "max_rmse_ratio": None,
                    "max_r2_gap": None,
                    "total_ratio_band": None,
                    "min_backtest_r2": None,
                }
            },
            "validate_metrics",
            ValidateMetricsParams,
        )


# ----------------------------------------------------------------------------- the stage, as DVC runs it


def run_stage(
    tmp_path: Path, params: dict[str, Any], data: Evaluation, backtested: Backtest | None = None
) -> subprocess.CompletedProcess:
    metrics = tmp_path / "metrics"
    write_contract(metrics / "evaluate.json", data)
    write_contract(metrics / "backtest.json", backtested or backtest(**{m: -1.0 for m in data.models}))
    mine = {**params, "paths": {**params["paths"], "metrics": str(metrics)}}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(mine))
    return subprocess.run(
        [sys.executable, "-m", "stages.validate_metrics", "--params", str(tmp_path / "params.yaml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_stage_writes_the_verdict_and_exits_0_when_models_fail(tmp_path, params):
    cfg = section(params, "validate_metrics", ValidateMetricsParams)
    failing = Evaluation(
        models={name: entry(r2=-1.0, train_r2=-1.0, total_ratio=5.0) for name in [*cfg.models, cfg.baseline]}, data=DATA
    )
    done = run_stage(tmp_path, params, failing)
    assert done.returncode == 0, done.stderr
    verdict = read_contract(tmp_path / "metrics" / "quality.json", QualityVerdict)
    assert verdict.passed is False and verdict.candidate is None
    assert set(verdict.models) == set(cfg.models)
    for result in verdict.models.values():
        assert result.passed is False and set(result.gates) == set(configured_gates(cfg))
        for gate in result.gates.values():
            assert isinstance(gate.value, float)
    assert isinstance(verdict.reason, str) and verdict.reason


def test_stage_fails_with_one_line_on_a_missing_metric(tmp_path, params):
    cfg = section(params, "validate_metrics", ValidateMetricsParams)
    data = Evaluation(models={name: entry() for name in [*cfg.models, cfg.baseline]}, data=DATA)
    data.models[cfg.models[-1]].test.rmse = None  # undefined: null in evaluate.json
    done = run_stage(tmp_path, params, data)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f"error: validate_metrics: evaluation: model '{cfg.models[-1]}' has no metric 'test.rmse' "
        "(needed by the quality gates)"
    )
    assert not (tmp_path / "metrics" / "quality.json").exists()
