"""Registry test support: synthetic feature frames, medcost's own pipelines, contract files, a stage run.

Used by tests/unit/test_promote.py, test_notify.py, test_predict.py and tests/model/test_serving.py;
the fixtures built on it (``data``, ``empty_store``, ``store``) are in tests/conftest.py.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import pickle
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from medcost import promote as registry
from medcost.core.contracts import (
    DriftSummary,
    DriftVerdict,
    Evaluation,
    EvaluationData,
    FeatureDrift,
    GateResult,
    HoldoutScores,
    LoadReceipt,
    ModelScores,
    ModelVerdict,
    PromotionDecision,
    PublishedSnapshot,
    QualityVerdict,
    SplitSummary,
    ValidationMeta,
    ValidationReport,
    write_contract,
)
from medcost.core.features import FeatureSpec
from medcost.core.inputs import InputRules
from medcost.core.params import TrainLinearParams, TrainTreeParams, TransformParams, ValidateParams, section
from medcost.train import build_linear_pipeline, build_tree_pipeline, fit

ROOT = Path(__file__).resolve().parents[1]
MODEL = "medcost-test"
SECRET = "s3cr3t-t0ken"


def repo_params() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "params.yaml").read_text())


def feature_spec() -> FeatureSpec:
    return FeatureSpec.from_params(section(repo_params(), "transform", TransformParams))


def input_rules() -> InputRules:
    """The input rules the repository's params declare (what promote logs with each version)."""
    params = repo_params()
    return InputRules.from_params(
        section(params, "transform", TransformParams), section(params, "validate", ValidateParams)
    )


def make_frame(n: int, seed: int, year: int = 2025, target: bool = True) -> pd.DataFrame:
    """A feature frame with the project's real columns: NaN in numerics, None in categoricals.

    Every value is within the params' input rules (flags 0/1, bounded columns uniform within
    their bounds, the claim history non-negative and far below its cap); the target follows the claim history.
    """
    spec, rules = feature_spec(), input_rules()
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"client_id": np.arange(1, n + 1, dtype="int64"), "year": np.full(n, year, dtype="int64")})
    for i, name in enumerate(spec.numeric):
        rule = rules.columns[name]
        if rule.allowed is not None:
            values = rng.choice(rule.allowed, n)
        elif rule.low is not None and rule.high is not None and name not in spec.history:
            values = rng.uniform(rule.low, rule.high, n)
        else:
            values = rng.gamma(1.0 + i % 3, 100.0 * (1 + i % 4), n)
        values[rng.random(n) < 0.05] = np.nan
        frame[name] = values
    choices = {
        "sex": ["female", "male"],
        "region": ["northeast", "northwest", "southeast", "southwest"],
        "plan": ["bronze", "silver", "gold", "platinum"],
    }
    for name in spec.categorical:
        labels = rng.choice(choices.get(name, ["a", "b", "c"]), n).astype(object)
        labels[rng.random(n) < 0.05] = None
        frame[name] = labels
    signal = np.nan_to_num(frame[spec.history[:6]].to_numpy()).sum(axis=1)
    frame[spec.target] = signal + rng.gamma(0.5, 300.0, n) if target else np.nan
    return frame


def fit_model(train: pd.DataFrame, kind: str = "good", alpha: float | None = None) -> Any:
    """One of medcost's own pipelines: good (ridge), tree (a short boosting run) or bad (ridge that predicts the mean).

    ``alpha`` overrides the ridge's regularisation (a slightly different ``good`` scores within noise of it).
    """
    params, spec = repo_params(), feature_spec()
    if kind == "tree":
        tree = section(params, "train_tree", TrainTreeParams).model_copy(update={"max_iter": 30})
        return fit(build_tree_pipeline(tree, spec), train, spec, n_threads=1)
    alpha = alpha if alpha is not None else {"good": 1.0, "bad": 1e12}[kind]
    linear = section(params, "train_linear", TrainLinearParams).model_copy(
        update={"model": "ridge", "alpha": alpha, "log_features": False, "log_target": False}
    )
    return fit(build_linear_pipeline(linear, spec), train, spec, n_threads=1)


def sha(model: Any) -> str:
    return hashlib.sha256(pickle.dumps(model)).hexdigest()


def quality(candidate: str | None = "tree", passed: bool = True) -> QualityVerdict:
    gates = {"r2": GateResult(value=0.3 if passed else 0.01, threshold=0.05, passed=passed)}
    return QualityVerdict(
        passed=passed,
        candidate=candidate if passed else None,
        models={"tree": ModelVerdict(passed=passed, gates=gates), "linear": ModelVerdict(passed=passed, gates=gates)},
        reason="tree passes all gates" if passed else "no model passes its gates: tree failed r2",
    )


def drift(passed: bool = True) -> DriftSummary:
    return DriftSummary(
        verdict=DriftVerdict(passed=passed, failed=[] if passed else ["psi.bmi"]),
        model="tree",
        rows={"train": 600, "test": 200, "scoring": 150},
        rows_used={"train": 600, "test": 200, "scoring": 150},
        reference_advanced={"age": 1},
        features={"bmi": FeatureDrift(psi=0.01 if passed else 0.5, std_shift=0.02)},
        multivariate_drift={"drift_score": 0.01},
        prediction_drift={"drift_score": 0.02},
        label_drift={"drift_score": 0.03},
    )


def accepted_records(
    test_rows: int = 200, scoring_rows: int = 150
) -> tuple[ValidationReport, PublishedSnapshot, SplitSummary]:
    """validate's report and published receipt, and split's summary, of an accepted snapshot (predict's gate opens)."""
    receipt = LoadReceipt(
        backend="deltalake",
        table="data/lakehouse/client_features",
        version=0,
        rows=test_rows + scoring_rows,
        years=[2025, 2026],
        key=["client_id", "year"],
        columns=["client_id", "year"],
        content_hash="f" * 64,
    )
    report = ValidationReport(success=True, suites={}, meta=ValidationMeta(expectations=1, results=1, problems=[]))
    published = PublishedSnapshot(receipt=receipt, as_of="2026-01-01")
    split = SplitSummary(published_hash="f" * 64, as_of="2026-01-01", train=0, test=test_rows, scoring=scoring_rows)
    return report, published, split


def accepted_snapshot(folder: Path, data: dict[str, Any]) -> None:
    """Write the records of an accepted snapshot that split ``data`` into the project ``folder``."""
    report, published, split = accepted_records(len(data["test"]), len(data["scoring"]))
    write_contract(folder / "metrics/validate.json", report)
    write_contract(folder / "data/lakehouse/client_features.published.json", published)
    write_contract(folder / "metrics/split.json", split)


def scores(rmse: float, r2: float) -> ModelScores:
    return ModelScores(
        test=HoldoutScores(r2=r2, mse=rmse**2, rmse=rmse, mae=rmse / 2, total_ratio=1.0, top_decile_share=0.3)
    )


def evaluation(tree_rmse: float = 10.0, linear_rmse: float = 11.0) -> Evaluation:
    return Evaluation(
        models={"tree": scores(tree_rmse, 0.3), "linear": scores(linear_rmse, 0.25)},
        data=EvaluationData(train_rows=600, test_rows=200, test_total_cost=1.0e5, perfect_top_decile_share=0.4),
    )


def promotion(
    model: Any,
    test: pd.DataFrame,
    *,
    passed: bool = True,
    drift_passed: bool = True,
    candidate: str = "tree",
    lineage: registry.Lineage | None = None,
    **extra: Any,
) -> registry.Promotion:
    digest = sha(model)
    lineage = lineage or registry.Lineage(commit="abc123" * 6 + "ab12", dirty=False)
    return registry.Promotion(
        model_name=MODEL,
        experiment="medcost-tests",
        candidate=candidate,
        model=model,
        model_sha256=digest,
        test=test,
        spec=feature_spec(),
        verdicts=registry.read_verdicts(quality(candidate, passed), drift(drift_passed)),
        metrics={"test.rmse": 1.0},
        params={"train_tree": {"max_iter": 30}},
        tags=registry.lineage_tags(
            candidate=candidate,
            sha256=digest,
            lineage=lineage,
            hashes={"train": "d41d8"},
            params={"train_tree": {"max_iter": 30}},
        ),
        lineage=lineage,
        rules=input_rules(),
        **extra,
    )


def build_data() -> dict[str, Any]:
    """Train, test and scoring frames and three fitted pipelines (good, tree, bad)."""
    train = make_frame(600, seed=1)
    test = make_frame(200, seed=2)
    return {
        "train": train,
        "test": test,
        "good": fit_model(train, "good"),
        "tree": fit_model(train, "tree"),
        "bad": fit_model(train, "bad"),
        "scoring": make_frame(150, seed=3, year=2026, target=False),
    }


def create_empty_store(folder: Path) -> Path:
    """An MLflow SQLite store with its tables created (the migrations take seconds): tests copy it."""
    path = folder / "mlflow.db"
    with registry.mlflow_session(f"sqlite:///{path}") as c:
        c.search_experiments()
    return path


def new_store(folder: Path, template: Path) -> str:
    """A fresh, empty tracking store ``folder/mlflow.db`` (artifacts go to ``folder/mlruns``)."""
    shutil.copyfile(template, folder / "mlflow.db")
    return f"sqlite:///{folder / 'mlflow.db'}"


def run_promote(p: registry.Promotion, uri: str) -> PromotionDecision:
    return registry.promote(p, uri, registry.default_artifact_location(uri))


def free_port() -> int:
    """A loopback port nobody listens on (for a server a test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def client(uri: str) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def write_project(
    folder: Path, data: dict[str, Any], *, model: Any, passed: bool = True, drift_passed: bool = True
) -> dict[str, Any]:
    """A project folder with the inputs of the promote/predict stages, committed to git; returns its params."""
    params = repo_params()
    params["paths"] = {
        **params["paths"],
        **{
            "train": "data/processed/train.parquet",
            "test": "data/processed/test.parquet",
            "scoring": "data/processed/scoring.parquet",
            "models": "models",
            "metrics": "metrics",
            "plots": "plots",
            "predictions": "data/predictions",
            "lakehouse": "data/lakehouse/client_features",
            "published": "data/lakehouse/client_features.published.json",
            "predictions_table": "data/lakehouse/predictions",
        },
    }
    (folder / "data/processed").mkdir(parents=True, exist_ok=True)
    data["test"].to_parquet(folder / "data/processed/test.parquet", index=False)
    data["scoring"].to_parquet(folder / "data/processed/scoring.parquet", index=False)
    (folder / "models").mkdir(exist_ok=True)
    for name in ("tree", "linear"):
        (folder / "models" / f"{name}.pkl").write_bytes(pickle.dumps(model))
    write_contract(folder / "metrics/quality.json", quality("tree", passed))
    write_contract(folder / "metrics/drift.json", drift(drift_passed))
    accepted_snapshot(folder, data)
    write_contract(folder / "metrics/evaluate.json", evaluation())
    (folder / "plots/evaluate").mkdir(parents=True, exist_ok=True)
    (folder / "plots/evaluate/predicted_vs_actual.png").write_bytes(b"\x89PNG fake plot")
    (folder / "dvc.lock").write_text(
        yaml.safe_dump(
            {
                "schema": "2.0",
                "stages": {
                    "split": {
                        "outs": [
                            {"path": "data/processed/train.parquet", "hash": "md5", "md5": "a" * 32},
                            {"path": "data/processed/test.parquet", "hash": "md5", "md5": "b" * 32},
                        ]
                    },
                    "train_tree": {"outs": [{"path": "models/tree.pkl", "hash": "md5", "md5": "c" * 32}]},
                },
            }
        )
    )
    (folder / "params.yaml").write_text(yaml.safe_dump(params))
    (folder / "sql").mkdir(exist_ok=True)
    (folder / "sql/clients.sql").write_text("SELECT * FROM clients\n")
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", "params.yaml", "sql", "dvc.lock")
    git(folder, "commit", "-q", "--allow-empty", "-m", "project under test")
    return params


def git(folder: Path, *args: str) -> str:
    """Run git in ``folder`` as a test user (no global identity needed); its output."""
    identity = ["-c", "user.name=medcost-tests", "-c", "user.email=tests@medcost.invalid", "-c", "commit.gpgsign=false"]
    result = subprocess.run(["git", *identity, *args], cwd=folder, capture_output=True, text=True, check=True)
    return result.stdout


def run_stage(module: str, params: dict[str, Any]) -> None:
    importlib.import_module(f"stages.{module}").main(params, argparse.Namespace(params="params.yaml"))


def read_decision(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "metrics/promotion.json").read_text())
