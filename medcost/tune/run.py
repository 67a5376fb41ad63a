"""The tune stage's work: read the train part with its clients, cross-validate each family's trials, summarise."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from medcost.core.contracts.tuning import FamilyTuneMetrics, TunedSettings, TuneMetrics
from medcost.core.errors import MedcostError
from medcost.core.features import CUTOFF_COLUMN, FeatureSpec
from medcost.core.io import read_parquet
from medcost.core.params_tune import TuneParams
from medcost.tune.family import Family
from medcost.tune.folds import client_codes, group_folds, sample_clients
from medcost.tune.search import search

log = logging.getLogger(__name__)


def client_columns(key: Sequence[str]) -> list[str]:
    """The columns naming a client: transform.key without the year (as split groups its parts)."""
    columns = [c for c in key if c not in ("year", CUTOFF_COLUMN)]
    if not columns:
        raise MedcostError(f"transform.key = {list(key)}: no client column besides the year")
    return columns


def read_cv_rows(path: str | Path, spec: FeatureSpec) -> tuple[pd.DataFrame, np.ndarray]:
    """The model inputs and target of a part (strings as categories) and each row's client (an integer code)."""
    import pyarrow.parquet as pq

    if not Path(path).exists():
        read_parquet(path, made_by="split")  # the one-line error naming the stage that writes it
    group = client_columns(spec.key)
    present = set(pq.read_schema(path).names)
    missing = [c for c in group if c not in present]
    if missing:
        raise MedcostError(f"{path}: client column(s) {', '.join(missing)} (transform.key) missing; rerun split")
    columns = [c for c in dict.fromkeys([*group, *spec.inputs, spec.target]) if c in present]
    frame = pq.read_table(path, columns=columns).to_pandas(strings_to_categorical=True)
    groups = frame.groupby(group, sort=True, dropna=False, observed=True).ngroup().to_numpy()
    return frame.drop(columns=group), groups


def tune(
    families: Sequence[Family],
    frame: pd.DataFrame,
    groups: np.ndarray,
    spec: FeatureSpec,
    cfg: TuneParams,
) -> TunedSettings:
    """Search each family on the same grouped folds (of a seeded client sample beyond ``cfg.max_rows`` rows)."""
    if len(frame) != len(groups):
        raise MedcostError(f"tune: {len(frame)} rows but {len(groups)} client codes")
    keep = sample_clients(groups, cfg.max_rows, cfg.seed)
    if not keep.all():
        log.info("tune: a seeded sample of %d of %d rows (tune.max_rows)", int(keep.sum()), len(keep))
        frame, groups = frame.loc[keep].reset_index(drop=True), groups[keep]
    else:
        frame = frame.reset_index(drop=True)
    splits = group_folds(groups, cfg.folds, cfg.seed)
    clients = client_codes(groups)[1]
    log.info("tune: %d rows of %d clients in %d grouped folds", len(frame), clients, cfg.folds)
    found = {f.name: search(f, frame, splits, clients, spec, cfg) for f in families}
    return TunedSettings(enabled=True, seed=cfg.seed, families=found)


def disabled() -> TunedSettings:
    """What tune writes when tune.enabled is false: that it is off (the train stages use their params as they are)."""
    return TunedSettings(enabled=False, families={})


def tune_metrics(tuned: TunedSettings) -> TuneMetrics:
    """metrics/tune.json: per family, the best and the default (trial 0) cross-validated metric."""
    families = {
        name: FamilyTuneMetrics(
            metric=found.metric,
            best=found.trial(found.best).scores[found.metric],
            default=found.trial(0).scores[found.metric],
            trials=len(found.trials),
            stopped_by=found.stopped_by,
        )
        for name, found in tuned.families.items()
    }
    return TuneMetrics(enabled=tuned.enabled, families=families)
