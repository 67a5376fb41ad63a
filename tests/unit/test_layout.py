"""The layout's rules: stage packages import only core and themselves, no cycles, dvc.yaml deps match the imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml

from medcost.core.catalog import Catalog

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "medcost"

TOOLS = {"demo_data", "serve", "registry", "report"}
"""Packages that are not stages: they may import core and any stage package."""

STAGE_PACKAGE = {"train_tree": "train", "train_linear": "train", "fingerprint": "extract"}
"""DVC stages whose package is not named after them: both model families share medcost/train; the source
fingerprint is extract's (the same connection and SQL files)."""

EXCEPTIONS = {
    ("validate", "load"): "validate reads the loaded lakehouse version through load's one Lakehouse protocol",
    ("split", "load"): "split reads the published lakehouse version through load's one Lakehouse protocol",
    ("predict", "load"): "predict writes the predictions table through load's one Delta upsert",
    ("predict", "promote"): "predict resolves and loads the champion through promote's registry client",
    (
        "tune",
        "train",
    ): "tune cross-validates train's own pipelines (its builders and fit), so it tunes the models fitted",
    ("backtest", "load"): "backtest reads the published lakehouse version through load's one Lakehouse protocol",
    ("backtest", "train"): "backtest fits the train stages' own pipelines (one definition of each family)",
    ("monitor", "load"): "monitor reads the published actual costs through load's one Lakehouse protocol",
    ("monitor", "promote"): "monitor reads each version's expectation through promote's registry client",
}
"""Deliberate imports of another stage's package, with the reason."""

HEAVY = (
    "great_expectations",
    "deepchecks",
    "mlflow",
    "dvclive",
    "deltalake",
    "hopsworks",
    "skops",
    "matplotlib",
    "vl_convert",
    "pyspark",
    "duckdb",
    "optuna",
)
"""Third-party packages that take seconds to import: only inside the function of the stage that needs them."""

MAX_LINES = 320
"""About 300 lines: one purpose per module."""


def dvc_stages() -> dict[str, dict]:
    return yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def module_files() -> list[Path]:
    return sorted([*PACKAGE.rglob("*.py"), *(ROOT / "stages").glob("*.py")])


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _type_checking_blocks(tree: ast.Module) -> set[int]:
    """Line numbers of statements inside ``if TYPE_CHECKING:`` blocks (imports for annotations only)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def _exists(module: str) -> bool:
    path = ROOT.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _targets(node: ast.Import | ast.ImportFrom, current: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    module = node.module or ""
    if node.level:  # relative import
        base = current.rsplit(".", node.level)[0]
        module = f"{base}.{module}" if module else base
    # `from medcost.load import delta` imports the module medcost.load.delta when there is one
    return [f"{module}.{a.name}" if _exists(f"{module}.{a.name}") else module for a in node.names]


def import_nodes(path: Path) -> list[tuple[ast.Import | ast.ImportFrom, bool, bool]]:
    """Every import of ``path`` with (node, inside a function, inside ``if TYPE_CHECKING``)."""
    tree = parsed(path)
    typing_only = _type_checking_blocks(tree)
    found: list[tuple[ast.Import | ast.ImportFrom, bool, bool]] = []

    def walk(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.append((child, in_function, child.lineno in typing_only))
            walk(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda))

    walk(tree, False)
    return found


def imports(path: Path, *, runtime_only: bool = True) -> set[str]:
    """The medcost/stages modules ``path`` imports at module level (``runtime_only``: not under TYPE_CHECKING)."""
    out: set[str] = set()
    for node, in_function, typing_only in import_nodes(path):
        if in_function or (typing_only and runtime_only):
            continue
        out.update(t for t in _targets(node, module_name(path)) if t.split(".")[0] in ("medcost", "stages"))
    return out


def package_of(module: str) -> str:
    """``medcost.load.delta`` -> ``load``; a stage entry ``stages.train_tree`` -> its package ``train``."""
    parts = module.split(".")
    if parts[0] == "stages" and len(parts) > 1:
        return STAGE_PACKAGE.get(parts[1], parts[1])
    return parts[1] if parts[0] == "medcost" and len(parts) > 1 else parts[0]


def graph() -> dict[str, set[str]]:
    by_name = {module_name(p): p for p in module_files()}
    edges: dict[str, set[str]] = {}
    for name, path in by_name.items():
        edges[name] = set()
        for target in imports(path):
            # importing medcost.x.y runs medcost/x/__init__ first, unless that is the importer's own package
            parts = target.split(".")
            prefixes = {".".join(parts[:i]) for i in range(2, len(parts) + 1)}
            edges[name].update(p for p in prefixes if p in by_name and (p == target or not name.startswith(f"{p}.")))
        edges[name].discard(name)
    return edges


# --------------------------------------------------------------------------- tests


def test_every_package_is_core_a_stage_or_a_tool():
    stage_packages = {STAGE_PACKAGE.get(s, s) for s in dvc_stages()}
    packages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == {"core"} | stage_packages | TOOLS, "each folder of medcost/ is core, a stage's package or a tool"
    loose = [p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    assert not loose, f"modules outside a package: {loose}"
    for stage in dvc_stages():
        assert (ROOT / "stages" / f"{stage}.py").is_file(), f"stage {stage} has no stages/{stage}.py entry"


def test_stages_import_only_core_and_their_own_package():
    """Applies to the package and to its entry ``stages/<name>.py`` alike."""
    stage_packages = {STAGE_PACKAGE.get(s, s) for s in dvc_stages()}
    wrong = []
    for path in module_files():
        name = module_name(path)
        own = package_of(name)
        for target in imports(path, runtime_only=False):
            other = package_of(target)
            if own == "core" and other != "core":
                wrong.append(f"{name} (core) imports {target}")
            elif own in stage_packages and other not in ("core", own) and (own, other) not in EXCEPTIONS:
                wrong.append(f"{name} imports {target}")
            elif target.startswith("stages."):
                wrong.append(f"{name} imports a stage entry {target}")
    assert not wrong, "stage packages import only medcost.core and themselves:\n" + "\n".join(wrong)


def test_the_exceptions_are_used():
    used = {(package_of(module_name(p)), package_of(t)) for p in module_files() for t in imports(p, runtime_only=False)}
    unused = [f"{a} -> {b}" for a, b in EXCEPTIONS if (a, b) not in used]
    assert not unused, f"exceptions no longer needed (remove them): {unused}"


def test_no_import_cycles():
    edges = graph()
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_no_medcost_imports_inside_functions_and_heavy_imports_stay_lazy():
    wrong = []
    for path in module_files():
        for node, in_function, typing_only in import_nodes(path):
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            for name in _targets(node, module_name(path)):
                top = name.split(".")[0]
                if in_function and top in ("medcost", "stages"):
                    wrong.append(f"{where} imports {name} inside a function (import it at the top)")
                elif not in_function and not typing_only and top in HEAVY:
                    wrong.append(f"{where} imports {name} at module level (import it inside the function)")
    assert not wrong, "\n".join(wrong)


def test_importing_every_stage_entry_loads_no_heavy_package():
    entries = [f"stages.{p.stem}" for p in (ROOT / "stages").glob("*.py") if p.stem != "__init__"]
    code = (
        "import sys\n"
        + "".join(f"import {e}\n" for e in entries)
        + f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", f"heavy packages loaded at import time: {result.stdout.strip()}"


@pytest.mark.parametrize("path", module_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_is_short_and_says_what_it_is_for(path: Path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{lines} lines: split it by purpose"
    docstring = ast.get_docstring(parsed(path))
    assert docstring, "no module docstring"
    first = docstring.splitlines()[0]
    assert first.endswith(".") and len(first) <= 120, f"first line is not one sentence: {first!r}"


def _folders(modules: set[str]) -> set[str]:
    return {str(Path(*m.split(".")[:2])) for m in modules if m.startswith("medcost.")}


def _closure(start: str, edges: dict[str, set[str]]) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(edges.get(node, ()))
    return seen


@pytest.mark.parametrize("stage", sorted(dvc_stages()))
def test_dvc_deps_are_the_folders_the_stage_imports(stage: str):
    deps = {str(Path(d)) for d in dvc_stages()[stage].get("deps", [])}
    code = {d for d in deps if d.startswith(("medcost", "stages"))}
    imported = _folders(_closure(f"stages.{stage}", graph()))
    expected = {f"stages/{stage}.py", "medcost/core", *imported}
    assert not [d for d in code if d.endswith(".py") and d.startswith("medcost")], "deps are folders, not modules"
    assert code == expected, (
        f"{stage}: dvc.yaml code deps {sorted(code)} differ from what stages/{stage}.py imports {sorted(expected)}"
    )


def test_every_catalog_path_is_declared_in_dvc_yaml(params: dict):
    catalog = Catalog.from_params(params)
    text = (ROOT / "dvc.yaml").read_text()
    for key, value in params["paths"].items():
        text = text.replace(f"${{paths.{key}}}", value)
    declared = set()
    for stage in yaml.safe_load(text)["stages"].values():
        for kind in ("deps", "outs", "metrics", "plots"):
            for entry in stage.get(kind, []):
                declared.add(str(Path(next(iter(entry)) if isinstance(entry, dict) else entry)))
    # The source, the untracked run log, and the lakehouse's Delta tables: their files carry commit
    # timestamps and random names, so as outs their hashes would change dvc.lock on every machine;
    # the receipts that pin each version by content hash are the outs (dvc.yaml, load).
    lakehouse = {catalog.staging, catalog.lakehouse, catalog.predictions_table}
    outside_dvc = {catalog.source_db, catalog.truth, catalog.run_log, *lakehouse}
    assert not lakehouse & {Path(d) for d in declared}, "a Delta table is a DVC out: its hash is volatile"
    paths = [getattr(catalog, name) for name in dir(Catalog) if isinstance(getattr(Catalog, name), property)]
    paths += [
        catalog.raw_table("clients"),
        catalog.raw_table("claims"),
        catalog.model("tree"),
        catalog.model("linear"),
        catalog.dvclive("train_tree"),
        catalog.dvclive("train_linear"),
    ]
    undeclared = []
    for path in paths:
        if path in outside_dvc:
            continue
        covered = any(path == Path(d) or Path(d) in path.parents or path in Path(d).parents for d in declared)
        if not covered:
            undeclared.append(str(path))
    assert not undeclared, f"catalog paths no stage declares in dvc.yaml: {undeclared}"
