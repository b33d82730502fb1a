"""The scenario package's modules import each other in one direction: no cycle, not even through an import
deferred into a function."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "simulator" / "scenario"


def imports_of(path: Path) -> set[str]:
    """The modules of the package that ``path`` imports, at the top or anywhere inside."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("simulator.scenario."):
            found.add(node.module.removeprefix("simulator.scenario."))
    return found


def test_the_modules_of_the_scenario_package_import_each_other_without_a_cycle() -> None:
    graph = {path.stem: imports_of(path) for path in PACKAGE.glob("_*.py")}

    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise AssertionError(f"import cycle: {' -> '.join(exc.args[1])}") from None

    assert order.index("_findings") < order.index("_model") < order.index("_lint")
    assert "_model" not in graph["_loader"] and "_loader" not in graph["_model"]
