"""The 2019 incident against the reference platforms: the link to the bank is down from the evening of the due
date across the overdue batch. The naive platform leaves the borrower overdue and reported; the resilient one
gets the payment posted with its key and collection time and has it corrected before the bureau hears of the
overdue."""

from __future__ import annotations

from lendsim_examples import naive, resilient
from tests.examples.helpers import LOAN_NO, at, incident, run_platform

NEGATIVE = {"1", "2", "3", "4", "5", "6", "7"}


def test_the_naive_platform_drops_the_payment_so_the_borrower_stays_overdue_and_reported() -> None:
    with run_platform(naive.create()) as run:
        third = incident(run)

        (sent,) = [
            body for body in run.platform_requests("bank", "repayApply") if body["repayList"][0]["installmentNo"] == 3
        ]
        assert sent["repayOuterNo"] == third
        assert run.schedule()[2]["status"] == "OVERDUE"
        assert run.bureau_month("2019-05")["RpyStatus"] in NEGATIVE
        assert run.platform_requests("bank", "correctionApply") == []
        assert run.platform_requests("bank", "reconciliationFile") == []


def test_the_resilient_platform_replays_with_the_same_key_after_the_outage_and_the_bureau_converges() -> None:
    with run_platform(resilient.create()) as run:
        third = incident(run)

        sends = [body for body in run.platform_requests("bank", "repayApply") if body["repayOuterNo"] == third]
        assert len(sends) > 1, "retried through the outage"
        assert {body["actualRepayDate"] for body in sends} == {"2019-05-10T20:15:00+08:00"}
        assert len({body["reqNo"] for body in sends}) == len(sends)
        keys = {body["repayOuterNo"] for body in run.platform_requests("bank", "repayApply")}
        assert len(keys) == 3, "one key per payment, whatever the number of attempts"
        (posted,) = run.events("repayPosted", serial=third)
        assert at(5, 14, 18) <= posted.virtual_time < at(5, 14, 19)
        (cleared,) = run.events("overdueCleared", loan=LOAN_NO)
        assert cleared.data["collectedWithinGrace"] is True
        (asked,) = run.platform_requests("bank", "correctionApply")
        assert asked["month"] == "2019-05" and asked["reason"] == "REPAID_ON_TIME"
        assert asked["evidence"] == {"repayOuterNo": third, "actualRepayDate": "2019-05-10T20:15:00+08:00"}
        assert len(run.events("correctionCompleted", loan=LOAN_NO)) == 1
        may = run.bureau_month("2019-05")
        assert may["RpyStatus"] not in NEGATIVE and may["AcctStatus"] != "2"
        # Corrected before the account's next reporting moment (its closing, 15 May): the bureau never heard of the
        # overdue (lending-domain.md §1.3: an overdue goes out with the month's settlement or the next event).
        history = [(entry["recordType"], entry["RpyStatus"]) for entry in run.bureau_history("2019-05")]
        assert history and all(status not in NEGATIVE for _, status in history)
        assert [row["status"] for row in run.schedule()] == ["REPAYED"] * 3
        assert run.platform_paid() == run.bank_paid()
        assert run.platform.platform_ledger()["loans"][0]["installments"][2]["status"] == "REPAYED"


def test_without_the_outbox_the_resilient_platform_loses_the_payment_like_the_naive_one() -> None:
    with run_platform(resilient.create(disable={"outbox"})) as run:
        incident(run)

        assert run.schedule()[2]["status"] == "OVERDUE"
        assert run.bureau_month("2019-05")["RpyStatus"] in NEGATIVE


def test_without_corrections_the_payment_is_posted_but_the_bureau_keeps_the_record() -> None:
    with run_platform(resilient.create(disable={"corrections"})) as run:
        incident(run)

        assert run.schedule()[2]["status"] == "REPAYED"
        assert run.platform_requests("bank", "correctionApply") == []
        assert run.bureau_month("2019-05")["RpyStatus"] in NEGATIVE
