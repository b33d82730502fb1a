"""BureauConfig: defaults from the regulation, checked values, and the scenario's way of writing them."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest

from simulator.clock import Span
from simulator.errors import ConfigError
from simulator.partners.bureau import BureauConfig


def test_the_defaults_are_20_calendar_days_and_an_8_hour_feedback_delay() -> None:
    config = BureauConfig()

    assert config.dispute_window == Span(20, business=False)
    assert config.feedback_delay == timedelta(hours=8)
    assert config.reject_corrections is False


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"feedback_delay": timedelta(hours=-1)}, "feedback_delay must be a timedelta >= 0"),
        ({"dispute_days": 0}, "dispute_days must be a whole number of days 1–365, got 0; Art. 25 says 20"),
        ({"dispute_days": True}, "dispute_days must be a whole number"),
        ({"dispute_business_days": "yes"}, "dispute_business_days must be True or False, got 'yes'"),
        ({"overdue_check": "00:00"}, "overdue_check must be a naive local time"),
    ],
)
def test_a_bad_value_names_the_setting_the_value_and_the_fix(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        BureauConfig(**kwargs)

    assert caught.value.field == next(iter(kwargs))


def test_a_scenario_writes_durations_spans_and_times_as_text() -> None:
    config = BureauConfig.from_mapping(
        {
            "feedback_delay": "2 hours",
            "dispute_window": "20 business days",
            "overdue_check": "00:30",
            "reject_corrections": True,
        }
    )

    assert config == BureauConfig(
        feedback_delay=timedelta(hours=2),
        dispute_days=20,
        dispute_business_days=True,
        overdue_check=time(0, 30),
        reject_corrections=True,
    )


def test_an_unknown_setting_gets_a_did_you_mean() -> None:
    with pytest.raises(ConfigError, match="unknown setting 'dispute_windw'; did you mean 'dispute_window'"):
        BureauConfig.from_mapping({"dispute_windw": "20 days"})


def test_an_unreadable_span_names_the_setting() -> None:
    with pytest.raises(ConfigError, match=r"bureau.dispute_window: cannot read '20 moons'"):
        BureauConfig.from_mapping({"dispute_window": "20 moons"})
