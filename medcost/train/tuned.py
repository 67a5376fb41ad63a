"""The train params a train stage fits with: its section as it is, or with tune's best settings overlaid."""

from __future__ import annotations

import logging
from pathlib import Path

from medcost.core.contracts import TunedSettings
from medcost.core.errors import MedcostError
from medcost.core.params_tune import S, overlay

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
