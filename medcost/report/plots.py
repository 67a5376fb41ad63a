"""The report's plot images: ``dvc plots diff --json`` output rendered to PNG offline (vl-convert).

The Vega-Lite specs come from the plot templates in .dvc/plots/ (named in dvc.yaml ``plots:``):
both revisions in one chart, told apart by colour, with the diagonal or zero line. Image plots
(the evaluate stage's PNG) are copied once per revision.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()


def render_plots(plots: dict[str, list[dict[str, Any]]], out_dir: Path) -> list[tuple[str, Path]]:
    """Turn `dvc plots diff --json` output into PNG files: (title, path) per plot."""
    import vl_convert

    rendered: list[tuple[str, Path]] = []
    for plot_id, entries in plots.items():  # dvc.yaml order
        for entry in entries:
            revisions = ", ".join(entry.get("revisions", []))
            if entry.get("type") == "vega":
                path = out_dir / f"{_slug(plot_id)}.png"
                path.write_bytes(vl_convert.vegalite_to_png(entry["content"], scale=1.5))
                title = entry["content"].get("title") or plot_id
                title = title.get("text", plot_id) if isinstance(title, dict) else title
                rendered.append((f"{title} ({revisions})", path))
            elif entry.get("type") == "image":
                source = Path(entry["url"])
                path = out_dir / f"{_slug(plot_id)}_{_slug(revisions)}{source.suffix}"
                shutil.copyfile(source, path)
                rendered.append((f"{plot_id} ({revisions})", path))
    return rendered
