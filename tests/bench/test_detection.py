"""The detection section: a mutant counts as found only by a finding that fails it and passes the resilient
platform. The classification is pinned on a real search (tiny: a budget of runs) and on real replays of a
scenario no platform passes; the rows from made-up outcomes say what counts as met, never a timing."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench._detection import FALSE_ALARM, FOUND, NOT_FOUND, Outcome, Replayed, Settings, replay, row, search

#: The bank refusing every repayApply all run: an on-time payer's money never reaches it, so O1 fails whatever the
#: platform does (``lendsim lint`` says so) — the resilient platform fails it as much as any mutant.
UNPASSABLE = """\
name: link-down-all-run
seed: 7
start: '2019-05-01'
duration: 12 days
population:
  borrowers: 1
  loan: {principal: 1000..5000, term: 1, due_day: 3}
borrowers: {on_time: 100%}
faults:
- at: bank.repayApply
  outage: {error: connection_refused}
expect:
  no_false_delinquency: {}
"""


def finding(
    *, fails_target: bool = True, fails_resilient: bool = False, faults: int = 1, borrowers: int = 3
) -> Replayed:
    return Replayed("O4 ledgers_reconcile", 7, 12.0, faults, borrowers, 20, fails_target, fails_resilient)


def outcome(target: str, *findings: Replayed) -> Outcome:
    return Outcome(target, 1, 40, 60.0, findings, None)


# -- the classification, on real runs ---------------------------------------------------------------------------


@pytest.mark.slow  # a search of 3 runs, its shrink and two replays: 3–4 s of CPU, 10 s on a busy machine
def test_a_tiny_search_finds_the_mutant_without_masked_logs_by_a_scenario_the_resilient_platform_passes() -> None:
    done = search("masked_logs", 1, Settings(seconds=None, runs=3))

    assert done.verdict == FOUND, done
    evidence = done.evidence
    assert evidence is not None
    assert evidence.found == "O7 pii_minimized"
    assert (evidence.fails_target, evidence.fails_resilient) == (True, False)


def test_a_scenario_the_resilient_platform_fails_too_is_a_false_alarm_not_a_finding(tmp_path: Path) -> None:
    path = tmp_path / "link-down-all-run.yaml"
    path.write_text(UNPASSABLE, encoding="utf-8")

    fails_mutant, fails_resilient = replay(path, "outbox")

    assert (fails_mutant, fails_resilient) == (True, True)
    judged = outcome("outbox", finding(fails_target=fails_mutant, fails_resilient=fails_resilient))
    assert judged.verdict == FALSE_ALARM
    assert judged.evidence is None


# -- what each classification looks like in the table ---------------------------------------------------------------


def test_found_means_a_finding_that_fails_the_mutant_and_passes_the_resilient_platform() -> None:
    alarm = finding(fails_resilient=True)
    evidence = Replayed("O1 no_false_delinquency", 9, 15.0, 1, 3, 20, True, False)

    done = outcome("outbox", alarm, evidence)

    assert (done.verdict, done.evidence) == (FOUND, evidence)
    shown = row(done)
    assert shown.met is True
    assert shown.measurement == "explore −outbox"
    assert shown.figure == (
        "found: O1 no_false_delinquency at 15 s (run 9); minimal: 1 fault, 3 borrowers, 20 days; "
        "also O4 ledgers_reconcile ✗"
    )


def test_findings_the_resilient_platform_fails_too_are_a_false_alarm_and_do_not_meet_the_target() -> None:
    done = outcome("outbox", finding(fails_resilient=True), finding(fails_target=False))

    shown = row(done)

    assert done.verdict == FALSE_ALARM
    assert (shown.met, shown.figure) == (
        False,
        "false alarm (40 runs): O4 ledgers_reconcile ✗, O4 ledgers_reconcile (not replayed)",
    )


def test_no_finding_is_not_found() -> None:
    shown = row(outcome("outbox"))

    assert outcome("outbox").verdict == NOT_FOUND
    assert (shown.met, shown.figure) == (False, "not found (40 runs)")


@pytest.mark.parametrize(("faults", "borrowers"), [(4, 3), (1, 21)])
def test_found_with_too_big_a_scenario_does_not_meet_the_target(faults: int, borrowers: int) -> None:
    done = outcome("outbox", finding(faults=faults, borrowers=borrowers))

    assert done.verdict == FOUND
    assert row(done).met is False


def test_any_finding_against_the_resilient_platform_misses_its_target() -> None:
    clean = row(outcome("resilient"))
    alarmed = row(outcome("resilient", finding(fails_resilient=True)))

    assert (clean.met, clean.figure) == (True, "0 findings (40 runs)")
    assert (alarmed.met, alarmed.figure) == (False, "O4 ledgers_reconcile (40 runs)")
    assert outcome("resilient", finding(fails_resilient=True)).verdict == FALSE_ALARM


def test_the_searches_are_every_mutant_at_one_seed_and_the_resilient_platform_at_three_unless_told() -> None:
    from lendsim_examples.resilient import SAFEGUARDS

    assert Settings().jobs() == [(s, 1) for s in SAFEGUARDS] + [("resilient", 1), ("resilient", 2), ("resilient", 3)]
    assert Settings(only=(("resilient", 2),)).jobs() == [("resilient", 2)]
