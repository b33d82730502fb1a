"""BankConfig: the incident's defaults, and settings refused with the field, the bad value and the fix."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal
from typing import Any

import pytest

from simulator.errors import ConfigError
from simulator.partners.bank import BankConfig


def test_the_defaults_are_the_incident_bank() -> None:
    config = BankConfig()

    assert (config.cutoff, config.grace_days, config.overdue_batch_time) == (time(23, 59, 59), 3, time(2, 0))
    assert (config.reconciliation_time, config.furnishing_time) == (time(3, 0), time(4, 0))
    assert config.processing_delay == timedelta(seconds=2)
    assert config.order == ("penalty", "interest", "principal", "fee")
    assert config.penalty_rate == Decimal("0.0005")
    assert config.notice_before_report is True
    assert config.furnishing == "daily"


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("grace_days", 4, "0–3"),
        ("grace_days", True, "whole number"),
        ("cutoff", "23:59", "naive local time"),
        ("processing_delay", timedelta(days=2), "under a day"),
        ("callback_retry", (timedelta(0),), "positive"),
        ("allocation_order", ("interest", "principal"), "penalty, interest and principal"),
        ("allocation_order", ("penalty", "penalty", "interest", "principal"), "once each"),
        ("penalty_rate", 0.0005, "Decimal"),
        ("penalty_rate", Decimal("-0.1"), "from 0"),
        ("furnishing", "weekly", "daily, monthly"),
        ("sms_template_code", "153055065", "SMS_153055065"),
        ("mngmt_org_code", "b1021", "14 capital letters"),
        ("dispute_answer_days", 400, "0–365"),
    ],
)
def test_a_bad_setting_is_refused_naming_the_field_and_the_value(field: str, value: Any, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        BankConfig(**{field: value})

    assert caught.value.field == field
    assert field in str(caught.value) and repr(value) in str(caught.value) and says in str(caught.value)


def test_a_scenario_writes_the_settings_in_its_own_words() -> None:
    config = BankConfig.from_mapping(
        {
            "cutoff": "23:59:59",
            "grace": "3 days",
            "overdue_batch": "00:30",
            "reconciliation_file": "03:00",
            "processing_delay": "PT5S",
            "callback_retry": ["1 minute", "PT5M"],
            "allocation_order": "interest → principal → penalty",
            "penalty_rate": "0",
            "furnishing": "monthly",
        }
    )

    assert config.overdue_batch_time == time(0, 30)
    assert config.processing_delay == timedelta(seconds=5)
    assert config.callback_retry == (timedelta(minutes=1), timedelta(minutes=5))
    assert config.allocation_order == ("interest", "principal", "penalty")
    assert config.penalty_rate == Decimal(0)
    assert config.furnishing == "monthly"


def test_an_unknown_scenario_setting_gets_a_did_you_mean() -> None:
    with pytest.raises(ConfigError, match=r"unknown setting 'grac_days'; did you mean 'grace_days'\?"):
        BankConfig.from_mapping({"grac_days": 2})


def test_each_rule_that_counts_days_says_whether_it_counts_calendar_or_working_days() -> None:
    """lending-domain.md §2 #16 (calendar mismatch: "30 工作日" vs "30 天"): every rule's day-counting is explicit.
    The defaults are calendar days: 宽限期 0–3 days (§1.2 (7)), the incident's SMS on D+4 across a weekend (§0)."""
    default = BankConfig()
    config = BankConfig.from_mapping(
        {"grace": "3 working days", "dispute_answer": "5 business days", "notice_lead": "1 working day"}
    )

    assert (str(default.grace), str(default.dispute_answer), str(default.notice_lead)) == ("3 days", "5 days", "0 days")
    assert (str(config.grace), str(config.dispute_answer), str(config.notice_lead)) == (
        "3 business days",
        "5 business days",
        "1 business day",
    )
    assert BankConfig.from_mapping({"dispute_answer_days": 7}).dispute_answer_days == 7


@pytest.mark.parametrize(
    ("setting", "value", "says"),
    [
        ("grace", "4 working days", "0–3"),
        ("notice_lead", "6 hours", "a whole number of calendar or business days"),
        ("penalty_rounding", "monthly", "must be one of total, daily"),
        ("penalty_rounding_mode", "half-up", "did you mean 'half_up'"),
    ],
)
def test_a_bad_day_count_or_rounding_rule_names_the_setting_and_the_fix(setting: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        BankConfig.from_mapping({setting: value})

    assert says in str(caught.value)


@pytest.mark.parametrize(
    ("values", "names"),
    [
        ({"dispute_answer_days": 5, "dispute_answer": "7 working days"}, "'dispute_answer_days' and 'dispute_answer'"),
        ({"grace": "2 days", "grace_days": 3}, "'grace' and 'grace_days'"),
    ],
)
def test_a_setting_given_in_both_spellings_is_refused_not_silently_overridden(
    values: dict[str, Any], names: str
) -> None:
    with pytest.raises(ConfigError, match=f"bank: {names} are the same setting; keep one"):
        BankConfig.from_mapping(values)
