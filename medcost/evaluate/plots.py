"""The evaluation plots: the plot-data CSV files DVC renders and the predicted-vs-actual scatter image."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from medcost.core.io import atomic_path

log = logging.getLogger(__name__)


def scatter_figure(tables: Mapping[str, pd.DataFrame], names: Sequence[str]) -> Any:
    """A matplotlib figure: predicted vs actual (log10(1 + cost)) per model, with the diagonal."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = tables["predicted_vs_actual"]
    figure, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 4.6), sharex=True, sharey=True, squeeze=False)
    top = float(max(data[["actual", *names]].max().max(), 1.0))
    for ax, name in zip(axes[0], names, strict=True):
        ax.scatter(data["actual"], data[name], s=4, alpha=0.35, linewidths=0)
        ax.plot([0, top], [0, top], color="black", linewidth=0.8)
        ax.set_title(f"{name}: predicted vs actual (test)")
        ax.set_xlabel("actual cost, log10(1 + $)")
        ax.set_ylabel("predicted cost, log10(1 + $)")
    figure.tight_layout()
    return figure


def write_plots(folder: str | Path, tables: Mapping[str, pd.DataFrame], names: Sequence[str]) -> None:
    """``folder`` (replaced atomically): one ``<table>.csv`` per table and ``predicted_vs_actual.png``."""
    with atomic_path(folder) as tmp:
        tmp.mkdir()
        for name, table in tables.items():
            table.to_csv(tmp / f"{name}.csv", index=False)
        figure = scatter_figure(tables, names)
        figure.savefig(tmp / "predicted_vs_actual.png", dpi=90, metadata={"Software": None})
