"""What the runner and the CLI rely on: the factories, the safeguard switches, the in-process interface."""

from __future__ import annotations

import pytest

from lendsim_examples import SAFEGUARDS, NaivePlatform, Platform, ResilientPlatform, naive, resilient, snake


def test_the_factories_make_fresh_platforms_of_the_in_process_interface() -> None:
    made = [naive.create(), naive.create(), resilient.create(), resilient.create()]

    assert all(isinstance(platform, Platform) for platform in made)
    assert isinstance(made[0], NaivePlatform) and isinstance(made[2], ResilientPlatform)
    assert made[0] is not made[1] and made[2] is not made[3]


def test_each_safeguard_can_be_left_out_and_nothing_else() -> None:
    assert SAFEGUARDS == (
        "outbox",
        "query_on_timeout",
        "monotonic_callbacks",
        "reconciliation",
        "corrections",
        "sms_dedupe",
        "masked_logs",
    )
    for safeguard in SAFEGUARDS:
        assert resilient.create(disable={safeguard}).safeguards == frozenset(SAFEGUARDS) - {safeguard}
    with pytest.raises(ValueError, match=r"unknown safeguard.*outbx.*the safeguards are outbox"):
        resilient.create(disable={"outbx"})


def test_operation_ids_name_the_methods() -> None:
    assert [snake(name) for name in ("setupRun", "repayResultNotify", "bankNotice", "smsReport", "platformLedger")] == [
        "setup_run",
        "repay_result_notify",
        "bank_notice",
        "sms_report",
        "platform_ledger",
    ]


def test_a_platform_without_a_run_has_an_empty_ledger_and_ticks() -> None:
    platform = resilient.create()

    assert platform.platform_ledger() == {"loans": []}
    assert platform.tick({"now": "2019-05-10T20:00:00+08:00"}) == {"now": "2019-05-10T20:00:00+08:00"}
    assert platform.reset_run(None) == {"reset": True}
