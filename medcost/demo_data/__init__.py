"""The seeded demo source database: insured clients and their claims, with the true expected cost.

:func:`generate` writes two tables, ``clients`` and ``claims``, to any SQLAlchemy URL and
each enrolled client-year's *true expected cost* to a Parquet file beside the database
(never inside it), so a benchmark can tell how close a model comes to the best possible
prediction. The same seed gives the same rows, whatever the chunk size; the generating
process is in :mod:`medcost.demo_data.simulate`, its constants in :class:`Process`, and
:func:`realism_report` compares a generated source with the published MEPS figures.

Command line: ``python -m medcost.demo_data [--url URL] [--clients N] ... [--if-missing]``.
"""

from medcost.demo_data.build import generate
from medcost.demo_data.cli import build_parser, main, run
from medcost.demo_data.process import PROCESS, Process
from medcost.demo_data.realism import realism_report
from medcost.demo_data.schema import (
    CATEGORIES,
    CLAIM_COLUMNS,
    CLIENT_COLUMNS,
    CONDITIONS,
    PLANS,
    REGIONS,
    SEXES,
    TRUTH_COLUMNS,
    build_indexes,
    build_metadata,
)
from medcost.demo_data.simulate import Block, iter_blocks, simulate_block

__all__ = [
    "CATEGORIES",
    "CLAIM_COLUMNS",
    "CLIENT_COLUMNS",
    "CONDITIONS",
    "PLANS",
    "PROCESS",
    "REGIONS",
    "SEXES",
    "TRUTH_COLUMNS",
    "Block",
    "Process",
    "build_indexes",
    "build_metadata",
    "build_parser",
    "generate",
    "iter_blocks",
    "main",
    "realism_report",
    "run",
    "simulate_block",
]
