"""The invariant oracles O1–O15: judge a run from its journal alone, borrower by borrower.

    verdicts = evaluate(journal, scenario.expect, calendar=calendar, end=end, grace_days=3)
    for verdict in verdicts:
        print(verdict.invariant, verdict.key, verdict.outcome, verdict.reason)

A verdict has one of three outcomes (:class:`Outcome`): ``HELD`` — it judged something and found no
violation; ``VIOLATED``; or ``NOT_EXERCISED`` — it judged nothing, which is never a pass.

``evaluate`` reads the journal once for every invariant the ``expect:`` mapping names; each invariant is also
usable alone through :data:`INVARIANTS` (``INVARIANTS["sms_unique"](journal, {}, calendar=..., end=...)``).
Nothing here reads private model state or the wall clock: what an oracle knows, the journal says.
``docs/invariants.md`` gives each rule, its sources and parameters, and an example violation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

from simulator._suggest import did_you_mean
from simulator.clock import Calendar
from simulator.errors import ConfigError
from simulator.journal import Journal
from simulator.oracles._base import (
    NEGATIVE_ACCT_STATUS,
    NEGATIVE_RPY_STATUS,
    PLATFORM_SOURCES,
    Context,
    InvariantViolation,
    Oracle,
    Outcome,
    Part,
    Verdict,
    read_params,
    stream,
)
from simulator.oracles._bureau import BureauConverges
from simulator.oracles._chain import chain_entries, describe_chain
from simulator.oracles._claims import SmsClaimMatchesBureau
from simulator.oracles._contact import ContactFrequency, ContactHours
from simulator.oracles._delinquency import NoFalseDelinquency
from simulator.oracles._disputes import DisputeSla
from simulator.oracles._facts import Facts
from simulator.oracles._ledgers import LedgersReconcile
from simulator.oracles._notice import NoticeBeforeNegativeReport
from simulator.oracles._orders import OneOrderPerCollection
from simulator.oracles._pii import PiiMinimized
from simulator.oracles._processing import NothingStaysProcessing
from simulator.oracles._settled import NoDueSmsAfterSettlement
from simulator.oracles._signed import SignedCallbacksOnly
from simulator.oracles._sms import SmsUnique
from simulator.oracles._terminal import TerminalStatesAbsorb

__all__ = [
    "INVARIANTS",
    "NEGATIVE_ACCT_STATUS",
    "NEGATIVE_RPY_STATUS",
    "ORACLES",
    "PLATFORM_SOURCES",
    "Check",
    "InvariantViolation",
    "Outcome",
    "Verdict",
    "chain_entries",
    "describe_chain",
    "evaluate",
]

#: Every oracle by its ``expect:`` key, in invariant order (O1 … O15).
ORACLES: Final[Mapping[str, type[Oracle]]] = {
    oracle.key: oracle
    for oracle in (
        NoFalseDelinquency,
        SmsUnique,
        NoticeBeforeNegativeReport,
        LedgersReconcile,
        BureauConverges,
        TerminalStatesAbsorb,
        PiiMinimized,
        DisputeSla,
        OneOrderPerCollection,
        ContactHours,
        ContactFrequency,
        SignedCallbacksOnly,
        NothingStaysProcessing,
        NoDueSmsAfterSettlement,
        SmsClaimMatchesBureau,
    )
}

Check = Callable[..., Verdict]
"""``check(journal, params=None, *, calendar, end, grace_days=3) -> Verdict``: one invariant on its own."""


def _check(oracle: type[Oracle]) -> Check:
    def check(
        journal: Journal,
        params: Mapping[str, Any] | None = None,
        *,
        calendar: Calendar,
        end: datetime,
        grace_days: int = 3,
    ) -> Verdict:
        return evaluate(journal, {oracle.key: params or {}}, calendar=calendar, end=end, grace_days=grace_days)[0]

    check.__name__ = f"check_{oracle.key}"
    check.__qualname__ = check.__name__
    check.__doc__ = f"{oracle.invariant} {oracle.key} on its own; see ``docs/invariants.md``."
    return check


#: Each invariant on its own, by its ``expect:`` key: ``INVARIANTS[key](journal, params, calendar=, end=)``.
INVARIANTS: Final[Mapping[str, Check]] = {key: _check(oracle) for key, oracle in ORACLES.items()}


def evaluate(
    journal: Journal,
    expect: Mapping[str, Mapping[str, Any] | None],
    *,
    calendar: Calendar,
    end: datetime,
    grace_days: int = 3,
) -> list[Verdict]:
    """Judge the run in ``journal`` by the invariants ``expect`` names (a scenario's ``expect:`` mapping).

    ``calendar`` is the scenario's (time zone and business days), ``end`` the end of the run's virtual time,
    ``grace_days`` the bank's grace (a ``loanRegistered`` event's ``graceDays`` wins for its loan). Windows may
    be :class:`~simulator.clock.Span` objects or their text (``"30 business days"``). Returns one
    :class:`Verdict` per key, in invariant order; one pass over the journal serves them all.

    Raises :class:`~simulator.errors.ConfigError` for an unknown key or parameter (naming the closest one).
    """
    if not isinstance(expect, Mapping):
        raise ConfigError(f"expect must be a mapping of invariant keys to parameters, got {expect!r}")
    for key in expect:
        if key not in ORACLES:
            close = did_you_mean(key, ORACLES)
            hint = f"{close} " if close else ""
            raise ConfigError(
                f"expect: unknown invariant {key!r}; {hint}the invariants are {', '.join(ORACLES)}", field=str(key)
            )
    context = Context(calendar, end, grace_days)
    facts = Facts()
    oracles = [
        oracle(context, read_params(oracle, expect[key]), facts) for key, oracle in ORACLES.items() if key in expect
    ]
    if not oracles:
        return []
    parts: list[Part] = [facts, *oracles]
    stream(journal, parts)
    return [oracle.verdict() for oracle in oracles]
