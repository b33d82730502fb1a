"""The layer rules of ARCHITECTURE.md hold: import contracts, and no wall-clock reads in the core."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PURE = [
    "scenario",
    "oracles",
    "world.py",
    "partners",
    "core",
    "openapi",
    "journal",
    "clock",
    "population",
    "masking.py",
    "domain",
    "types.py",
]
WALL_CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter", "time_ns", "monotonic_ns"}


def test_the_import_contracts_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


@pytest.mark.parametrize("package", PURE)
def test_nothing_in_the_core_reads_the_wall_clock(package: str) -> None:
    offenders = []
    target = ROOT / "simulator" / package
    for path in sorted(target.rglob("*.py") if target.is_dir() else [target]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in WALL_CLOCK_CALLS
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in {"datetime", "date", "time"}
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.func.value.id}.{node.func.attr}()")

    assert offenders == [], "the core must ask the virtual clock, not the wall clock"


def test_no_module_imports_itself_through_a_cycle() -> None:
    # What runs: a module may name, for type checking only, the one that imports it (core._control's Engine).
    import grimp

    graph = grimp.build_graph("simulator", exclude_type_checking_imports=True)
    cycles = [
        f"{module} -> {imported} -> … -> {module}"
        for module in sorted(graph.modules)
        for imported in sorted(graph.find_modules_directly_imported_by(module))
        if graph.chain_exists(importer=imported, imported=module)
    ]

    assert cycles == []


def _named_in_architecture() -> list[str]:
    """Every file, folder or ``simulator.…`` module ARCHITECTURE.md names in backticks."""
    text = re.sub(r"```.*?```", "", (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8"), flags=re.S)
    names = set()
    for quoted in re.findall(r"`([^`]+)`", text):
        for name in re.findall(r"(?:simulator|lendsim_pytest|tests|contracts)[\w./{},<>]*", quoted):
            names.add(name.rstrip(".,"))
    return sorted(names)


def _exists(name: str) -> bool:
    if "/" in name or name.endswith((".py", ".yaml", ".json", ".md")):
        # `simulator/partners/{bank,bureau,sms}/` stands for three folders.
        alternatives = re.fullmatch(r"(.*)\{([^}]*)\}(.*)", name)
        paths = (
            [alternatives[1] + part + alternatives[3] for part in alternatives[2].split(",")]
            if alternatives
            else [name]
        )
        # `simulator/cli/_<command>.py`: some file of that shape.
        return all(any(ROOT.glob(re.sub(r"<\w+>", "*", path))) for path in paths)
    parts = name.split(".")
    for end in range(len(parts), 0, -1):  # a module, then what it defines: simulator.http._serve.RealtimeDriver
        base = ROOT.joinpath(*parts[:end])
        if base.with_suffix(".py").exists() or (base / "__init__.py").exists():
            return end >= len(parts) - 1
    return False


def test_every_module_and_file_architecture_md_names_exists() -> None:
    named = _named_in_architecture()

    assert len(named) > 40  # the reading found the names (a page of them), not nothing
    assert [name for name in named if not _exists(name)] == []
