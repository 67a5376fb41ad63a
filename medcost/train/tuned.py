"""What a train stage fits: the inputs select kept, and its section as it is or with tune's best settings overlaid."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from medcost.core.catalog import Catalog
from medcost.core.contracts import FeatureSelection, TunedSettings, read_contract
from medcost.core.errors import MedcostError
from medcost.core.features import FeatureSpec
from medcost.core.params import TrainLinearParams, TrainTreeParams, TransformParams, TuneParams, section
from medcost.core.params_tune import S, overlay
from medcost.train.pipelines import without_dropped_inputs

log = logging.getLogger(__name__)


def tuned_params(cfg: S, name: str, family: str, tuned: TunedSettings, enabled: bool, source: str | Path) -> S:
    """``cfg`` (the section ``name``) with the best settings tune found for ``family`` when ``enabled``.

    ``enabled`` is tune.enabled; ``source`` the tuned file (for messages). Disabled: ``cfg`` as it is,
    whatever the file holds. Enabled with a file written while tuning was off: a one-line error.
    """
    if not enabled:
        log.info("%s: tune.enabled is false: the params as they are", name)
        return cfg
    if not tuned.enabled:
        raise MedcostError(f"tune.enabled is true but {source} was written with tuning off: rerun the tune stage")
    found = tuned.family(family)
    if found.section != name:
        raise MedcostError(f"{source}: the {family} settings are for {found.section}, not {name}")
    used = overlay(cfg, found.best_settings, name)
    changed = [f"{k} {getattr(cfg, k)!r} -> {v!r}" for k, v in found.best_settings.items() if getattr(cfg, k) != v]
    kept = [k for k, v in found.best_settings.items() if getattr(cfg, k) == v]
    log.info(
        "%s: tune's best trial %d (of %d, by cross-validated %s): %s%s",
        name, found.best, len(found.trials), found.metric, ", ".join(changed) or "no change",
        f"; as in params: {', '.join(kept)}" if kept else "",
    )  # fmt: skip
    return used


def kept_inputs(params: dict[str, Any], catalog: Catalog) -> FeatureSpec:
    """The model inputs of the transform params that select kept (its file, catalog.selection)."""
    selection = read_contract(catalog.selection, FeatureSelection, made_by="select")
    return selection.restrict(FeatureSpec.from_params(section(params, "transform", TransformParams)))


def tree_settings(params: dict[str, Any], catalog: Catalog, spec: FeatureSpec) -> tuple[TrainTreeParams, bool]:
    """train_tree's params as fitted (tuned when tune.enabled; monotone only in kept inputs) and tune.enabled."""
    enabled = section(params, "tune", TuneParams).enabled
    tuned = read_contract(catalog.tuned, TunedSettings, made_by="tune")
    cfg = tuned_params(
        section(params, "train_tree", TrainTreeParams), "train_tree", "tree", tuned, enabled, catalog.tuned
    )
    return without_dropped_inputs(cfg, spec), enabled


def linear_settings(params: dict[str, Any], catalog: Catalog) -> tuple[TrainLinearParams, bool]:
    """train_linear's params as fitted (tuned when tune.enabled) and tune.enabled."""
    enabled = section(params, "tune", TuneParams).enabled
    tuned = read_contract(catalog.tuned, TunedSettings, made_by="tune")
    cfg = section(params, "train_linear", TrainLinearParams)
    return tuned_params(cfg, "train_linear", "linear", tuned, enabled, catalog.tuned), enabled
