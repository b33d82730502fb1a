from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.clock import Span, format_duration, parse_duration, parse_span
from simulator.errors import ConfigError

# --- parse_duration: accepted forms ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # ISO-8601
        ("PT6H", timedelta(hours=6)),
        ("P1DT2H30M", timedelta(days=1, hours=2, minutes=30)),
        ("PT0.5S", timedelta(milliseconds=500)),
        ("PT0,5S", timedelta(milliseconds=500)),  # ISO's preferred decimal comma
        ("P2W", timedelta(weeks=2)),
        ("P1W3D", timedelta(days=10)),
        ("P45D", timedelta(days=45)),
        ("PT90S", timedelta(seconds=90)),
        ("PT1M", timedelta(minutes=1)),  # after T, M is minutes
        ("PT1.5H", timedelta(minutes=90)),
        ("PT0S", timedelta(0)),
        ("PT0.000001S", timedelta(microseconds=1)),
        ("p1dt6h", timedelta(days=1, hours=6)),  # designators are case-insensitive
        ("-PT6H", -timedelta(hours=6)),  # what format_duration writes for a negative timedelta
        ("  PT6H  ", timedelta(hours=6)),
        # human
        ("6 hours", timedelta(hours=6)),
        ("45 days", timedelta(days=45)),
        ("90 seconds", timedelta(seconds=90)),
        ("2h", timedelta(hours=2)),
        ("30m", timedelta(minutes=30)),
        ("1 day 6 hours", timedelta(days=1, hours=6)),
        ("1 day, 6 hours and 5 minutes", timedelta(days=1, hours=6, minutes=5)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1 day", timedelta(days=1)),
        ("2 weeks", timedelta(weeks=2)),
        ("1.5 hours", timedelta(minutes=90)),
        ("250ms", timedelta(milliseconds=250)),
        ("10 us", timedelta(microseconds=10)),
        ("3 mins 2 secs", timedelta(minutes=3, seconds=2)),
        ("6 Hours", timedelta(hours=6)),
    ],
)
def test_parse_duration_accepts_iso_and_human_forms(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


def test_parse_duration_reads_decimals_exactly_without_float_rounding() -> None:
    assert parse_duration("PT0.1S") == timedelta(microseconds=100_000)
    assert parse_duration("0.000003 seconds") == timedelta(microseconds=3)


# --- parse_duration: rejected forms and their messages --------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("P1Y", "years and months have no fixed length"),
        ("P2M", "give days instead, e.g. 'P30D'"),
        ("P1Y2M3D", "years and months have no fixed length"),
        ("1 month", "'month' has no fixed length (a month is 28 to 31 days)"),
        ("2 years", "'years' has no fixed length (a year is 365 or 366 days)"),
        ("90", "the number '90' has no unit; say which, e.g. '90 seconds'"),
        ("", "it is empty"),
        ("   ", "it is empty"),
        ("P", "it has no component"),
        ("PT", "it has no component"),
        ("P1DT", "a 'T' must be followed by hours, minutes or seconds"),
        ("PT6X", "does not follow [-]P[nW][nD][T[nH][nM][nS]]"),
        ("P1H", "does not follow"),  # hours need the T
        ("6 fortnights", "unknown unit 'fortnights'"),
        ("-6 hours", "human durations are never negative"),
        ("30 business days", "calendar span, not elapsed time; read it with parse_span()"),
        ("30 working days", "calendar span"),
        ("1 day 2 days", "days appear twice"),
        ("PT0.0000001S", "finer than the 1 microsecond resolution"),
        ("P99999999999D", "longer than the longest timedelta"),
        ("six hours", "'six hours' is not '<number> <unit>'"),
        ("6 hours later", "'later' is not '<number> <unit>'"),
        ("6 hours !", "'!' is not '<number> <unit>'"),
    ],
)
def test_parse_duration_rejects_bad_text_naming_it_and_the_valid_forms(text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        parse_duration(text)
    message = str(excinfo.value)
    assert f"cannot read {text!r} as a duration" in message
    assert fragment in message
    assert "'PT6H'" in message
    assert "'1 day 6 hours'" in message  # the examples of valid forms


def test_parse_duration_rejects_non_strings() -> None:
    with pytest.raises(ConfigError, match=r"a duration must be a string like 'PT6H' or '6 hours', got 6"):
        parse_duration(6)  # type: ignore[arg-type]


# --- format_duration ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("td", "expected"),
    [
        (timedelta(0), "PT0S"),
        (timedelta(hours=6), "PT6H"),
        (timedelta(days=1, hours=2, minutes=30), "P1DT2H30M"),
        (timedelta(milliseconds=500), "PT0.5S"),
        (timedelta(weeks=2), "P14D"),
        (timedelta(seconds=90), "PT1M30S"),
        (timedelta(microseconds=1), "PT0.000001S"),
        (timedelta(days=45), "P45D"),
        (-timedelta(hours=6), "-PT6H"),
        (-timedelta(microseconds=1), "-PT0.000001S"),
    ],
)
def test_format_duration_writes_iso_8601(td: timedelta, expected: str) -> None:
    assert format_duration(td) == expected


@given(st.timedeltas())
def test_format_duration_is_the_inverse_of_parse_duration(td: timedelta) -> None:
    assert parse_duration(format_duration(td)) == td


def test_format_duration_rejects_non_timedeltas() -> None:
    with pytest.raises(ConfigError, match=r"format_duration\(\) takes a timedelta, got 'PT6H'"):
        format_duration("PT6H")  # type: ignore[arg-type]


# --- Span and parse_span --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30 business days", Span(30, business=True)),
        ("30 working days", Span(30, business=True)),
        ("30 work days", Span(30, business=True)),
        ("30 workdays", Span(30, business=True)),
        ("1 business day", Span(1, business=True)),
        ("20 days", Span(20, business=False)),
        ("45 days", Span(45, business=False)),
        ("1 day", Span(1, business=False)),
        ("20 calendar days", Span(20, business=False)),
        ("2 weeks", Span(14, business=False)),
        ("P30D", Span(30, business=False)),
        ("P2W", Span(14, business=False)),
        ("0 days", Span(0, business=False)),
        ("  30 Working Days ", Span(30, business=True)),
    ],
)
def test_parse_span_reads_calendar_and_business_days(text: str, expected: Span) -> None:
    assert parse_span(text) == expected


@pytest.mark.parametrize("text", ["30", "30 hours", "-3 days", "1.5 days", "PT24H", "P1DT1H", "", "a month"])
def test_parse_span_rejects_anything_but_whole_days(text: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        parse_span(text)
    message = str(excinfo.value)
    assert f"cannot read {text!r} as a span of days" in message
    assert "'30 business days'" in message


def test_parse_span_rejects_non_strings() -> None:
    with pytest.raises(ConfigError, match="a span must be a string like '30 business days', got 30"):
        parse_span(30)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("span", "text"),
    [(Span(30, True), "30 business days"), (Span(1, False), "1 day"), (Span(1, True), "1 business day")],
)
def test_span_str_is_canonical_text_that_parses_back(span: Span, text: str) -> None:
    assert str(span) == text
    assert parse_span(str(span)) == span


@pytest.mark.parametrize("days", [-1, 1.5, True, "30"])
def test_span_rejects_days_that_are_not_a_non_negative_int(days: object) -> None:
    with pytest.raises(ConfigError, match=r"Span.days must be a whole number of days >= 0, got"):
        Span(days, business=False)  # type: ignore[arg-type]


def test_span_rejects_non_bool_business() -> None:
    with pytest.raises(ConfigError, match=r"Span\.business must be True or False, got 'yes'"):
        Span(3, business="yes")  # type: ignore[arg-type]


def test_span_is_frozen() -> None:
    span = Span(3, business=True)
    with pytest.raises(AttributeError):
        span.days = 4  # type: ignore[misc]
