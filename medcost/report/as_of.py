"""Move ``extract.as_of`` to the latest 1 January, changing only that line of params.yaml (``make as-of``).

The scheduled retraining (``.github/workflows/retrain.yaml``) runs this before ``make run``:
on or after 1 January of a new year the snapshot date moves to that day, so the pipeline
trains on the year just completed and scores the new one. The file is rewritten the way
``dvc exp run -S`` rewrites it (ruamel.yaml's round trip, DVC's settings), and only if that
changes the ``as_of`` line and no other byte; the result must pass the project's params check.
When ``as_of`` is already the latest 1 January, the file is left untouched.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import logging
from collections.abc import Sequence
from pathlib import Path

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from medcost.core.entry import add_params_argument, run_tool
from medcost.core.errors import MedcostError, one_line
from medcost.core.io import atomic_path
from medcost.core.params import ExtractParams, read_params, section
from medcost.core.params_check import check_params

log = logging.getLogger(__name__)


def latest_new_year(today: dt.date) -> dt.date:
    """The latest 1 January on or before ``today``."""
    return dt.date(today.year, 1, 1)


def parse_today(text: str | None) -> dt.date:
    """``--today``'s value, a YYYY-MM-DD date; none or empty: today."""
    if text is None or not text.strip():
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise MedcostError(f"--today {text!r}: not a date (YYYY-MM-DD)") from None


def _round_trip() -> YAML:
    """ruamel.yaml as DVC's params writer uses it (``dvc.utils.serialize.modify_yaml``)."""
    writer = YAML()
    writer.default_flow_style = False
    return writer


def with_as_of(text: str, as_of: dt.date, source: str = "params.yaml") -> str:
    """``text`` (a params file) with ``extract.as_of`` set to ``as_of``; every other line exactly as it was."""
    writer = _round_trip()
    try:
        data = writer.load(text)
    except YAMLError as exc:
        raise MedcostError(f"{source}: not valid YAML: {one_line(str(exc))}") from None
    extract = data.get("extract") if isinstance(data, dict) else None
    if not isinstance(extract, dict) or "as_of" not in extract:
        raise MedcostError(f"{source}: extract.as_of is missing")
    extract["as_of"] = as_of.isoformat()  # a string: written quoted, as the file spells dates
    out = io.StringIO()
    writer.dump(data, out)
    new = out.getvalue()
    old_lines, new_lines = text.splitlines(keepends=True), new.splitlines(keepends=True)
    changed = [i for i, (a, b) in enumerate(zip(old_lines, new_lines)) if a != b]
    others = [i for i in changed if not old_lines[i].lstrip().startswith("as_of:")]
    if others or len(changed) > 1 or len(old_lines) != len(new_lines):
        line = (
            others[0] + 1
            if others
            else (changed[1] + 1 if len(changed) > 1 else min(len(old_lines), len(new_lines)) + 1)
        )
        raise MedcostError(
            f"{source}: setting extract.as_of would also rewrite line {line}; lay the file out as DVC writes it "
            "(see its header) or edit extract.as_of by hand"
        )
    params = yaml.safe_load(new)
    check_params(params, source)
    if section(params, "extract", ExtractParams, source).as_of != as_of:
        raise MedcostError(f"{source}: extract.as_of reads back as something other than {as_of}")
    return new


def move_as_of(path: str | Path, today: dt.date) -> tuple[dt.date, dt.date]:
    """Set ``extract.as_of`` of the params file ``path`` to the latest 1 January on or before ``today``.

    Returns (old, new); when they are equal the file was not touched.
    """
    path = Path(path)
    params = read_params(path)
    check_params(params, str(path))
    old = section(params, "extract", ExtractParams, str(path)).as_of
    new = latest_new_year(today)
    if new < old:
        raise MedcostError(f"{path}: extract.as_of = {old} is after {today}: the snapshot date never moves back")
    if new != old:
        text = with_as_of(path.read_text(), new, str(path))
        with atomic_path(path) as tmp:
            tmp.write_text(text)
    return old, new


def main(args: argparse.Namespace) -> tuple[dt.date, dt.date]:
    """Move the snapshot date and say what changed."""
    today = parse_today(args.today)
    old, new = move_as_of(args.params, today)
    if old == new:
        print(f"extract.as_of: {old} (already the latest 1 January on or before {today}; {args.params} unchanged)")
    else:
        extract = section(read_params(args.params), "extract", ExtractParams, args.params)
        print(
            f"extract.as_of: {old} -> {new} (history from {extract.history_start}, training year "
            f"{extract.target_year}, scoring year {extract.scoring_year})"
        )
    return old, new


def cli(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m medcost.report.as_of", description=main.__doc__)
    add_params_argument(parser)
    parser.add_argument("--today", help="the date to move to (YYYY-MM-DD; default: today)")
    run_tool("as_of", parser, main, argv)


if __name__ == "__main__":
    cli()
