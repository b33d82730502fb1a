"""The partners' rules on their own: the ``calendar``, ``bank``, ``bureau`` and ``sms`` blocks of a scenario, in a
file of their own — what ``lendsim serve --rules FILE`` takes.

The blocks are read exactly as a scenario's (the same schema, the same checks, the same messages with file,
line, column and the fix), so a team writes its bank's rules once and uses them in ``serve`` and in its
scenarios. A key that is not one of the four is an error (a scenario's own keys — ``name``, ``faults``,
``expect``, … — belong to ``lendsim run``), never silently ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from simulator._suggest import did_you_mean
from simulator.clock import Calendar
from simulator.partners.bank import BankConfig
from simulator.partners.bureau import BureauConfig
from simulator.partners.sms import SmsConfig
from simulator.scenario._findings import Findings
from simulator.scenario._loader import read_source, report_duplicates
from simulator.scenario._model import check_meaning
from simulator.scenario._schema import check_schema, jsonable

__all__ = ["RULE_SECTIONS", "Rules", "load_rules", "read_rules"]

#: The blocks a rules file may hold: the scenario's, by the same names.
RULE_SECTIONS: Final = ("calendar", "bank", "bureau", "sms")
# What the scenario schema requires besides the rules, so the rules are checked by it as they stand in a scenario.
_FRAME: Final = {"name": "rules", "start": "2019-05-01", "duration": "1 day", "expect": {"ledgers_reconcile": {}}}


@dataclass(frozen=True, slots=True)
class Rules:
    """The partners' rules read from a file: the calendar and each partner's settings (defaults where absent)."""

    calendar: Calendar
    bank: BankConfig
    bureau: BureauConfig
    sms: SmsConfig
    given: frozenset[str]  # the blocks the file holds, and each block's keys dotted ("calendar.holidays")


def load_rules(path: str | Path) -> Rules:
    """Read and check a rules file; :class:`ScenarioError` listing every problem with its position otherwise."""
    file = str(path)
    source = read_source(path, what="a rules file", keys=_listed(), empty=None)
    data = {} if source.data is None else source.data
    out = Findings(file, source)
    report_duplicates(source, out)
    return read_rules(data, out)


def read_rules(data: dict[str, Any], out: Findings) -> Rules:
    """The rules in ``data`` (a rules file's mapping), every problem reported to ``out``; ScenarioError if any."""
    for key in data:
        if key not in RULE_SECTIONS:
            hint = did_you_mean(str(key), RULE_SECTIONS)
            out.error(
                [str(key)],
                f"unknown key {key!r}; {hint + ' ' if hint else ''}a rules file holds only {_listed()} "
                "(a scenario's other keys, such as name, faults or expect, belong to 'lendsim run')",
            )
    given = {key: value for key, value in jsonable(data).items() if key in RULE_SECTIONS}
    usable = check_schema({**_FRAME, **given}, out)
    draft = check_meaning(usable, out)
    out.raise_if_errors()
    assert draft.bank is not None and draft.bureau is not None and draft.sms is not None
    keys = {f"{section}.{key}" for section, block in given.items() if isinstance(block, dict) for key in block}
    return Rules(draft.calendar, draft.bank, draft.bureau, draft.sms, frozenset(given) | keys)


def _listed() -> str:
    return ", ".join(RULE_SECTIONS[:-1]) + f" and {RULE_SECTIONS[-1]}"
