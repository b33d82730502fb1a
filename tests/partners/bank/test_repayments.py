"""repayApply and repayResultQuery: idempotent on repayOuterNo, posted after the delay, allocated in order."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from simulator.core import Engine
from simulator.partners.bank import BankConfig
from simulator.partners.bank._account import compact_json
from tests.partners.bank.helpers import (
    LOAN_NO,
    at,
    attach_receiver,
    events,
    get_loan,
    installment,
    new_engine,
    register,
    repay,
    repayment,
)

# A loan disbursed on 10 April: installments of 1000.00 principal due 10 May (18.00 interest), 10 June
# (12.00) and 10 July (6.00).
APRIL = {"disburseDate": "2019-04-10"}


def _query(engine: Engine, key: str) -> dict[str, object]:
    response = engine.call("platform", "bank", "repayResultQuery", params={"repayOuterNo": key})
    assert response.status == 200
    body: dict[str, object] = response.json()
    return body


def test_a_repayment_is_processing_until_posted_after_the_processing_delay(engine: Engine) -> None:
    register(engine, **APRIL)
    engine.advance(to=at(5, 10, 20, 15))

    response = repay(engine, repayment("RP1", 1, "1000.00", "18.00"))

    assert response.status == 200
    assert response.json()["repayStatus"] == "PROCESSING" and response.json()["respCode"] == "0001"
    assert response.json()["postedAt"] is None
    assert events(engine, "repayPosted") == []
    engine.advance(by=timedelta(seconds=2))
    (posted,) = events(engine, "repayPosted", serial="RP1")
    assert posted.virtual_time == at(5, 10, 20, 15, 2)
    assert (posted.borrower, posted.loan) == ("B000123", LOAN_NO)
    result = _query(engine, "RP1")
    assert (result["repayStatus"], result["respCode"], result["postedAt"]) == (
        "SUCCESS",
        "0000",
        "2019-05-10T20:15:02+08:00",
    )
    assert installment(engine, 1)["status"] == "REPAYED"
    assert installment(engine, 1)["actualRepayDate"] == "2019-05-10"


def test_an_installment_number_written_as_a_whole_decimal_is_that_installment(engine: Engine) -> None:
    register(engine, **APRIL)
    engine.advance(to=at(5, 10, 20, 15))

    response = repay(engine, repayment("RP1", 1.0, "1000.00", "18.00"))  # type: ignore[arg-type]  # 1.0 is an integer to JSON Schema
    engine.advance(by=timedelta(seconds=2))

    assert response.status == 200 and _query(engine, "RP1")["repayStatus"] == "SUCCESS"
    assert installment(engine, 1)["status"] == "REPAYED"


def test_no_processing_delay_posts_at_once(engine: Engine) -> None:
    engine, _ = new_engine(BankConfig(processing_delay=timedelta(0)))
    register(engine, **APRIL)

    response = repay(engine, repayment("RP1", 1, "1000.00", "18.00"))

    assert response.json()["repayStatus"] == "SUCCESS"
    assert response.json()["postedAt"] == response.json()["acceptedAt"]


def test_the_result_callback_is_delivered_at_posting_and_retried_until_acknowledged(engine: Engine) -> None:
    receiver = attach_receiver(engine, [500, 503, 200])
    register(engine, **APRIL)
    engine.advance(to=at(5, 10, 20, 15))

    repay(engine, repayment("RP1", 1, "1000.00", "18.00"))
    engine.advance(by=timedelta(hours=1))

    times = [when for name, _, when in receiver.received if name == "repayResultNotify"]
    assert times == [at(5, 10, 20, 15, 2), at(5, 10, 20, 16, 2), at(5, 10, 20, 21, 2)]
    assert receiver.of("repayResultNotify")[0] == {
        "respCode": "0000",
        "respMsg": "posted",
        "loanOuterNo": LOAN_NO,
        "repayOuterNo": "RP1",
        "repayAmount": "1018.00",
        "repayStatus": "SUCCESS",
        "notifiedAt": "2019-05-10T20:15:02+08:00",
    }


def test_a_callback_never_acknowledged_is_given_up_after_the_last_retry(engine: Engine) -> None:
    receiver = attach_receiver(engine, [500] * 10)
    register(engine, **APRIL)

    repay(engine, repayment("RP1", 1, "1000.00", "18.00", collected="2019-05-01T00:00:00+08:00"))
    engine.advance(by=timedelta(days=1))

    deliveries = list(engine.journal.iter(kind="delivery", operation="repayResultNotify", serial="RP1"))
    assert [d.data["attempt"] for d in deliveries] == [1, 2, 3, 4]
    assert len(receiver.of("repayResultNotify")) == 4


def test_the_same_repayment_sent_twice_is_posted_once(engine: Engine) -> None:
    register(engine, **APRIL)
    body = repayment("RP1", 1, "1000.00", "18.00", collected="2019-05-01T00:00:00+08:00")

    first = repay(engine, body)
    again = repay(engine, {**body, "reqNo": "REQ-retry"})
    engine.advance(by=timedelta(minutes=1))
    after = repay(engine, body)

    assert again.json() == first.json()
    assert len(events(engine, "repayPosted")) == 1
    assert after.json()["repayStatus"] == "SUCCESS"
    assert after.json()["acceptedAt"] == first.json()["acceptedAt"]


def test_the_same_key_with_a_different_body_is_a_conflict_naming_each_field_and_posts_nothing(engine: Engine) -> None:
    register(engine, **APRIL)
    repay(engine, repayment("RP1", 1, "1000.00", "18.00", collected="2019-05-01T00:00:00+08:00"))

    response = repay(engine, repayment("RP1", 1, "1000.00", "19.00", collected="2019-05-01T00:00:00+08:00"))
    engine.advance(by=timedelta(minutes=1))

    assert response.status == 409
    assert response.json()["errors"] == [
        {"field": "body.repayAmount", "rule": "idempotency", "message": "differs from the first body"},
        {"field": "body.repayList[0].paidInterest", "rule": "idempotency", "message": "differs from the first body"},
    ]
    assert "nothing was posted" in response.json()["detail"]
    (posted,) = events(engine, "repayPosted")
    assert posted.data["repayAmount"] == "1018.00"


def test_a_posted_repayment_still_answers_its_retry_and_refuses_another_body_field_by_field(engine: Engine) -> None:
    # The bank keeps a posted repayment's body without its repayOuterNo and loanOuterNo, shared by every
    # repayment alike: RP1 and RP2 differ only in those, and each still answers as itself.
    register(engine, **APRIL)
    register(engine, **APRIL, loanOuterNo="LN2", creditContractNo="CC2")
    first = repayment("RP1", 1, "1000.00", "18.00", collected="2019-05-01T00:00:00+08:00")
    second = repayment("RP2", 1, "1000.00", "18.00", collected="2019-05-01T00:00:00+08:00", loan="LN2")
    answers = [repay(engine, first).json(), repay(engine, second).json()]
    engine.advance(by=timedelta(hours=1))  # posted, and the callbacks' retries are over
    posted = [_query(engine, "RP1"), _query(engine, "RP2")]

    again = [repay(engine, {**first, "reqNo": "REQ-again"}), repay(engine, {**second, "reqNo": "REQ-again"})]
    moved = repay(engine, {**first, "loanOuterNo": "LN2", "repayList": [{**first["repayList"][0], "paidFee": "1.00"}]})

    assert [answer["repayStatus"] for answer in answers] == ["PROCESSING", "PROCESSING"]
    assert [response.status for response in again] == [200, 200]
    assert [response.json() for response in again] == posted
    assert [answer["repayStatus"] for answer in posted] == ["SUCCESS", "SUCCESS"]
    assert [(answer["repayOuterNo"], answer["loanOuterNo"]) for answer in posted] == [("RP1", LOAN_NO), ("RP2", "LN2")]
    assert moved.status == 409
    assert [error["field"] for error in moved.json()["errors"]] == [
        "body.loanOuterNo",
        "body.repayList[0].paidFee",
    ]
    assert [error["message"] for error in moved.json()["errors"]] == ["differs from the first body"] * 2
    assert LOAN_NO not in moved.body.decode()
    assert len(events(engine, "repayPosted")) == 2


def test_a_request_handled_three_times_by_a_duplicate_fault_is_posted_once(engine: Engine) -> None:
    register(engine, **APRIL)
    engine.add_fault({"at": "bank.repayApply", "duplicate": {"times": 3}})

    repay(engine, repayment("RP1", 1, "1000.00", "18.00", collected="2019-05-01T00:00:00+08:00"))
    engine.advance(by=timedelta(minutes=1))

    assert len(events(engine, "repayPosted")) == 1


def test_a_repayment_for_an_unknown_loan_is_404_and_can_be_sent_again_later(engine: Engine) -> None:
    body = repayment("RP1", 1, "1000.00", "18.00", collected="2019-05-01T00:00:00+08:00")

    missing = repay(engine, body)
    register(engine, **APRIL)
    later = repay(engine, body)

    assert missing.status == 404 and "No loan LN201902100001" in missing.json()["detail"]
    assert later.json()["repayStatus"] == "PROCESSING"


def test_querying_a_repayment_the_bank_never_received_is_404(engine: Engine) -> None:
    response = engine.call("platform", "bank", "repayResultQuery", params={"repayOuterNo": "RP-NOPE"})

    assert response.status == 404
    assert "never received a repayment RP-NOPE" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "code", "says"),
    [
        (repayment("RPX", 1, "1000.00", "18.00", amount="1019.00"), "E1001", "not the sum of repayList, 1018.00"),
        (repayment("RPX", 7, "1000.00", "18.00"), "E1002", "has no installment 7; it has 3"),
        (repayment("RPX", 1, "1000.00", "19.00"), "E1003", "installment 1 owes 1018.00"),
        (repayment("RPX", 1, "0.00", "0.00"), "E9999", "nothing to post"),
    ],
)
def test_a_business_rejection_is_200_fail_with_the_contract_code(
    engine: Engine, body: dict[str, object], code: str, says: str
) -> None:
    register(engine, **APRIL)

    response = repay(engine, body)
    engine.advance(by=timedelta(minutes=1))

    assert response.status == 200
    assert (response.json()["repayStatus"], response.json()["respCode"]) == ("FAIL", code)
    assert says in response.json()["respMsg"]
    assert events(engine, "repayPosted") == []
    (rejected,) = events(engine, "repayRejected", serial="RPX")
    assert rejected.data["respCode"] == code


def test_a_repayment_to_a_settled_loan_is_refused_with_e1004(engine: Engine) -> None:
    register(engine, **APRIL, term=1, principal="1000.00")
    repay(engine, repayment("RP1", 1, "1000.00", "6.00", collected="2019-05-01T00:00:00+08:00"))
    engine.advance(by=timedelta(minutes=1))
    assert get_loan(engine).json()["status"] == "SETTLED"

    response = repay(engine, repayment("RP2", 1, "1.00", "0.00"))

    assert response.json()["respCode"] == "E1004"


def test_two_repayments_that_together_overpay_fail_the_second_at_posting(engine: Engine) -> None:
    receiver = attach_receiver(engine)
    register(engine, **APRIL)

    first = repay(engine, repayment("RP1", 1, "1000.00", "18.00", collected="2019-05-01T00:00:00+08:00"))
    second = repay(engine, repayment("RP2", 1, "1000.00", "18.00", collected="2019-05-01T00:00:00+08:00"))
    engine.advance(by=timedelta(minutes=1))

    assert first.json()["repayStatus"] == second.json()["repayStatus"] == "PROCESSING"
    assert _query(engine, "RP1")["repayStatus"] == "SUCCESS"
    assert (_query(engine, "RP2")["repayStatus"], _query(engine, "RP2")["respCode"]) == ("FAIL", "E1003")
    assert [n["repayStatus"] for n in receiver.of("repayResultNotify")] == ["SUCCESS", "FAIL"]
    assert len(events(engine, "repayPosted")) == 1 and len(events(engine, "repayFailed", serial="RP2")) == 1


def test_a_partial_repayment_pays_penalty_then_interest_then_principal(engine: Engine) -> None:
    register(engine, **APRIL)
    engine.advance(to=at(5, 16, 12))  # overdue since the 14 May batch: penalty 2.00 + 0.50 + 0.50

    repay(engine, repayment("RP1", 1, "500.00", "0.00", collected="2019-05-16T12:00:00+08:00"))
    engine.advance(by=timedelta(minutes=1))

    row = installment(engine, 1)
    assert (row["paidFundPenalty"], row["paidInterest"], row["paidPrincipal"]) == ("3.00", "18.00", "479.00")
    assert row["status"] == "OVERDUE"
    (posted,) = events(engine, "repayPosted")
    assert posted.data["lines"] == [
        {"installmentNo": 1, "principal": "479.00", "interest": "18.00", "fee": "0.00", "penalty": "3.00"}
    ]


def test_a_configured_allocation_order_pays_principal_first() -> None:
    engine, _ = new_engine(BankConfig(allocation_order=("principal", "interest", "penalty")))
    register(engine, **APRIL)
    engine.advance(to=at(5, 16, 12))

    repay(engine, repayment("RP1", 1, "500.00", "0.00", collected="2019-05-16T12:00:00+08:00"))
    engine.advance(by=timedelta(minutes=1))

    row = installment(engine, 1)
    assert (row["paidFundPenalty"], row["paidInterest"], row["paidPrincipal"]) == ("0.00", "0.00", "500.00")


def test_a_partial_repayment_before_the_due_date_leaves_the_installment_partial(engine: Engine) -> None:
    register(engine, **APRIL)

    repay(engine, repayment("RP1", 1, "300.00", "0.00", collected="2019-05-01T00:00:00+08:00"))
    engine.advance(by=timedelta(minutes=1))

    row = installment(engine, 1)
    assert (row["status"], row["paidInterest"], row["paidPrincipal"]) == ("PARTIAL", "18.00", "282.00")
    assert get_loan(engine).json()["outstandingPrincipal"] == "2718.00"


def test_an_early_repayment_pays_a_later_installment_before_its_due_date(engine: Engine) -> None:
    register(engine, **APRIL)

    repay(engine, repayment("RP1", 2, "1000.00", "12.00", repay_type="EARLY_REPAY"))
    engine.advance(by=timedelta(minutes=1))

    assert [installment(engine, n)["status"] for n in (1, 2, 3)] == ["WAIT_REPAY", "REPAYED", "WAIT_REPAY"]
    assert installment(engine, 2)["repayType"] == "EARLY_REPAY"


def _settle(key: str, amount: str) -> dict[str, object]:
    lines = [
        {"installmentNo": 2, "paidPrincipal": "1000.00", "paidInterest": "4.00", "paidFee": "0.00"},
        {"installmentNo": 3, "paidPrincipal": "1000.00", "paidInterest": "0.00", "paidFee": "0.00"},
    ]
    return repayment(
        key, 2, "0", "0", collected="2019-05-20T10:00:00+08:00", amount=amount, repay_type="EARLY_SETTLE", lines=lines
    )


def test_early_settlement_settles_all_principal_with_interest_to_date(engine: Engine) -> None:
    register(engine, **APRIL)
    repay(engine, repayment("RP1", 1, "1000.00", "18.00", collected="2019-05-01T00:00:00+08:00"))
    engine.advance(to=at(5, 20, 10))

    response = repay(engine, _settle("RP2", "2004.00"))  # 2000.00 × 7.2 % × 10 days / 360 = 4.00
    engine.advance(by=timedelta(minutes=1))

    assert response.json()["repayStatus"] == "PROCESSING"
    loan = get_loan(engine).json()
    assert (loan["status"], loan["outstandingPrincipal"]) == ("SETTLED", "0.00")
    assert [(i["status"], i["dueInterest"], i["repayType"]) for i in loan["schedule"][1:]] == [
        ("REPAYED", "4.00", "EARLY_SETTLE"),
        ("REPAYED", "0.00", "EARLY_SETTLE"),
    ]
    assert len(events(engine, "loanSettled")) == 1


@pytest.mark.parametrize(("amount", "code"), [("2005.00", "E1003"), ("2003.00", "E9999")])
def test_an_early_settlement_of_the_wrong_amount_says_the_exact_amount(engine: Engine, amount: str, code: str) -> None:
    register(engine, **APRIL)
    repay(engine, repayment("RP1", 1, "1000.00", "18.00", collected="2019-05-01T00:00:00+08:00"))
    engine.advance(to=at(5, 20, 10))
    body = _settle("RP2", amount)
    body["repayList"][0]["paidInterest"] = "5.00" if code == "E1003" else "3.00"  # type: ignore[index]

    response = repay(engine, body)

    assert response.json()["respCode"] == code
    assert "takes exactly 2004.00" in response.json()["respMsg"]


@pytest.mark.parametrize(
    "body",
    [
        {"repayOuterNo": "RP1", "repayList": [{"installmentNo": 1, "paidPrincipal": "1.00"}], "note": "还款"},
        {"repayOuterNo": "RP1", "big": 2**70, "ratio": 0.1, "lone": "\ud800"},  # what orjson cannot write
    ],
)
def test_the_first_body_of_a_key_is_kept_as_json_that_reads_back_equal(body: dict[str, object]) -> None:
    assert json.loads(compact_json(body)) == body
