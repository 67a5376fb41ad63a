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
    changes = ", ".join(f"{k} {getattr(cfg, k)!r} -> {v!r}" for k, v in found.best_settings.items())
    log.info("%s: tuned settings of trial %d (%s %s): %s", name, found.best, found.metric, "cv", changes)
    return used
