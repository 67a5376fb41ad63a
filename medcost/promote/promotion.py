"""What one promote is about: the candidate, the other trained models, their data and verdicts (the stage gathers it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from medcost.core.features import FeatureSpec
from medcost.core.inputs import InputRules
from medcost.promote.decision import Verdicts
from medcost.promote.lineage import Lineage


@dataclass(frozen=True)
class DatasetRef:
    """A DVC-tracked data file a model was trained or tested on: logged as an MLflow dataset input."""

    name: str  # "train" | "test"
    path: str  # relative to the repository, as dvc.yaml names it
    digest: str | None  # the md5 dvc.lock records (None outside `dvc repro`: MLflow computes one)
    context: str  # MLflow's dataset context: "training" | "testing"


@dataclass(frozen=True)
class TrainedModel:
    """A trained model that is not the candidate: still one nested run of the pipeline run."""

    family: str  # "tree" | "linear"
    model_sha256: str
    model_file: Path
    params: dict[str, Any] = field(default_factory=dict)  # its params sections, flattened into the run
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Promotion:
    """Everything promote needs, gathered by the stage (no file access in the registry code)."""

    model_name: str
    experiment: str
    candidate: str  # "tree" | "linear": which trained model
    model: Any  # the fitted scikit-learn pipeline
    model_sha256: str  # of the model file: the version's identity
    test: pd.DataFrame  # the test set, with the target
    spec: FeatureSpec
    verdicts: Verdicts  # read_verdicts(...)
    metrics: dict[str, float]  # logged to the run
    params: dict[str, Any]  # params sections, logged to the run (flattened) and as version tags
    tags: dict[str, str]  # lineage_tags(...)
    lineage: Lineage  # read_lineage(): git commit, git_dirty, DVC experiment
    rules: InputRules  # the declared input ranges and types, logged with the model and checked on every row
    artifacts: list[tuple[str, Path]] = field(default_factory=list)  # (pipeline run folder, local file or folder)
    model_file: Path | None = None  # the candidate's model file, logged to its run
    other_models: list[TrainedModel] = field(default_factory=list)  # the other trained models: a run each
    datasets: list[DatasetRef] = field(default_factory=list)  # train and test, logged as each model run's inputs
    min_rmse_improvement: float = 0.0
    input_example_rows: int = 5
    confidence: float = 0.95  # the paired bootstrap improvement must be positive at this level
    bootstrap_samples: int = 1000
    seed: int = 42
    allow_uncommitted: bool = False  # may a model from a dirty tree or `dvc exp run` become champion?
