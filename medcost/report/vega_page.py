"""The offline HTML template of ``dvc plots show`` / ``dvc plots diff``: Vega, Vega-Lite and Vega-Embed inlined.

DVC's renderer loads the three scripts from a CDN, so offline every Vega plot stays blank. The
template (``.dvc/plots/offline.html``, named by ``plots.html_template`` in ``.dvc/config``, so a
plain ``dvc plots show`` uses it) holds the same versions inline and has no ``{scripts}``
placeholder, so DVC adds no CDN tag. Rebuild it after changing the versions:

    npm pack vega@5.20.2 vega-lite@5.2.0 vega-embed@6.18.2   # in an empty folder, then untar each
    python -m medcost.report.vega_page <that folder> .dvc/plots/offline.html
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from pathlib import Path

from medcost.core.entry import run_tool
from medcost.core.errors import MedcostError
from medcost.core.io import atomic_path

LIBRARIES = {"vega": "5.20.2", "vega-lite": "5.2.0", "vega-embed": "6.18.2"}
"""The versions dvc_render (1.0.x) loads from its CDN: the specs DVC writes are made for them."""

_SOURCE_MAP = re.compile(r"\n?//# sourceMappingURL=\S+\s*$")

_PAGE = """<!DOCTYPE html>
<html>
<head>
    <meta charset="utf-8">
    {{refresh_tag}}
    <title>medcost plots</title>
    <!-- {versions}: inlined so the page draws offline (BSD-3-Clause, see .dvc/plots/licenses/).
         Written by python -m medcost.report.vega_page; DVC fills in the plots below. -->
{scripts}
    <style>
        body {{ font-family: system-ui, sans-serif; margin: 1em 2em; }}
        table {{ border-spacing: 15px; }}
    </style>
</head>
<body>
    {{plot_divs}}
</body>
</html>
"""


def _script(name: str, text: str) -> str:
    body = _SOURCE_MAP.sub("", text.rstrip())  # the map is not vendored: no request for a missing file
    for placeholder in ("{plot_divs}", "{scripts}", "{refresh_tag}", "</script"):
        if placeholder in body:
            raise MedcostError(f"{name}: contains '{placeholder}', which would break the HTML template")
    return f'    <script data-library="{name}@{LIBRARIES[name]}">\n{body}\n    </script>'


def build_template(sources: dict[str, str]) -> str:
    """The template's text from each library's minified build (``sources``: library name -> JavaScript)."""
    missing = sorted(set(LIBRARIES) - set(sources))
    if missing:
        raise MedcostError(f"vega template: no source for {', '.join(missing)}")
    versions = ", ".join(f"{name} {version}" for name, version in LIBRARIES.items())
    scripts = "\n".join(_script(name, sources[name]) for name in LIBRARIES)
    return _PAGE.format(versions=versions, scripts=scripts)


def read_packages(folder: Path) -> dict[str, str]:
    """Each library's ``build/<name>.min.js`` from untarred ``npm pack`` archives (``<name>-<version>/package``)."""
    sources = {}
    for name, version in LIBRARIES.items():
        path = folder / f"{name}-{version}" / "package" / "build" / f"{name}.min.js"
        if not path.is_file():
            raise MedcostError(f"vega template: {path} not found (npm pack {name}@{version}, then untar it there)")
        sources[name] = path.read_text(encoding="utf-8")
    return sources


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m medcost.report.vega_page PACKAGES OUT``."""
    parser = argparse.ArgumentParser(prog="python -m medcost.report.vega_page", description=__doc__.splitlines()[0])
    parser.add_argument("packages", type=Path, help="folder of the untarred npm pack archives")
    parser.add_argument("out", type=Path, help="the template to write (.dvc/plots/offline.html)")

    def write(args: argparse.Namespace) -> None:
        text = build_template(read_packages(args.packages))
        with atomic_path(args.out) as tmp:
            tmp.write_text(text, encoding="utf-8")

    run_tool("vega_page", parser, write, argv)


if __name__ == "__main__":
    main()
