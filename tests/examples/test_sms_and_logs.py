"""The platforms' own SMS (the "we will restore your credit" reassurance after the bank's wrongful overdue notice)
under gateway faults, and what their logs give away."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from lendsim_examples import LOGGER_NAME, Platform, naive, resilient
from simulator.masking import mask_text
from tests.examples.helpers import CARD, ID_NUMBER, PHONE, Run, at, incident, run_platform

RESTORE = "SMS_153055080"


def reassurances(run: Run) -> tuple[int, int, int]:
    """How many reassurance SMS the platform sent, how many it looked up, how many reached the phone."""
    sends = [body for body in run.platform_requests("sms", "sendSms") if body["TemplateCode"] == RESTORE]
    lookups = run.platform_requests("sms", "querySendDetails")
    delivered = [entry for entry in run.events("smsDelivered") if entry.data.get("templateCode") == RESTORE]
    return len(sends), len(lookups), len(delivered)


def storm(platform: Platform, fault: dict[str, Any]) -> tuple[int, int, int]:
    with run_platform(platform) as run:
        incident(run, sms_fault=fault)
        return reassurances(run)


# SendSms answers after 2 s: the gateway has taken the message, a 1 s client times out (#22).
SLOW_GATEWAY = {"at": "sms.sendSms", "latency": {"delay": "PT2S"}, "from": at(5, 13)}
# From 03:00 on 14 May (after the bank's own notice went out) every SendSms answer is lost.
LOST_ANSWERS = {"at": "sms.sendSms", "timeout_after_commit": {}, "from": at(5, 14, 3)}
# The bank's notices reach the platform three times each.
REPEATED_NOTICES = {"at": "bank.bankNotice", "duplicate": {"times": 3}, "from": at(5, 13)}


def test_a_slow_gateway_makes_the_naive_platform_send_seven_copies() -> None:
    assert storm(naive.create(), SLOW_GATEWAY) == (7, 0, 7)


def test_a_slow_gateway_costs_the_resilient_platform_nothing() -> None:
    assert storm(resilient.create(), SLOW_GATEWAY) == (1, 0, 1)


def test_after_a_lost_answer_the_resilient_platform_looks_the_message_up_instead_of_resending() -> None:
    assert storm(resilient.create(), LOST_ANSWERS) == (1, 1, 1)


def test_without_sms_dedupe_a_lost_answer_is_resent_blindly() -> None:
    assert storm(resilient.create(disable={"sms_dedupe"}), LOST_ANSWERS) == (4, 0, 4)


def test_repeated_notices_make_one_reassurance_through_the_sms_ledger() -> None:
    assert storm(resilient.create(), REPEATED_NOTICES) == (1, 0, 1)
    assert storm(resilient.create(disable={"sms_dedupe"}), REPEATED_NOTICES) == (3, 0, 3)


def test_the_reassurance_waits_for_the_morning_and_names_no_one() -> None:
    with run_platform(resilient.create()) as run:
        incident(run)

        requests = run.sim.journal.iter(kind="request", partner="sms", operation="sendSms")
        (sent,) = [entry for entry in requests if entry.data["body"]["TemplateCode"] == RESTORE]
        assert at(5, 14, 8) <= sent.virtual_time < at(5, 14, 9), "the notice came at 02:00; no SMS at night"
        assert sent.data["body"]["OutId"] == f"rst-LN201902100001-3-{RESTORE}"
        assert "张" not in sent.data["body"]["TemplateParam"]


def test_receipts_are_acknowledged_and_idempotent() -> None:
    platform = resilient.create()
    receipt = {
        "phone_number": PHONE,
        "send_time": "2019-05-14T08:00:00+08:00",
        "report_time": "2019-05-14T08:00:07+08:00",
        "success": True,
        "err_code": "DELIVERED",
        "err_msg": "用户接收成功",
        "sms_size": 1,
        "biz_id": "900619557514803254^0",
        "out_id": None,
    }

    answers = [platform.sms_report([receipt]), platform.sms_report([receipt, receipt])]

    assert answers == [{"code": 0, "msg": "成功"}] * 2


# -- logs (O7) -------------------------------------------------------------------------------------------------


def platform_log(caplog: pytest.LogCaptureFixture, platform: Platform) -> list[str]:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    with run_platform(platform) as run:
        incident(run)
    return [record.getMessage() for record in caplog.records if record.name == LOGGER_NAME]


def test_the_naive_platform_logs_full_id_numbers_and_names_with_amounts(caplog: pytest.LogCaptureFixture) -> None:
    lines = platform_log(caplog, naive.create())

    assert any(ID_NUMBER in line for line in lines)
    assert any(CARD in line for line in lines)
    assert any("张伟" in line and "1006.00" in line for line in lines)


def test_the_resilient_platform_logs_nothing_personal(caplog: pytest.LogCaptureFixture) -> None:
    lines = platform_log(caplog, resilient.create())

    assert len(lines) > 20
    assert [line for line in lines if mask_text(line) != line or "张伟" in line] == []
    assert any("139****5678" in line for line in lines)


def test_without_masked_logs_the_resilient_platform_gives_people_away(caplog: pytest.LogCaptureFixture) -> None:
    lines = platform_log(caplog, resilient.create(disable={"masked_logs"}))

    assert any(ID_NUMBER in line for line in lines)
    assert any(PHONE in line for line in lines)
