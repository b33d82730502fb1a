"""Warnings: a scenario that runs, but that no correct platform can pass or that cannot judge what it says.

Each rule reads what checked out of a scenario (a :class:`~simulator.scenario._model.Draft`) and says, at the
key to change, why the scenario cannot mean what it says and what to write instead:

- a fault whose window lies wholly or partly outside the run (the part outside never happens);
- a run that ends before an expected invariant's window can close, counted with the scenario's calendar as
  the oracles count it (from the local date a window opens, to the end of its last day);
- a fault on the partners' side that breaks an invariant whatever the platform does:

  * ``duplicate`` at ``sms.sendSms`` or ``sms.delivery`` with ``sms_unique``: the gateway itself puts every
    message on the phone N times, and O2 counts every copy a phone receives;
  * ``drop``/``outage`` at ``sms.delivery`` over the overdue batch (or ``latency`` there that outlasts the
    time from the batch on a month's last day to the month's settlement report the next morning) with
    ``notice_before_negative_report``: the bank counts a notice as given once the gateway accepts it, and
    reports; the borrower never had it first;
  * a link down for the whole run where no platform can work around it (``outage``/``drop`` without a window
    at ``bank.repayApply``, ``bank.correctionApply``, ``bureau.corrections``, ``bureau.answerDispute``,
    ``bureau.submitReport``; ``drop`` at ``bureau.feedback``; ``bureau: {reject_corrections: true}``) with an
    invariant it breaks: money that never reaches the bank, a wrong record never put right, a file never loaded,
    a dispute never answered;
  * ``contact_hours`` judging the bank's messages (``senders`` with ``bank``) while the bank's overdue batch, which
    sends its notices, runs outside the permitted hours;
  * ``duplicate`` at ``sms.sendSms`` with ``contact_frequency``: every send becomes N messages on the phone;
  * a bank that answers disputes (``bank.dispute_answer_days``) after the deadline of ``dispute_sla`` or of
    the bureau (``bureau.dispute_window``): every such answer is late, and only the bank answers;
  * ``dispute_sla`` without borrowers who dispute (``borrowers.disputes``): only they file disputes, so O8
    has nothing to judge;
- a signing fault (``replayed_nonce``, ``key_rotation``, ``unsigned_callback``, ``forged_callback``) in a run that
  is not signed (no ``signing:``): it does nothing; ``signed_callbacks_only`` without signing or without an
  ``unsigned_callback``/``forged_callback`` fault: O12 has nothing to judge.

Proved against the resilient reference platform in ``tests/scenario/test_rules.py``: a scenario that warns
fails it (or leaves the invariant nothing to judge), and the same scenario written as the warning advises
passes it without a warning. Every other point × action it retries, deduplicates or reconciles its way
through, even for a whole run.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from simulator.clock import Calendar, Span, parse_duration, parse_span
from simulator.core import ACTIONS
from simulator.errors import CalendarError, LendsimError
from simulator.partners.sms import DELIVERY_POINT
from simulator.scenario._findings import Findings
from simulator.scenario._model import Draft, parse_share
from simulator.scenario._schema import schema

__all__ = ["WINDOWS", "check_rules", "window_end"]

#: The invariants judged over a window, and the parameter that sets it.
WINDOWS: Final = {"no_false_delinquency": "window", "bureau_converges": "window", "dispute_sla": "within"}
_SEND_POINT: Final = "sms.sendSms"
_CORRECTIONS_POINT: Final = "bureau.corrections"
_ONE_US: Final = timedelta(microseconds=1)


def check_rules(draft: Draft, out: Findings) -> None:
    """Warn about everything in ``draft`` that makes the scenario unpassable or unable to judge."""
    _faults_outside_the_run(draft, out)
    _runs_shorter_than_windows(draft, out)
    _duplicated_sms(draft, out)
    _bank_contact_at_night(draft, out)
    _notices_lost_at_the_handset(draft, out)
    _never_back(draft, out)
    _disputes_answered_late(draft, out)
    _disputes_nobody_files(draft, out)
    _signing_faults_unsigned(draft, out)
    _signed_callbacks_nothing_to_judge(draft, out)


def window_end(calendar: Calendar, opened: datetime, span: Span) -> datetime:
    """The exclusive end of a window of ``span`` opened at ``opened``: the first instant after its last day,
    counted from the local date of ``opened`` (as ``simulator.oracles`` counts it)."""
    last = calendar.deadline(calendar.local_date(opened), span)
    return calendar.at(last + timedelta(days=1), time(0))


def _stamp(calendar: Calendar, instant: datetime) -> str:
    return instant.astimezone(calendar.tz).strftime("%Y-%m-%d %H:%M")


def _action(fault: Mapping[str, Any]) -> str:
    return next(str(key) for key in ACTIONS if key in fault)


def _fires(fault: Mapping[str, Any]) -> bool:
    return bool(fault.get("probability", 1) != 0)


def _whole_run(fault: Mapping[str, Any], draft: Draft) -> bool:
    """Whether the fault lasts the whole run and fires on every occasion."""
    start, end = draft.start, draft.end
    begin, until = fault.get("from"), fault.get("until")
    return (
        fault.get("probability", 1) == 1
        and (begin is None or (start is not None and begin <= start))
        and (until is None or (end is not None and until >= end))
    )


# -- time ----------------------------------------------------------------------------------------------


def _faults_outside_the_run(draft: Draft, out: Findings) -> None:
    start, end, calendar = draft.start, draft.end, draft.calendar
    if start is None or end is None or not draft.calendar_ok:
        return  # instants in a time zone that is not the scenario's would put the window in the wrong place
    run = f"the run lasts from {_stamp(calendar, start)} to {_stamp(calendar, end)}"
    for index, fault in draft.faults:
        begin, until = fault.get("from"), fault.get("until")
        if begin is not None and begin >= end:
            out.warn(
                ["faults", index, "from"],
                f"the fault starts {_stamp(calendar, begin)}, at or after the end of the run: it never fires "
                f"({run}); move it inside the run or remove it",
            )
        elif until is not None and until <= start:
            out.warn(
                ["faults", index, "until"],
                f"the fault ends {_stamp(calendar, until)}, at or before the start of the run: it never fires "
                f"({run}); move it inside the run or remove it",
            )
        else:
            if begin is not None and begin < start:
                out.warn(
                    ["faults", index, "from"],
                    f"the fault starts {_stamp(calendar, begin)}, before the run does: the part before "
                    f"{_stamp(calendar, start)} never happens ({run}); start it then or later, or leave 'from' out",
                )
            if until is not None and until > end:
                out.warn(
                    ["faults", index, "until"],
                    f"the fault ends {_stamp(calendar, until)}, after the run does: the part after "
                    f"{_stamp(calendar, end)} never happens ({run}); end it by then, or leave 'until' out to "
                    "last to the end of the run",
                )


def _default_window(invariant: str) -> Span:
    """The window an invariant judges over when ``expect:`` does not say (the schema's default)."""
    parameter = WINDOWS[invariant]
    text = schema()["properties"]["expect"]["properties"][invariant]["properties"][parameter]["default"]
    return parse_span(str(text))


_TOO_SHORT: Final = {
    "no_false_delinquency": (
        "no_false_delinquency (O1) then judges every borrower at the end of the run, inside their window, so a "
        "platform that corrects a record within the {span} it is allowed can still be reported as violating it"
    ),
    "bureau_converges": (
        "bureau_converges (O5) leaves a window still open at the end of the run pending, so it cannot judge anything"
    ),
    "dispute_sla": (
        "dispute_sla (O8) cannot see a dispute answered late or left open: every deadline falls after the end "
        "of the run"
    ),
}


def _runs_shorter_than_windows(draft: Draft, out: Findings) -> None:
    start, end, calendar = draft.start, draft.end, draft.calendar
    if start is None or end is None or not draft.calendar_ok:
        return
    for invariant, parameter in WINDOWS.items():
        if invariant not in draft.expect:
            continue
        given = draft.expect[invariant].get(parameter)
        span = given if isinstance(given, Span) else _default_window(invariant)
        try:
            closes = window_end(calendar, start, span)
        except CalendarError:
            continue  # a year without holiday data: an error of its own
        if closes <= end + _ONE_US:
            continue
        days = math.ceil((closes - start) / timedelta(days=1))
        what = f"a window of {span}" if given is not None else f"a window of {span} (the default)"
        out.warn(
            ["expect", invariant, parameter] if given is not None else ["expect", invariant],
            f"the run ends {_stamp(calendar, end)}, before even {what} opened at its start could close "
            f"({_stamp(calendar, closes)}): "
            + _TOO_SHORT[invariant].format(span=span)
            + f"; make the run last at least {days} days (duration: {days} days) or shorten the window",
        )


# -- the partners' side ----------------------------------------------------------------------------------


def _duplicated_sms(draft: Draft, out: Findings) -> None:
    counted = [key for key in ("sms_unique", "contact_frequency") if key in draft.expect]
    if not counted:
        return
    for index, fault in draft.faults:
        if fault["at"] not in (_SEND_POINT, DELIVERY_POINT) or _action(fault) != "duplicate" or not _fires(fault):
            continue
        judged = counted if fault["at"] == _SEND_POINT else [key for key in counted if key == "sms_unique"]
        if not judged:
            continue  # copies at the handset are one send: contact_frequency counts it once
        times = (fault.get("duplicate") or {}).get("times", 2)
        how = (
            f"the gateway itself handles every send {times} times (one send, {times} messages)"
            if fault["at"] == _SEND_POINT
            else f"the gateway itself puts every message on the phone {times} times"
        )
        counts = {
            "sms_unique": "sms_unique (O2) counts every copy a phone receives",
            "contact_frequency": "contact_frequency (O11) counts each of them as a message sent",
        }
        out.warn(
            ["faults", index, "duplicate"],
            f"{how} while this fault lasts, and {' and '.join(counts[key] for key in judged)} — the "
            "platform's own messages too, with 'senders: [platform]' — so no platform can pass it; to test a "
            "platform's retries put 'timeout_after_commit' or 'latency' at sms.sendSms, to test how it takes "
            "repeated receipts put 'duplicate' at sms.smsReport",
        )


def _bank_contact_at_night(draft: Draft, out: Findings) -> None:
    """``contact_hours`` judging the bank's notices, which its overdue batch sends at its own time."""
    bank, given = draft.bank, draft.expect.get("contact_hours")
    if given is None or bank is None:
        return
    senders = given.get("senders", ["platform"])
    senders = [senders] if isinstance(senders, str) else senders
    if not isinstance(senders, list) or "bank" not in senders:
        return
    hours = [_clock(given.get(key), default) for key, default in (("from", time(8, 0)), ("until", time(21, 0)))]
    start, until = hours
    if start is None or until is None:
        return  # an error of its own
    batch = bank.overdue_batch_time
    if start <= batch < until:
        return
    out.warn(
        ["expect", "contact_hours", "senders"],
        f"the bank sends its overdue notices at its batch at {batch.strftime('%H:%M')}, outside the permitted "
        f"hours {start.strftime('%H:%M')}–{'24:00' if until == time(23, 59, 59, 999999) else until.strftime('%H:%M')}, "
        "so contact_hours (O10) fails for every "
        "borrower the batch notifies, whatever the platform does; judge the platform's messages only "
        "(senders: [platform]), or run the bank's batch within the hours (bank: {overdue_batch: '09:00'})",
    )


def _clock(value: Any, default: time) -> time | None:
    if value is None:
        return default
    text = str(value).strip()
    if text == "24:00":
        return time(23, 59, 59, 999999)
    try:
        return time.fromisoformat(text)
    except ValueError:
        return None


def _days(draft: Draft) -> Iterator[date]:
    start, end = draft.start, draft.end
    if start is None or end is None:
        return
    day, last = draft.calendar.local_date(start), draft.calendar.local_date(end)
    while day <= last:
        yield day
        day += timedelta(days=1)


def _notices_lost_at_the_handset(draft: Draft, out: Findings) -> None:
    bank, sms, start, end = draft.bank, draft.sms, draft.start, draft.end
    if "notice_before_negative_report" not in draft.expect or bank is None or sms is None:
        return
    if start is None or end is None:
        return
    batch = bank.overdue_batch_time.strftime("%H:%M")
    for index, fault in draft.faults:
        action = _action(fault)
        if fault["at"] != DELIVERY_POINT or action not in ("drop", "outage", "latency") or not _fires(fault):
            continue
        if action == "latency":
            delay = (fault.get("latency") or {}).get("delay")
            late = _latency(delay)
            if late is None:
                continue
            hit = _month_end_hit(draft, fault, late)
            if hit is None:
                continue
            what = (
                f"holds the overdue notices of the bank's batch at {batch} on {hit.isoformat()}, a month's last day, "
                f"back past the month's settlement report at {bank.furnishing_time.strftime('%H:%M')} the next "
                "morning"
            )
        else:
            hit = _first_batch_hit(draft, fault)
            if hit is None:
                continue
            lost = "loses" if action == "drop" else "fails at the operator"
            what = f"{lost} the overdue notices the bank sends at its batch at {batch} (first on {hit.isoformat()})"
        out.warn(
            ["faults", index, action],
            f"this fault {what}, yet the bank counts a notice as given once the gateway accepts it and reports "
            "the negative record after it: notice_before_negative_report (O3) fails for each such record "
            f"whatever the platform does; keep the fault clear of {batch}, or fail the notices at sms.sendSms "
            "(an outage there the bank sees, and it holds the report)",
        )


def _latency(delay: Any) -> timedelta | None:
    try:
        return parse_duration(str(delay))
    except LendsimError:
        return None


def _month_end_hit(draft: Draft, fault: Mapping[str, Any], late: timedelta) -> date | None:
    """The first month's last day of the run whose batch's notices ``fault`` holds back past the month's settlement
    report (the first furnishing of the next month, in the run): an installment the batch finds overdue then is in
    that month's 30, reported before its notice reaches the phone (lending-domain.md §1.3: event-driven plus
    monthly)."""
    bank, sms, start, end = draft.bank, draft.sms, draft.start, draft.end
    assert bank is not None and sms is not None and start is not None and end is not None
    begin, until = fault.get("from"), fault.get("until")
    for day in _days(draft):
        if (day + timedelta(days=1)).day != 1:
            continue
        sent = draft.calendar.at(day, bank.overdue_batch_time)
        report = draft.calendar.at(day + timedelta(days=1), bank.furnishing_time)
        if (
            not start <= sent < report < end
            or (begin is not None and sent < begin)
            or (until is not None and sent >= until)
        ):
            continue
        if sent + sms.delivery_delay + late > report:
            return day
    return None


def _first_batch_hit(draft: Draft, fault: Mapping[str, Any]) -> date | None:
    """The first day of the run whose overdue notices reach the handset while ``fault`` is active."""
    bank, sms, start, end = draft.bank, draft.sms, draft.start, draft.end
    assert bank is not None and sms is not None and start is not None and end is not None
    begin, until = fault.get("from"), fault.get("until")
    for day in _days(draft):
        arrives = draft.calendar.at(day, bank.overdue_batch_time) + sms.delivery_delay
        if not start <= arrives < end:
            continue
        last = arrives + sms.delivery_jitter
        if (begin is None or begin <= last) and (until is None or arrives < until):
            return day
    return None


_INVARIANT_IDS: Final = {
    "no_false_delinquency": "O1",
    "sms_unique": "O2",
    "notice_before_negative_report": "O3",
    "ledgers_reconcile": "O4",
    "bureau_converges": "O5",
    "terminal_states_absorb": "O6",
    "pii_minimized": "O7",
    "dispute_sla": "O8",
    "one_order_per_collection": "O9",
    "contact_hours": "O10",
    "contact_frequency": "O11",
    "signed_callbacks_only": "O12",
    "nothing_stays_processing": "O13",
    "no_due_sms_after_settlement": "O14",
    "sms_claim_matches_bureau": "O15",
}

#: A point that, down for the whole run, no platform can make up for: (point, actions) → (what it means, the
#: invariants that then fail). Found by running the resilient platform against every point × action for a
#: whole run; any shorter window it retries, resubmits or reconciles its way through.
_NEVER_BACK: Final = {
    ("bank.repayApply", ("outage", "drop")): (
        "no repayment ever reaches the bank: every borrower the platform collected from on time is marked overdue "
        "and stays so",
        ("no_false_delinquency",),
    ),
    ("bank.correctionApply", ("outage", "drop")): (
        "the platform can never ask the bank to correct a record: a borrower reported wrongly stays reported",
        ("no_false_delinquency", "bureau_converges"),
    ),
    (_CORRECTIONS_POINT, ("outage", "drop")): (
        "the bureau refuses every correction: a borrower reported wrongly can never be put right",
        ("no_false_delinquency", "bureau_converges"),
    ),
    ("bureau.feedback", ("drop",)): (
        "the bureau never loads a file it was sent",
        ("bureau_converges",),
    ),
    ("bureau.submitReport", ("outage", "drop")): (
        "the bank can never furnish the bureau: nothing it reports is ever loaded",
        ("bureau_converges",),
    ),
    ("bureau.answerDispute", ("outage", "drop")): (
        "the bank can never answer a dispute: each stays open past its deadline",
        ("dispute_sla", "no_false_delinquency"),
    ),
}


def _named(invariants: Iterable[str]) -> str:
    return " and ".join(f"{key} ({_INVARIANT_IDS[key]})" for key in invariants)


def _never_back(draft: Draft, out: Findings) -> None:
    """Faults that last the whole run at a point no platform can work around, and a bureau that refuses every
    correction (``reject_corrections``, the same as a whole-run fault at ``bureau.corrections``)."""
    judged = [key for key in ("no_false_delinquency", "bureau_converges") if key in draft.expect]
    if judged and draft.bureau is not None and draft.bureau.reject_corrections:
        out.warn(
            ["bureau", "reject_corrections"],
            "the bureau refuses every correction for the whole run: a borrower reported wrongly can never be put "
            f"right, so {_named(judged)} fails whenever the run reports someone wrongly, whatever the platform "
            "does; refuse them for a while instead, with a fault such as "
            "{at: bureau.corrections, drop: {}, until: 2019-05-22}",
        )
    for index, fault in draft.faults:
        action = _action(fault)
        for (point, actions), (meaning, invariants) in _NEVER_BACK.items():
            failing = [key for key in invariants if key in draft.expect]
            if fault["at"] != point or action not in actions or not failing or not _whole_run(fault, draft):
                continue
            out.warn(
                ["faults", index, action],
                f"this fault lasts the whole run at {point}: {meaning}, so {_named(failing)} fails whatever the "
                "platform does; give it a window ('from'/'until') that ends inside the run, as a real outage has",
            )


def _disputes_answered_late(draft: Draft, out: Findings) -> None:
    bank, bureau, calendar = draft.bank, draft.bureau, draft.calendar
    if "dispute_sla" not in draft.expect or bank is None or bureau is None or not draft.calendar_ok:
        return
    if not _disputes_filed(draft):
        return
    given = draft.expect["dispute_sla"].get("within")
    within = given if isinstance(given, Span) else _default_window("dispute_sla")
    answer = timedelta(days=bank.dispute_answer_days)
    for day in _days(draft):
        try:
            deadlines = {
                "dispute_sla's": calendar.deadline(day, within),
                "the bureau's": calendar.deadline(day, bureau.dispute_window),
            }
        except CalendarError:
            return
        answered = day + answer
        late = {whose: deadline for whose, deadline in deadlines.items() if answered > deadline}
        if not late:
            continue
        whose, deadline = min(late.items(), key=lambda item: item[1])
        limit = within if whose == "dispute_sla's" else bureau.dispute_window
        if "dispute_answer_days" in draft.written.get("bank", {}):
            where: list[str | int] = ["bank", "dispute_answer_days"]
        elif whose == "the bureau's" and "dispute_window" in draft.written.get("bureau", {}):
            where = ["bureau", "dispute_window"]
        else:
            where = ["expect", "dispute_sla", "within"] if given is not None else ["expect", "dispute_sla"]
        out.warn(
            where,
            f"the bank answers a dispute {bank.dispute_answer_days} days after it is filed (one filed "
            f"{day.isoformat()} is answered {answered.isoformat()}, after {whose} deadline of "
            f"{deadline.isoformat()}: {limit}), and only the bank answers: dispute_sla (O8) fails for such "
            "disputes whatever the platform does; let the bank answer sooner, or allow longer",
        )
        return


def _disputes_filed(draft: Draft) -> bool:
    share = draft.borrowers.get("disputes", 0)
    try:
        return parse_share(share) > 0
    except (ValueError, LookupError):
        return True  # an error of its own


def _disputes_nobody_files(draft: Draft, out: Findings) -> None:
    if "dispute_sla" not in draft.expect or _disputes_filed(draft):
        return
    out.warn(
        ["expect", "dispute_sla"],
        "no borrower files a dispute in this scenario (borrowers.disputes is 0 or not given), and only borrowers "
        "do: dispute_sla (O8) has nothing to judge; set e.g. 'borrowers: {disputes: 10%}', or leave "
        "dispute_sla out",
    )


#: The fault actions that act only on signed traffic (docs/signing.md), and those that O12 judges.
_SIGNING_ACTIONS: Final = ("replayed_nonce", "key_rotation", "unsigned_callback", "forged_callback")
_TAMPERING: Final = ("unsigned_callback", "forged_callback")


def _signing_faults_unsigned(draft: Draft, out: Findings) -> None:
    if "signing" in draft.written:
        return
    for index, fault in draft.faults:
        action = _action(fault)
        if action in _SIGNING_ACTIONS:
            out.warn(
                ["faults", index, action],
                f"{action} acts on signed traffic only, and this run is not signed: it does nothing; add "
                "'signing: {}' (docs/signing.md), or leave the fault out",
            )


def _signed_callbacks_nothing_to_judge(draft: Draft, out: Findings) -> None:
    if "signed_callbacks_only" not in draft.expect:
        return
    if "signing" not in draft.written:
        why = "this run is not signed (no 'signing:' section), so every callback is taken as it comes"
        fix = "add 'signing: {}' and a forged_callback fault at bank.repayResultNotify"
    elif not any(_action(fault) in _TAMPERING for _, fault in draft.faults):
        why = "no unsigned_callback or forged_callback fault sends a callback the bank did not sign"
        fix = "add e.g. '{at: bank.repayResultNotify, forged_callback: {}}'"
    else:
        return
    out.warn(
        ["expect", "signed_callbacks_only"],
        f"{why}: signed_callbacks_only (O12) has nothing to judge; {fix}, or leave signed_callbacks_only out",
    )
