"""The layering of STYLE.md's "Where new things go", read from the modules' imports.

Every module of ``src/pathcredit`` is parsed with :mod:`ast`; each import (at the top
of a module and inside functions) is resolved to the module it names. The test fails on

- an import pointing **up** the layering (a module importing a higher layer), and
- an import **inside a function** that is not one of the heavy optional dependencies
  (those are loaded on first use so ``import pathcredit`` stays light); any other
  import belongs at the top of the module, where a reader sees what it depends on.

``ALLOWED`` lists the deliberate exceptions, each with its reason. ``KNOWN`` lists the
violations the code still had when this test was written, to be emptied as the modules
move; the test also fails when a listed violation no longer occurs, so the list can
only shrink.
"""

from __future__ import annotations

import ast
import statistics
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

#: Bottom to top; a module imports only from its own layer or below. A name is a module
#: or a package (all of its modules). ``_format`` (number formatting) and ``_progress``
#: (the progress bar factory) are plain helpers with no package imports: layer 0.
LAYERS: list[tuple[str, ...]] = [
    (
        "pathcredit.exceptions",
        "pathcredit._params",
        "pathcredit._version",
        "pathcredit._json",
        "pathcredit._format",
        "pathcredit._progress",
    ),
    ("pathcredit._games", "pathcredit._absorbing", "pathcredit._stats"),
    ("pathcredit.journeys",),
    ("pathcredit.results", "pathcredit.simulate"),
    ("pathcredit.models",),
    (
        "pathcredit.reports",
        "pathcredit.plotting",
        "pathcredit.benchmark",
        "pathcredit.validate",
        "pathcredit.economics",
        "pathcredit.datasets",
        "pathcredit.testing",
    ),
    ("pathcredit.cli",),
    ("pathcredit",),  # the package root: the public namespace, re-exporting every layer
]

#: Imported inside functions on purpose: heavy or optional, and never loaded by
#: ``import pathcredit`` (tests/test_package.py checks the list of what it loads).
HEAVY = {
    "pymc", "pytensor", "nutpie", "arviz", "xarray",  # Bayesian models (optional extra)
    "pyspark",  # a Spark engine (optional)
    "matplotlib", "networkx",  # plotting
    "pandas", "pyarrow", "scipy", "ibis", "duckdb", "polars",  # tables, solvers, engines
    "tqdm", "ipywidgets", "joblib",  # progress bars, worker pools (optional)
    "pytest",  # pathcredit.testing's parametrize helper, used only under pytest
}  # fmt: skip

#: Deliberate exceptions: (module, imported) -> why.
ALLOWED: dict[tuple[str, str], str] = {
    ("pathcredit.models.bayesian", "pathcredit.models.bayesian.response"): (
        "bayesian_response is PyMC-backed and its module loads pandas at the top: the "
        "package's __getattr__ loads it on first use so importing the registry stays light"
    ),
    ("pathcredit.results", "pathcredit.models._credit"): (
        "deprecated alias results.label_of (the label rule moved to models), resolved "
        "lazily in the module __getattr__ so loading results never imports models"
    ),
}

#: Violations when this test was written (module, imported): the modules still to move.
#: Empty it as they move; an entry that no longer occurs fails the test.
KNOWN: set[tuple[str, str]] = set()


def _layer_of(module: str) -> int:
    best, where = -1, None
    for i, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > best:
                best, where = len(name), i
    if where is None:
        raise AssertionError(
            f"{module} is in no layer: place it in STYLE.md's 'Where new things go' and here"
        )
    return where


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted((SRC / "pathcredit").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(module: str, path: Path, modules) -> list[tuple[str, bool, int]]:
    """(imported module, inside a function, line) for every import of ``module``."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, bool, int]] = []

    def targets(node):
        if isinstance(node, ast.Import):
            return [a.name for a in node.names]
        base = node.module or ""
        if node.level:
            root = package
            for _ in range(node.level - 1):
                root = root.rpartition(".")[0]
            base = f"{root}.{node.module}" if node.module else root
        # `from pkg import sub` imports the module pkg.sub when there is one
        return [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]

    def walk(node, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.extend((t, in_function, child.lineno) for t in targets(child))
            inner = in_function or isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
            )
            walk(child, inner)

    walk(ast.parse(path.read_text(encoding="utf-8")), False)
    return found


def violations() -> dict[tuple[str, str], str]:
    """(module, imported) -> what is wrong, for every import that breaks the layering."""
    modules = _modules()
    out: dict[tuple[str, str], str] = {}
    for module, path in modules.items():
        here = _layer_of(module)
        for target, in_function, line in _imports(module, path, modules):
            top = target.split(".")[0]
            if top == "pathcredit":
                there = _layer_of(target)
                if there > here:
                    out[(module, target)] = f"line {line}: layer {here} imports layer {there}"
                    continue
            elif top in HEAVY:
                continue
            if in_function:
                out.setdefault((module, target), f"line {line}: import inside a function")
    return out


def test_every_import_points_down_the_layering():
    found = violations()
    new = {k: v for k, v in found.items() if k not in KNOWN and k not in ALLOWED}
    assert not new, "imports against the layering:\n" + "\n".join(
        f"  {m} -> {t} ({why})" for (m, t), why in sorted(new.items())
    )


def test_the_known_and_allowed_lists_are_not_stale():
    found = violations()
    gone = sorted((KNOWN | set(ALLOWED)) - set(found))
    assert not gone, f"no longer violations, remove them from KNOWN / ALLOWED: {gone}"


def test_the_layer_map_reads_imports_as_python_does():
    # a check of the checker on this package's own well-known edges
    modules = _modules()
    got = {
        t for t, _, _ in _imports("pathcredit.models._credit", modules["pathcredit.models._credit"],
                                  modules)
    }  # fmt: skip
    assert {"pathcredit.results", "pathcredit.models._registry", "numpy"} <= got
    assert _layer_of("pathcredit.models.bayesian.markov") == 4
    assert _layer_of("pathcredit.cli.simulate") == 6
    assert _layer_of("pathcredit._stats") == 1
    assert ("pathcredit.results", "pathcredit.models._credit") in violations()


def test_import_pathcredit_stays_under_a_third_of_a_second():
    # the CPU time of `import pathcredit` in a fresh interpreter (median of 5): the
    # process's own work, which a machine loaded by other jobs does not inflate the way it
    # inflates wall time (or -X importtime, which reports wall time per module)
    code = "import time; t = time.process_time(); import pathcredit; print(time.process_time() - t)"

    def once() -> float:
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        return float(out.stdout)

    assert statistics.median(once() for _ in range(5)) < 0.3
