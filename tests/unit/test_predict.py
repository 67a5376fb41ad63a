"""predict publishes only from a good snapshot, and when promote crowned nobody it says in one line which version and why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from medcost.core.contracts import PromotionDecision, read_contract, write_contract
from medcost.core.errors import MedcostError
from medcost.predict import held_back_reason, load_champion, why_no_champion
from medcost.promote import mlflow_session, skops_trusted_types
from tests.registry_support import MODEL, accepted_records, drift, new_store, run_stage, write_project


def promote_without_champion(
    folder: Path,
    data: dict[str, Any],
    empty_store: Path,
    monkeypatch: pytest.MonkeyPatch,
    experiment: bool = False,
    **verdicts: bool,
) -> tuple[dict[str, Any], str]:
    """A project where the real promote stage registered version 1 and crowned nobody; its params and store."""
    params = write_project(folder, data, model=data["good"], **verdicts)
    params["promote"] = {**params["promote"], "model_name": MODEL}
    uri = new_store(folder, empty_store)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.delenv("MEDCOST_WEBHOOK_URL", raising=False)
    for name in ("DVC_EXP_NAME", "DVC_EXP_BASELINE_REV"):
        monkeypatch.delenv(name, raising=False)
    if experiment:
        monkeypatch.setenv("DVC_EXP_NAME", "sweep-1")
    run_stage("promote", params)
    return params, uri


@pytest.mark.parametrize(
    ("verdicts", "lifecycle", "why"),
    [
        ({"passed": False}, "archived", "quality gates failed: no model passes its gates: tree failed r2"),
        # gates pass, but promote runs inside `dvc exp run`: registered, never crowned by default
        ({"experiment": True}, "active", "no champion yet; uncommitted: trained inside `dvc exp run` 'sweep-1'"),
    ],
)
def test_predict_without_champion_names_the_version_and_the_reason(
    data, empty_store, tmp_path, monkeypatch, verdicts, lifecycle, why
):
    params, uri = promote_without_champion(tmp_path, data, empty_store, monkeypatch, **verdicts)
    decision = read_contract(tmp_path / "metrics/promotion.json", PromotionDecision)
    assert decision.champion_after is None and decision.version == 1

    with pytest.raises(MedcostError) as err:
        run_stage("predict", params)
    message = str(err.value)
    assert message.startswith(f"no champion for registered model '{MODEL}' in sqlite:///")
    assert f"promote registered version 1 (tree, {lifecycle}) and crowned nobody: {why}" in message
    if lifecycle == "archived":
        assert "version 1 failed its gates: archived, never champion" in message
    else:
        assert message.endswith("stays challenger (promote.allow_uncommitted: false)")
    assert "run promote first" not in message and "\n" not in message
    assert not (tmp_path / "data/predictions").exists() and not (tmp_path / "metrics/predict.json").exists()


def test_without_a_decision_predict_still_says_to_run_promote(data, empty_store, tmp_path, monkeypatch):
    params, uri = promote_without_champion(tmp_path, data, empty_store, monkeypatch, passed=False)
    (tmp_path / "metrics/promotion.json").unlink()
    with pytest.raises(MedcostError, match=f"no champion for registered model '{MODEL}' .*: run promote first"):
        run_stage("predict", params)
    with pytest.raises(MedcostError, match="run promote first"):
        load_champion(MODEL, uri, None)


def test_a_decision_that_does_not_explain_the_missing_champion(data, empty_store, tmp_path, monkeypatch):
    _, uri = promote_without_champion(tmp_path, data, empty_store, monkeypatch, passed=False)
    decision = read_contract(tmp_path / "metrics/promotion.json", PromotionDecision)
    # a decision about another registered model says nothing about this one: the usual hint
    other = decision.model_copy(update={"model_name": "another-model"})
    assert why_no_champion(other, MODEL, uri) is None
    with pytest.raises(MedcostError, match="run promote first"):
        load_champion(MODEL, uri, other)
    # the decision crowned a version the registry does not have (a new machine, a deleted mlflow.db)
    crowned = decision.model_copy(update={"champion_after": 4})
    with pytest.raises(MedcostError) as err:
        load_champion(MODEL, uri, crowned)
    message = str(err.value)
    assert "promote's last decision made version 4 champion" in message
    assert message.endswith("rerun promote (dvc repro -s -f promote)") and "\n" not in message


# ----------------------------------------------------------------------------- the publishing rule


def test_predictions_are_held_back_when_the_drift_verdict_failed(data, empty_store, tmp_path, monkeypatch):
    params, _ = promote_without_champion(tmp_path, data, empty_store, monkeypatch, passed=False)
    write_contract(tmp_path / "metrics/drift.json", drift(False))
    published = tmp_path / "data/predictions/predictions.parquet"
    published.parent.mkdir(parents=True)
    published.write_bytes(b"last period's predictions")
    with pytest.raises(MedcostError) as err:
        run_stage("predict", params)
    message = str(err.value)
    assert message.startswith("predictions held back, data/predictions left as it was: ")
    assert "failed the drift verdict (psi.bmi); set predict.allow_drift: true" in message and "\n" not in message
    assert published.read_bytes() == b"last period's predictions"
    assert not (tmp_path / "metrics/predict.json").exists()


def test_allow_drift_lets_the_drift_part_pass_and_nothing_else():
    report, snapshot, split = accepted_records()
    failed = drift(False)
    assert held_back_reason(report, snapshot, split, failed, allow_drift=True) is None
    assert "drift verdict" in str(held_back_reason(report, snapshot, split, failed, allow_drift=False))
    rejected = report.model_copy(update={"success": False})
    assert "did not pass validate" in str(held_back_reason(rejected, snapshot, split, failed, allow_drift=True))
    assert "did not pass validate" in str(held_back_reason(None, snapshot, split, failed, allow_drift=True))
    assert "no snapshot has been accepted" in str(held_back_reason(report, None, split, failed, allow_drift=True))
    stale = split.model_copy(update={"published_hash": "0" * 64})
    assert "split from another snapshot than the published version 0" in str(
        held_back_reason(report, snapshot, stale, failed, allow_drift=True)
    )


def test_a_champion_registered_without_input_checks_is_refused(data, store):
    """A version logged as a plain pipeline (before the input checks) is never used to predict or serve."""
    import mlflow
    import mlflow.sklearn

    with mlflow_session(store) as c:
        mlflow.set_tracking_uri(store)
        with mlflow.start_run(experiment_id=c.create_experiment("plain")):
            info = mlflow.sklearn.log_model(
                data["good"],
                name="model",
                serialization_format="skops",
                skops_trusted_types=skops_trusted_types(data["good"]),
                pip_requirements=[],
            )
        created = mlflow.register_model(info.model_uri, MODEL)
        c.set_registered_model_alias(MODEL, "champion", created.version)
    with pytest.raises(MedcostError) as err:
        load_champion(MODEL, store)
    assert str(err.value).startswith(f"champion {MODEL} version 1 was registered without input checks")
