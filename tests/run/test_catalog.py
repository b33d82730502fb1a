"""Proof of power: the resilient platform passes the whole catalog, the naive one is caught, and each
safeguard of the resilient one, switched off, is caught by a scenario that names the invariant it protects."""

from __future__ import annotations

from pathlib import Path

import pytest

from lendsim_examples import naive, resilient
from simulator.run import InProcessDriver, run_scenario
from simulator.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
CATALOG = sorted((ROOT / "scenarios").glob("*.yaml"))
BORROWERS = 25

# safeguard switched off → (a scenario that catches it, the invariant it must then violate); docs/detection.md
MUTANTS = {
    "outbox": ("xiaomi-minsheng-2019", "O1"),
    "query_on_timeout": ("timeout-after-commit", "O4"),
    "monotonic_callbacks": ("duplicate-callback", "O4"),
    "corrections": ("correction-rejected", "O1"),
    "sms_dedupe": ("notice-storm", "O2"),
    "masked_logs": ("sms-retry-storm", "O7"),
}


def violated(scenario_name: str, platform: object, seed: int | None = None) -> set[str]:
    scenario = load_scenario(str(ROOT / "scenarios" / f"{scenario_name}.yaml"))
    result = run_scenario(scenario, InProcessDriver(platform), seed=seed, borrowers=BORROWERS)
    return {verdict.invariant for verdict in result.verdicts if not verdict.held}


def test_the_catalog_covers_at_least_nine_failure_modes() -> None:
    covered = {mode for path in CATALOG for mode in load_scenario(str(path)).covers}

    assert len(CATALOG) >= 9 and len(covered) >= 9


@pytest.mark.parametrize("seed", [None, 101])
@pytest.mark.parametrize("path", CATALOG, ids=lambda p: p.stem)
def test_the_resilient_platform_passes_every_catalog_scenario(path: Path, seed: int | None) -> None:
    assert violated(path.stem, resilient.create(), seed) == set()


def test_the_naive_platform_is_caught_by_the_incident_on_o1_and_o2() -> None:
    assert {"O1", "O2"} <= violated("xiaomi-minsheng-2019", naive.create())


@pytest.mark.parametrize("safeguard", sorted(MUTANTS))
def test_each_safeguard_switched_off_is_caught(safeguard: str) -> None:
    scenario, invariant = MUTANTS[safeguard]

    assert invariant in violated(scenario, resilient.create(disable={safeguard}))
