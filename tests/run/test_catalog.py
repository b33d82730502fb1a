"""Proof of power: the resilient platform passes the whole catalog — every invariant each scenario expects
exercised and held, so the catalog is passable and judges something — the naive one is caught, each
safeguard of the resilient one, switched off, is caught by a scenario that names the invariant it protects, each
defective platform written apart from the catalog (``bench/defects.py``) is caught, and every fault action the
engine accepts at every point a run reaches fires in some catalog scenario."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

import pytest

from bench.defects import DEFECTS
from lendsim_examples import naive, resilient
from simulator import Simulator
from simulator.core import ACTIONS
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


# defective platform (bench/defects.py) → (a scenario that catches it, the invariant it must then violate)
CAUGHT = {
    "fresh-out-id": ("notice-storm", "O2"),  # the same reassurance three times, under three OutIds
    "id-in-out-id": ("notice-storm", "O7"),  # the borrower's ID number inside the OutId sent to the gateway
    "night-sms": ("notice-storm", "O10"),  # reassurances sent at 23:00
    "fresh-key-on-timeout": ("timeout-after-commit", "O9"),  # one collection, two bank orders
    "card-info": ("sms-retry-storm", "O7"),  # card, ID and phone in every repayApply of a collection
    "unverified-callbacks": ("forged-callback", "O12"),  # acknowledges, and believes, callbacks the bank never signed
}

#: (point, action) pairs the engine accepts that no catalog run can fire, and why. The points nobody calls in a
#: run are proved so below (no request reaches them once the faults are in place); a pair becomes a gap to fill
#: the day a party starts calling its point.
UNREACHED_POINTS = {
    "bank.registerLoan": "the harness registers every loan before the faults are in place",
    "bank.getLoan": "neither reference platform nor any partner asks for a loan",
    "bureau.subjectReport": "no borrower in a scenario asks the bureau for their report",
    "bureau.disputeStatus": "no borrower in a scenario asks after their dispute",
}
UNPASSABLE = {
    ("bureau.answerDispute", "drop"): "the bank answers a dispute once and never again: its answer lost, the dispute "
    "stays open past its deadline whatever the platform does (O8, and O1 through the flag)",
    ("bureau.answerDispute", "outage"): "likewise: an answer refused is never sent again",
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
    "forged-callback",
}


def test_the_catalog_has_a_scenario_for_each_required_failure_mode_and_covers_at_least_fifteen() -> None:
    scenarios = {path.stem: load_scenario(str(path)) for path in CATALOG}
    covered = {mode for scenario in scenarios.values() for mode in scenario.covers}

    assert set(scenarios) >= REQUIRED and "xiaomi-minsheng-2019" in scenarios
    assert all(name in scenarios[name].covers for name in REQUIRED)
    assert len(covered) >= 15


@pytest.mark.parametrize("seed", [None, 101, pytest.param(202, marks=pytest.mark.slow)])
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
        ("late-or-lost-callback", "O13"),  # waits for callbacks: a lost one leaves the payment PROCESSING for good
        ("early-settlement", "O14"),  # drops a settlement on a 503: the borrower who paid it off gets overdue SMS
    ],
)
def test_the_naive_platform_is_caught_where_its_defects_show(scenario: str, invariant: str) -> None:
    assert invariant in violated(scenario, naive.create())


@pytest.mark.parametrize("safeguard", sorted(MUTANTS))
def test_each_safeguard_switched_off_is_caught(safeguard: str) -> None:
    scenario, invariant = MUTANTS[safeguard]

    assert invariant in violated(scenario, resilient.create(disable={safeguard}))


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_each_defective_platform_written_apart_from_the_catalog_is_caught(defect: str) -> None:
    scenario, invariant = CAUGHT[defect]

    assert invariant in violated(scenario, DEFECTS[defect]())


def _action(fault: Mapping[str, object]) -> str:
    return next(key for key in fault if key in ACTIONS)


@cache
def _fault_story(path: Path) -> tuple[frozenset[tuple[str, str]], frozenset[tuple[str, str]], frozenset[str]]:
    """What a catalog scenario's run against the resilient platform says of its faults: the (point, action) pairs
    it puts in place, those that fired (``faultFired`` in its journal), and the operations requested after the
    faults were in place."""
    result = replay(path.stem, resilient.create())
    journal = result.sim.journal
    added = {e.data["id"]: (e.data["at"], _action(e.data)) for e in journal.iter(kind="fault", operation="faultAdded")}
    fired = {added[e.data["id"]] for e in journal.iter(kind="fault", operation="faultFired")}
    first = min((e.seq for e in journal.iter(kind="fault", operation="faultAdded")), default=None)
    called = (
        {f"{e.partner}.{e.operation}" for e in journal.iter(kind="request") if e.seq > first}
        if first is not None
        else set()
    )
    return frozenset(added.values()), frozenset(fired), frozenset(called)


def _stories() -> Iterator[tuple[frozenset[tuple[str, str]], frozenset[tuple[str, str]], frozenset[str]]]:
    return (_fault_story(path) for path in CATALOG)


@pytest.mark.slow
def test_every_fault_action_the_engine_accepts_fires_in_some_catalog_scenario() -> None:
    accepted = {(point, action) for point, actions in Simulator().point_actions.items() for action in actions}
    expected = {pair for pair in accepted if pair[0] not in UNREACHED_POINTS and pair not in UNPASSABLE}
    used: set[tuple[str, str]] = set()
    fired: set[tuple[str, str]] = set()
    called: set[str] = set()

    for story_used, story_fired, story_called in _stories():
        used |= story_used
        fired |= story_fired
        called |= story_called

    assert sorted(expected - used) == [], "no catalog scenario puts these in place"
    assert sorted(expected - fired) == [], "put in place, but they never fired in their run"
    assert set(UNREACHED_POINTS) <= {point for point, _ in accepted}
    assert sorted(called & set(UNREACHED_POINTS)) == [], "now reached in a run: add scenarios that fault them"
    assert set(UNPASSABLE) <= accepted
