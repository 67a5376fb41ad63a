"""The experiment table: every DVC experiment with its changed params and each model's test R² and RMSE, compactly.

``make exps`` (``python -m medcost.report.exps``) reads ``dvc exp show --json`` and prints one
row per commit baseline and per experiment under it, in under 160 columns: the params that
differ from the experiment's baseline (wrapped onto more lines when there are many), and the
test R² and RMSE of each model in ``validate_metrics.models`` from evaluate.json. A queued,
running or failed experiment shows its state instead of metrics.
"""

from __future__ import annotations

import argparse
import json
import math
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from medcost.core.catalog import Catalog
from medcost.core.entry import add_params_argument, run_tool
from medcost.core.params import ValidateMetricsParams, read_params, section
from medcost.report.report import dvc

WIDTH = 159  # the table is narrower than 160 columns
NAME_WIDTH = 24
REV_WIDTH = 7
PARAMS_MIN_WIDTH = 20
PARAMS_MAX_WIDTH = 64
METRICS = (("R²", "r2", 4), ("RMSE", "rmse", 1))  # header, evaluate.json key, decimals


@dataclass(frozen=True)
class Row:
    """One line of the table before layout: a baseline, the workspace or an experiment."""

    name: str
    rev: str
    params: dict[str, Any]  # flattened: "train_tree.max_iter" -> 300 (other files: "<file>:<key>")
    scores: dict[tuple[str, str], float | None]  # (model, metric) -> value
    state: str  # "" when done, else queued / running / failed
    baseline: bool


def flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested params as dotted keys; lists stay values."""
    flat: dict[str, Any] = {}
    for key, value in params.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{dotted}."))
        else:
            flat[dotted] = value
    return flat


def shown_value(value: Any) -> str:
    """A param value as params.yaml spells it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(shown_value(v) for v in value) + "]"
    return str(value)


def changed(params: Mapping[str, Any], base: Mapping[str, Any]) -> list[str]:
    """``key=value`` for every param that differs from ``base`` (``key: removed`` when gone), in params order."""
    out = [f"{key}={shown_value(value)}" for key, value in params.items() if key not in base or base[key] != value]
    return out + [f"{key}: removed" for key in base if key not in params]


def _row(node: Mapping[str, Any], models: Sequence[str], evaluation: str, *, baseline: bool, state: str = "") -> Row:
    rev = str(node.get("rev") or "")
    data = node.get("data") or {}
    params: dict[str, Any] = {}
    for file, content in sorted((data.get("params") or {}).items()):
        prefix = "" if file == "params.yaml" else f"{file}:"
        params.update({f"{prefix}{k}": v for k, v in flatten((content or {}).get("data") or {}).items()})
    metrics = ((data.get("metrics") or {}).get(evaluation) or {}).get("data") or {}
    scores: dict[tuple[str, str], float | None] = {}
    for model in models:
        test = (metrics.get(model) or {}).get("test") or {}
        for _, key, _ in METRICS:
            value = test.get(key)
            scores[(model, key)] = float(value) if isinstance(value, int | float) and math.isfinite(value) else None
    if not state and node.get("error"):
        state = "failed"
    name = node.get("name") or ("workspace" if rev == "workspace" else rev[:REV_WIDTH])
    return Row(
        name=str(name),
        rev="-" if rev == "workspace" else rev[:REV_WIDTH],
        params=params,
        scores=scores,
        state=state,
        baseline=baseline,
    )


def rows(
    shown: Sequence[Mapping[str, Any]], models: Sequence[str], evaluation: str
) -> Iterator[tuple[Row, Row | None]]:
    """(row, the row its params are compared with) for the workspace, each baseline and its experiments."""
    commits = [node for node in shown if node.get("rev") != "workspace"]
    first = _row(commits[0], models, evaluation, baseline=True) if commits else None
    for node in shown:
        base = _row(node, models, evaluation, baseline=True)
        yield base, (first if node.get("rev") == "workspace" else None)
        for experiment in node.get("experiments") or []:
            executor = experiment.get("executor")
            state = str(executor.get("state") or "") if isinstance(executor, Mapping) else ""
            for rev in experiment.get("revs") or []:
                named = {**rev, "name": rev.get("name") or experiment.get("name")}
                row = _row(named, models, evaluation, baseline=False, state="" if state == "success" else state)
                yield row, base


def _cell(value: float | None, decimals: int) -> str:
    return "-" if value is None else f"{value:,.{decimals}f}"


def experiment_table(
    shown: Sequence[Mapping[str, Any]], models: Sequence[str], evaluation: str, width: int = WIDTH
) -> str:
    """The table of ``dvc exp show --json`` output, every line at most ``width`` characters."""
    headers = [f"{model} {label}" for model in models for label, _, _ in METRICS]
    metric_widths = [max(len(h), 10) for h in headers]
    fixed = NAME_WIDTH + 2 + REV_WIDTH + 2 + sum(w + 2 for w in metric_widths)
    params_width = max(PARAMS_MIN_WIDTH, min(PARAMS_MAX_WIDTH, width - fixed))

    def line(name: str, rev: str, params: str, cells: Sequence[str]) -> str:
        metrics = "".join(f"  {cell:>{w}}" for cell, w in zip(cells, metric_widths, strict=False))
        return f"{name:<{NAME_WIDTH}}  {rev:<{REV_WIDTH}}  {params:<{params_width}}{metrics}".rstrip()

    out = [line("experiment", "rev", "params changed from its baseline", headers)]
    for row, base in rows(shown, models, evaluation):
        name = row.name if row.baseline else f"  {row.name}"
        if len(name) > NAME_WIDTH:
            name = name[: NAME_WIDTH - 1] + "…"
        if base is None:
            params = ["(baseline)"]
        else:
            params = textwrap.wrap(", ".join(changed(row.params, base.params)) or "(none)", params_width) or [""]
        if row.state:
            cells = [row.state]
        else:
            cells = [_cell(row.scores.get((model, key)), decimals) for model in models for _, key, decimals in METRICS]
        out.append(line(name, row.rev, params[0], cells))
        out.extend(line("", "", more, []) for more in params[1:])
    return "\n".join(out)


def _main(args: argparse.Namespace) -> None:
    params = read_params(args.params)
    models = section(params, "validate_metrics", ValidateMetricsParams).models
    evaluation = Catalog.from_params(params).evaluation.as_posix()
    shown = json.loads(dvc("exp", "show", "--json", *(["--all-branches"] if args.all_branches else [])))
    print(experiment_table(shown, models, evaluation, args.width))


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m medcost.report.exps [--all-branches] [--width 159]``."""
    parser = argparse.ArgumentParser(prog="python -m medcost.report.exps", description=(__doc__ or "").splitlines()[0])
    add_params_argument(parser)
    parser.add_argument("-A", "--all-branches", action="store_true", help="experiments of every branch, not only HEAD")
    parser.add_argument("--width", type=int, default=WIDTH, help=f"widest line (default: {WIDTH})")
    run_tool("exps", parser, _main, argv)


if __name__ == "__main__":
    main()
