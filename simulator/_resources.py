"""Where the files that ship with lendsim live, in a checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

from simulator._suggest import did_you_mean
from simulator.errors import ConfigError

__all__ = ["bundled_contracts_dir", "bundled_scenario", "bundled_scenario_names", "bundled_scenarios_dir"]

_PACKAGE = Path(__file__).resolve().parent


def bundled_contracts_dir() -> Path:
    """The folder of the built-in contracts: ``simulator/_contracts`` in a wheel, ``contracts/`` in a checkout."""
    installed = _PACKAGE / "_contracts"
    return installed if installed.is_dir() else _PACKAGE.parent / "contracts"


def bundled_scenarios_dir() -> Path:
    """The folder of the scenario catalog: ``simulator/_scenarios`` in a wheel, ``scenarios/`` in a checkout."""
    installed = _PACKAGE / "_scenarios"
    return installed if installed.is_dir() else _PACKAGE.parent / "scenarios"


def bundled_scenario_names() -> list[str]:
    """The catalog's scenarios by name (each file's stem: ``xiaomi-minsheng-2019``), sorted."""
    return sorted(path.stem for path in bundled_scenarios_dir().glob("*.yaml"))


def bundled_scenario(name: str) -> Path:
    """The catalog file of scenario ``name``; ConfigError naming the catalog (and the closest name) if none."""
    path = bundled_scenarios_dir() / f"{name}.yaml"
    if path.is_file():
        return path
    names = bundled_scenario_names()
    hint = did_you_mean(name, names, cutoff=0.5)
    raise ConfigError(
        f"no scenario {name!r} in the catalog{'; ' + hint if hint else '.'} "
        f"The catalog has: {', '.join(names) or '(nothing)'}; "
        "or give the path of a scenario file (ending in .yaml).",
        field="scenario",
    )
