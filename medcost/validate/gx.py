"""Great Expectations, imported lazily with its analytics and progress bars off, and its ephemeral context.

great_expectations takes seconds to import and logs hundreds of lines doing it, so it is
imported only inside these functions, when a suite is built or run.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from medcost.core.progress import waiting

log = logging.getLogger(__name__)


def gx() -> Any:
    """great_expectations, imported with analytics off (read at import and context creation)."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    # Its import logs hundreds of INFO lines (docs decorators): only its warnings are wanted.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    if "great_expectations" not in sys.modules:
        log.info("importing Great Expectations")  # 15-30 s on two cores: say what the stage is doing
    with waiting("importing Great Expectations"):
        import great_expectations

    return great_expectations


def gxe() -> Any:
    """great_expectations.expectations (the expectation classes), imported as :func:`gx` does."""
    gx()
    import great_expectations.expectations as expectations

    return expectations


def ephemeral_context() -> Any:
    """An ephemeral (in-memory) context: no project folder, no analytics, no progress bars."""
    module = gx()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    return module.get_context(mode="ephemeral", project_config=config)
