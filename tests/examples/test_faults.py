"""One failure mode at a time on a quiet day: the loan disbursed on 10 April, its first installment (1018.00) due
on 10 May; the borrower pays on 9 May at 10:00 while a fault is active at the bank."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from lendsim_examples import Platform, naive, resilient
from lendsim_examples.resilient import ResilientPlatform
from simulator.partners.bank import BankConfig
from tests.examples.helpers import Run, at, run_platform
from tests.partners.bank.helpers import repayment

PAID_AT = at(5, 9, 10)


@contextmanager
def quiet_day(platform: Platform, *, bank: BankConfig | None = None) -> Iterator[Run]:
    with run_platform(platform, start=at(5, 1), disbursed="2019-04-10", bank=bank) as run:
        yield run


def pay_with(
    run: Run, fault: dict[str, Any] | None, amount: str = "1018.00", lasting: timedelta = timedelta(minutes=1)
) -> str:
    """The borrower pays ``amount`` of installment 1 at 10:00 with ``fault`` active for a while; an hour passes."""
    run.advance(PAID_AT, every=timedelta(days=1))
    if fault is not None:
        run.sim.add_fault({**fault, "from": PAID_AT, "until": PAID_AT + lasting})
    key = run.repay(1, amount, PAID_AT)
    run.advance(PAID_AT + timedelta(hours=1), every=timedelta(minutes=5))
    return key


def bank_calls(run: Run, *, operations: tuple[str, ...] = ("repayApply", "repayResultQuery")) -> list[str]:
    """The platform's requests to the bank (of ``operations``) since the payment, by operation."""
    return [
        str(entry.operation)
        for entry in run.sim.journal.iter(kind="request", partner="bank")
        if entry.virtual_time >= PAID_AT
        and entry.operation in operations
        and "x-lendsim-source" not in entry.data.get("headers", {})
    ]


# -- timeout after commit (#2) and new keys for one collection (#4) -------------------------------------------------


def test_after_a_timeout_the_resilient_platform_asks_before_anything_else_and_posts_once() -> None:
    with quiet_day(resilient.create()) as run:
        key = pay_with(run, {"at": "bank.repayApply", "timeout_after_commit": {}}, amount="500.00")

        assert bank_calls(run)[:2] == ["repayApply", "repayResultQuery"]
        assert bank_calls(run).count("repayApply") == 1
        assert [entry.serial for entry in run.events("repayPosted")] == [key]
        assert run.bank_paid()[0] == ("482.00", "18.00", "0.00", "0.00")
        assert run.platform_paid() == run.bank_paid()


def test_after_a_timeout_the_naive_platform_sends_new_business_orders_and_the_bank_posts_the_payment_twice() -> None:
    with quiet_day(naive.create()) as run:
        pay_with(run, {"at": "bank.repayApply", "timeout_after_commit": {}}, amount="500.00")

        keys = [body["repayOuterNo"] for body in run.platform_requests("bank", "repayApply")]
        assert len(keys) == 3 and len(set(keys)) == 3
        assert len(run.events("repayPosted")) == 2, "500.00 collected, 1000.00 posted"
        assert run.bank_paid()[0] == ("982.00", "18.00", "0.00", "0.00")


# -- a request lost on the way (the answer never comes, nothing was posted) ----------------------------------


def test_a_lost_request_is_found_missing_by_the_query_and_sent_again_with_the_same_key() -> None:
    with quiet_day(resilient.create()) as run:
        key = pay_with(run, {"at": "bank.repayApply", "drop": {}})

        assert bank_calls(run)[:3] == ["repayApply", "repayResultQuery", "repayApply"]
        assert {body["repayOuterNo"] for body in run.platform_requests("bank", "repayApply")} == {key}
        assert run.schedule()[0]["status"] == "REPAYED"


def test_without_the_query_a_lost_answer_is_taken_as_a_refusal_although_the_bank_posted_it() -> None:
    with quiet_day(resilient.create(disable={"query_on_timeout"})) as run:
        pay_with(run, {"at": "bank.repayApply", "timeout_after_commit": {}})

        assert bank_calls(run) == ["repayApply"]
        assert run.schedule()[0]["status"] == "REPAYED"
        assert run.platform_paid()[0] == ("0.00", "0.00", "0.00", "0.00"), "refunded: the books lose a posted payment"


def test_a_callback_that_never_comes_is_replaced_by_polling() -> None:
    platform = resilient.create()
    with quiet_day(platform) as run:
        key = pay_with(run, {"at": "bank.repayResultNotify", "drop": {}}, lasting=timedelta(hours=1))

        assert "repayResultQuery" in bank_calls(run)
        assert platform.collections[key].state == "SUCCESS"


# -- duplicate and out-of-order callbacks (#5, #6) ------------------------------------------------------------------


def test_a_callback_delivered_three_times_changes_nothing_in_the_resilient_ledger() -> None:
    with quiet_day(resilient.create()) as run:
        pay_with(run, {"at": "bank.repayResultNotify", "duplicate": {"times": 3}})

        assert [name for name, _ in run.deliveries].count("repayResultNotify") == 3
        assert run.platform_paid() == run.bank_paid()


def test_the_naive_ledger_counts_a_payment_once_per_callback() -> None:
    with quiet_day(naive.create()) as run:
        pay_with(run, {"at": "bank.repayResultNotify", "duplicate": {"times": 3}})

        assert run.bank_paid()[0] == ("1000.00", "18.00", "0.00", "0.00")
        assert run.platform_paid()[0] == ("3000.00", "54.00", "0.00", "0.00")


def test_without_monotonic_states_duplicate_callbacks_are_written_off_again() -> None:
    with quiet_day(resilient.create(disable={"monotonic_callbacks"})) as run:
        pay_with(run, {"at": "bank.repayResultNotify", "duplicate": {"times": 3}})

        assert run.platform_paid()[0] == ("3000.00", "54.00", "0.00", "0.00")


def late_callbacks(platform: ResilientPlatform, key: str) -> None:
    """A stale PROCESSING and a FAIL of an earlier attempt arrive after the SUCCESS."""
    for status, code in (("PROCESSING", "0001"), ("FAIL", "E9999")):
        platform.repay_result_notify(
            {
                "respCode": code,
                "respMsg": "stale",
                "loanOuterNo": "LN201902100001",
                "repayOuterNo": key,
                "repayAmount": "1018.00",
                "repayStatus": status,
                "notifiedAt": (PAID_AT + timedelta(hours=2)).isoformat(),
            }
        )


def test_terminal_states_absorb_late_callbacks() -> None:
    platform = resilient.create()
    with quiet_day(platform) as run:
        key = pay_with(run, None)

        late_callbacks(platform, key)

        assert platform.collections[key].state == "SUCCESS"
        assert run.platform_paid() == run.bank_paid()


def test_without_monotonic_states_a_late_fail_undoes_a_posted_payment() -> None:
    platform = resilient.create(disable={"monotonic_callbacks"})
    with quiet_day(platform) as run:
        key = pay_with(run, None)

        late_callbacks(platform, key)

        assert platform.collections[key].state == "FAIL"
        assert run.platform_paid()[0] == ("0.00", "0.00", "0.00", "0.00")


# -- reconciliation: the bank allocates principal first (#18) ------------------------------------------------------


def test_the_daily_reconciliation_takes_the_banks_split_of_a_partial_payment() -> None:
    bank = BankConfig(allocation_order=("principal", "interest", "penalty"))
    with quiet_day(resilient.create(), bank=bank) as run:
        pay_with(run, None, amount="500.00")
        before = run.platform_paid()[0]

        run.advance(at(5, 10, 4), every=timedelta(hours=1))

        assert run.bank_paid()[0] == ("500.00", "0.00", "0.00", "0.00")
        assert before == ("482.00", "18.00", "0.00", "0.00")
        assert run.platform_paid() == run.bank_paid()
        assert "reconciliationFile" in bank_calls(run, operations=("reconciliationFile",))


def test_without_reconciliation_the_platforms_own_split_stays() -> None:
    bank = BankConfig(allocation_order=("principal", "interest", "penalty"))
    with quiet_day(resilient.create(disable={"reconciliation"}), bank=bank) as run:
        pay_with(run, None, amount="500.00")

        run.advance(at(5, 10, 4), every=timedelta(hours=1))

        assert run.platform_paid()[0] == ("482.00", "18.00", "0.00", "0.00")
        assert "reconciliationFile" not in bank_calls(run, operations=("reconciliationFile",))


# -- what the platform did not send, and what is not its to put right --------------------------------------------


def test_a_card_debit_the_bank_made_itself_is_taken_into_the_books_at_reconciliation() -> None:
    with quiet_day(resilient.create()) as run:
        run.advance(PAID_AT, every=timedelta(days=1))
        debit = repayment("DEBIT1", 1, "1000.00", "18.00", collected=PAID_AT.isoformat())
        run.sim.call("harness", "bank", "repayApply", {**debit, "repayMode": "REPAY_BY_USER"})

        run.advance(at(5, 10, 4), every=timedelta(hours=1))

        assert run.schedule()[0]["status"] == "REPAYED"
        assert run.platform_paid() == run.bank_paid()
        assert run.platform.platform_ledger()["loans"][0]["installments"][0]["status"] == "REPAYED"


def test_a_borrower_who_paid_late_gets_no_reassurance_and_no_correction_and_the_penalty_is_in_the_books() -> None:
    with quiet_day(resilient.create()) as run:
        run.advance(at(5, 15, 10), every=timedelta(hours=6))
        owed = run.schedule()[0]
        amount = sum(float(owed[name]) for name in ("duePrincipal", "dueInterest", "dueFundPenalty"))

        run.repay(1, f"{amount:.2f}", at(5, 15, 10), repay_type="OVERDUE_REPAY")
        run.advance(at(5, 17), every=timedelta(hours=1))

        assert float(owed["dueFundPenalty"]) > 0
        assert [name for name, _ in run.deliveries].count("bankNotice") >= 1
        assert run.platform_requests("sms", "sendSms") == []
        assert run.platform_requests("bank", "correctionApply") == []
        assert run.schedule()[0]["status"] == "REPAYED"
        assert run.platform_paid() == run.bank_paid()


def test_an_early_settlement_is_booked_as_the_bank_settles_it() -> None:
    with quiet_day(resilient.create()) as run:
        pay_with(run, None)

        run.repay(2, "2004.00", at(5, 20, 10), repay_type="EARLY_SETTLE")
        run.advance(at(5, 20, 11), every=timedelta(minutes=30))

        assert [row["status"] for row in run.schedule()] == ["REPAYED"] * 3
        assert run.bank_paid()[1:] == [("1000.00", "4.00", "0.00", "0.00"), ("1000.00", "0.00", "0.00", "0.00")]
        assert run.platform_paid() == run.bank_paid()
        assert [row["status"] for row in run.platform.platform_ledger()["loans"][0]["installments"]] == ["REPAYED"] * 3
