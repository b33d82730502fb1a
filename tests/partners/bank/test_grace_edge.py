"""Both sides of the grace edge: lateness is judged on actualRepayDate against due date + grace, in the bank's zone.

Sources: lending-domain.md §2 #14 (clock skew: "due‑ness judged on actualRepayDate in Asia/Shanghai; the same
verdict on both sides at the 23:59:59 edge"), §2 O1 (collected by the due date plus grace, contract time zone, is
never delinquent), §1.2 (7) (platform cut-off 23:59:59 Asia/Shanghai; overdue batch after the grace period),
§2 #13 (the batch acting on what the bank has posted). The loan: installment 1 of 1000.00 + 18.00 due 10 May 2019,
grace 3 days, so the grace ends 13 May 23:59:59 +08:00; the overdue batch runs 14 May 02:00.
"""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from simulator.core import Engine
from simulator.partners.bank import BankConfig
from tests.partners.bank.helpers import (
    at,
    events,
    install_stub_bureau,
    installment,
    new_engine,
    register,
    repay,
    repayment,
    requests,
    submitted_records,
)

APRIL = {"disburseDate": "2019-04-10"}  # installment 1 due 10 May: 1000.00 + 18.00


def _forward_before_the_batch(collected: str, penalty: str | None = None) -> Engine:
    """The platform collected installment 1 at ``collected`` and forwards it at 00:00:30 on 14 May, before the
    02:00 overdue batch; the run goes on until 2 June (the May records are out)."""
    engine, _ = new_engine()
    install_stub_bureau(engine)
    register(engine, **APRIL)
    engine.advance(to=at(5, 14, 0, 0, 30))
    repay(engine, repayment("RP1", 1, "1000.00", "18.00", collected=collected, penalty=penalty))
    engine.advance(to=at(6, 2, 12))
    return engine


def _last_may_status(engine: Engine) -> str:
    may: list[dict[str, Any]] = [
        r for r in submitted_records(engine) if r.get("AcctMthlyBlgInfSgmt", {}).get("Month") == "2019-05"
    ]
    status: str = may[-1]["AcctMthlyBlgInfSgmt"]["RpyStatus"]
    return status


@pytest.mark.parametrize("collected", ["2019-05-13T23:59:59+08:00", "2019-05-13T15:59:59Z"])
def test_collected_at_23_59_59_on_the_last_grace_day_is_on_time(collected: str) -> None:
    """§2 #14: the 23:59:59 edge, in Asia/Shanghai whatever offset the platform writes (15:59:59Z is 23:59:59
    +08:00). Posted after the grace ended but collected within it: no penalty, never overdue, reported N."""
    engine = _forward_before_the_batch(collected)

    assert installment(engine, 1)["status"] == "REPAYED"
    assert installment(engine, 1)["dueFundPenalty"] == "0.00"
    assert events(engine, "installmentOverdue") == []
    assert requests(engine, "sms", "sendSms") == []
    assert _last_may_status(engine) == "N"


@pytest.mark.parametrize("collected", ["2019-05-14T00:00:01+08:00", "2019-05-13T16:00:01Z"])
def test_collected_one_second_after_grace_is_overdue_even_if_posted_before_the_batch(collected: str) -> None:
    """§2 #14 and O1, the late side: one second after due date + grace the repayment is late though it reached
    the bank before the 02:00 batch — at least a day of penalty (4 days from the due date: 2.00 on 1000.00 at
    0.0005), an overdue day on the record (May reported 1), and the notice that must precede it (Art. 15, §1.4)."""
    engine = _forward_before_the_batch(collected, penalty="2.00")  # a platform that adds the bank's penalty

    (overdue,) = events(engine, "installmentOverdue")
    assert overdue.virtual_time == at(5, 14, 0, 0, 30)  # when the late repayment reached the bank
    assert (overdue.data["overdueDays"], overdue.data["penalty"], overdue.data["graceEnd"]) == (
        4,
        "2.00",
        "2019-05-13T23:59:59+08:00",
    )
    assert installment(engine, 1)["status"] == "REPAYED"
    assert installment(engine, 1)["paidFundPenalty"] == "2.00"
    (cleared,) = events(engine, "overdueCleared")
    assert cleared.data["collectedWithinGrace"] is False
    (notice,) = requests(engine, "sms", "sendSms")
    assert notice.virtual_time == at(5, 14, 2)  # the next batch sends the overdue notice
    assert _last_may_status(engine) == "1"


@pytest.mark.parametrize(("collected", "overdue"), [("20:15", False), ("20:45", True)])
def test_the_bank_s_cut_off_ends_the_last_day_even_for_money_forwarded_the_moment_it_was_collected(
    collected: str, overdue: bool
) -> None:
    """§1.2 (7) (日切): a bank whose business day ends at 20:30 counts money collected at 20:45 on the last grace
    day as late — forwarded that same second as well as an hour later (the overdue batch would have found it
    posted and said nothing: the terms, not the forwarding delay, decide); at 20:15 it is on time."""
    engine, _ = new_engine(BankConfig(grace_days=0, cutoff=time(20, 30)))
    install_stub_bureau(engine)
    register(engine, **APRIL)
    engine.advance(to=at(5, 10, int(collected[:2]), int(collected[3:])))
    repay(engine, repayment("RP1", 1, "1000.00", "18.00", collected=f"2019-05-10T{collected}:00+08:00"))
    engine.advance(to=at(6, 2, 12))

    marks = events(engine, "installmentOverdue")
    assert [mark.virtual_time for mark in marks] == ([at(5, 10, 20, 45)] if overdue else [])
    if overdue:
        assert marks[0].data["graceEnd"] == "2019-05-10T20:30:00+08:00"
    assert _last_may_status(engine) == ("1" if overdue else "N")


def test_a_late_repayment_without_the_penalty_leaves_the_penalty_owed_and_the_installment_overdue() -> None:
    """§1.2 (3), (7) and the bank's allocation order (penalty → interest → principal, §2 #18): the 2.00 penalty
    is paid first, so 2.00 of principal stays owed and the installment stays overdue until it is paid."""
    engine = _forward_before_the_batch("2019-05-14T00:00:01+08:00")

    state = installment(engine, 1)
    assert state["status"] == "OVERDUE"
    assert (state["paidFundPenalty"], state["paidPrincipal"]) == ("2.00", "998.00")


def test_an_on_time_collection_posted_after_the_batch_stays_overdue_until_corrected() -> None:
    """§2 #13: the batch acts on what the bank has posted. Collected on the due date, posted after the 14 May
    batch: overdue at the bank and at the bureau until a correction (212) — the penalty waived (collected in time)."""
    engine, _ = new_engine()
    install_stub_bureau(engine)
    register(engine, **APRIL)
    engine.advance(to=at(5, 14, 3))
    repay(engine, repayment("RP1", 1, "1000.00", "18.00", collected="2019-05-10T20:15:00+08:00"))
    engine.advance(to=at(6, 2, 12))

    (overdue,) = events(engine, "installmentOverdue")
    assert overdue.virtual_time == at(5, 14, 2) and "collectedAt" not in overdue.data
    assert installment(engine, 1)["status"] == "REPAYED" and installment(engine, 1)["dueFundPenalty"] == "0.00"
    (cleared,) = events(engine, "overdueCleared")
    assert cleared.data["collectedWithinGrace"] is True
    assert _last_may_status(engine) == "1"


def test_working_day_grace_moves_the_edge_past_the_weekend() -> None:
    """§2 #16 (calendar mismatch: 调休 Saturdays, holidays): with grace in working days the edge follows the
    business calendar — due Friday 10 May 2019, 3 working days end Wednesday 15 May 23:59:59."""
    engine, _ = new_engine(BankConfig(grace_days=3, grace_business_days=True))
    register(engine, **APRIL)

    engine.advance(to=at(5, 17))

    (overdue,) = events(engine, "installmentOverdue")
    assert overdue.virtual_time == at(5, 16, 2)
    assert overdue.data["graceEnd"] == "2019-05-15T23:59:59+08:00"
