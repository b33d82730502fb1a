"""Proof of power: the resilient platform passes the whole catalog — every invariant each scenario expects
exercised and held, so the catalog is passable and judges something — the naive one is caught, and each
safeguard of the resilient one, switched off, is caught by a scenario that names the invariant it protects."""

from __future__ import annotations

from pathlib import Path

import pytest

from lendsim_examples import naive, resilient
from simulator.oracles import Outcome
from simulator.run import InProcessDriver, RunResult, run_scenario
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
    "reconciliation": ("reconciliation-missing-rows", "O4"),
}


def replay(scenario_name: str, platform: object, seed: int | None = None) -> RunResult:
    scenario = load_scenario(str(ROOT / "scenarios" / f"{scenario_name}.yaml"))
    result = run_scenario(scenario, InProcessDriver(platform), seed=seed, borrowers=BORROWERS)
    assert result.error is None, result.error
    return result


def violated(scenario_name: str, platform: object, seed: int | None = None) -> set[str]:
    """The invariants violated (not merely not exercised: that catches nothing)."""
    return {verdict.invariant for verdict in replay(scenario_name, platform, seed).verdicts if verdict.violated}


#: The failure modes the catalog must have a scenario of its own for (besides the 2019 incident).
REQUIRED = {
    "outage-across-cutoff",
    "timeout-after-commit",
    "key-reuse-different-amount",
    "duplicate-callback",
    "out-of-order-callback",
    "late-or-lost-callback",
    "reconciliation-missing-rows",
    "overdue-batch-before-sync",
    "sms-retry-storm",
    "recycled-phone-number",
    "negative-report-without-notice",
    "correction-rejected",
    "dispute-during-window",
    "early-settlement",
}


def test_the_catalog_has_a_scenario_for_each_required_failure_mode_and_covers_at_least_fifteen() -> None:
    scenarios = {path.stem: load_scenario(str(path)) for path in CATALOG}
    covered = {mode for scenario in scenarios.values() for mode in scenario.covers}

    assert set(scenarios) >= REQUIRED and "xiaomi-minsheng-2019" in scenarios
    assert all(name in scenarios[name].covers for name in REQUIRED)
    assert len(covered) >= 15


@pytest.mark.parametrize("seed", [None, 101])
@pytest.mark.parametrize("path", CATALOG, ids=lambda p: p.stem)
def test_the_resilient_platform_passes_every_catalog_scenario_each_expected_invariant_exercised(
    path: Path, seed: int | None
) -> None:
    result = replay(path.stem, resilient.create(), seed)

    assert {verdict.key: verdict.outcome for verdict in result.verdicts} == dict.fromkeys(
        result.scenario.expect, Outcome.HELD
    ), [verdict.reason for verdict in result.verdicts if not verdict.held]
    assert result.passed


def test_the_naive_platform_is_caught_by_the_incident_on_o1_and_o2() -> None:
    assert {"O1", "O2"} <= violated("xiaomi-minsheng-2019", naive.create())


@pytest.mark.parametrize(
    ("scenario", "invariant"),
    [
        ("out-of-order-callback", "O6"),  # SUCCESS regressed to PROCESSING on a late callback
        ("recycled-phone-number", "O2"),  # its "we will restore your credit" SMS reaches strangers
        ("dispute-during-window", "O1"),  # disputes answered "confirmed": the payment never reached the bank
    ],
)
def test_the_naive_platform_is_caught_where_its_defects_show(scenario: str, invariant: str) -> None:
    assert invariant in violated(scenario, naive.create())


@pytest.mark.parametrize("safeguard", sorted(MUTANTS))
def test_each_safeguard_switched_off_is_caught(safeguard: str) -> None:
    scenario, invariant = MUTANTS[safeguard]

    assert invariant in violated(scenario, resilient.create(disable={safeguard}))
