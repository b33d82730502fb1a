"""The detection section's rows, from made-up search outcomes: what counts as met, never a timing."""

from __future__ import annotations

from bench._detection import Outcome, Settings, _row


def outcome(
    target: str, found: tuple[str, ...] = (), faults: int | None = None, borrowers: int | None = None
) -> Outcome:
    first = 12.0 if found else None
    return Outcome(target, 1, 40, 60.0, first, 7 if found else None, found, faults, borrowers, 20, None)


def test_a_mutant_found_with_a_small_scenario_meets_the_target() -> None:
    row = _row(outcome("outbox", ("O1 no_false_delinquency", "O4 ledgers_reconcile"), 1, 3), Settings())

    assert row.met is True
    assert row.measurement == "explore −outbox"
    assert row.figure.startswith("O1 no_false_delinquency at 12 s (run 7); minimal: 1 fault, 3 borrowers, 20 days")
    assert row.figure.endswith("also O4 ledgers_reconcile")


def test_a_mutant_not_found_or_found_too_big_does_not() -> None:
    assert _row(outcome("outbox"), Settings()).met is False
    assert _row(outcome("outbox", ("O1 no_false_delinquency",), 4, 3), Settings()).met is False
    assert _row(outcome("outbox", ("O1 no_false_delinquency",), 1, 21), Settings()).met is False


def test_a_finding_against_the_resilient_platform_is_a_false_alarm() -> None:
    clean = _row(outcome("resilient"), Settings())
    alarmed = _row(outcome("resilient", ("O4 ledgers_reconcile",), 1, 2), Settings())

    assert (clean.met, clean.figure) == (True, "0 findings (40 runs)")
    assert (alarmed.met, alarmed.figure) == (False, "O4 ledgers_reconcile (40 runs)")
