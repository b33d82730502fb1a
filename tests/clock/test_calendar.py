from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.clock import HOLIDAY_SETS, Calendar, Span, VirtualClock, parse_span
from simulator.errors import ClockError, ConfigError

SHANGHAI = Calendar()
NEW_YORK = Calendar("America/New_York", holidays=None)


def test_default_calendar_is_asia_shanghai_with_mainland_holidays() -> None:
    assert SHANGHAI.tz == ZoneInfo("Asia/Shanghai")
    assert SHANGHAI.name == "Asia/Shanghai"
    assert repr(SHANGHAI) == "Calendar('Asia/Shanghai', holidays='mainland')"
    assert HOLIDAY_SETS == ("mainland",)


# --- midnight in Asia/Shanghai (UTC+8) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "local"),
    [
        (datetime(2019, 5, 10, 15, 59, 59, tzinfo=UTC), date(2019, 5, 10)),  # 23:59:59 local
        (datetime(2019, 5, 10, 16, 0, 0, tzinfo=UTC), date(2019, 5, 11)),  # 00:00:00 local
        (datetime(2019, 5, 10, 23, 59, 59, tzinfo=ZoneInfo("Asia/Shanghai")), date(2019, 5, 10)),
        (datetime(2019, 5, 11, 0, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai")), date(2019, 5, 11)),
    ],
)
def test_local_date_of_instants_either_side_of_shanghai_midnight(instant: datetime, local: date) -> None:
    assert SHANGHAI.local_date(instant) == local


def test_clock_today_turns_over_at_shanghai_midnight_not_utc_midnight() -> None:
    clock = VirtualClock(datetime(2019, 5, 10, 15, 59, 59, tzinfo=UTC))
    assert clock.today() == date(2019, 5, 10)
    clock.advance_by(timedelta(seconds=1))
    assert clock.now() == datetime(2019, 5, 11, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert clock.today() == date(2019, 5, 11)


def test_at_builds_the_bank_cutoff_instant_in_shanghai() -> None:
    cutoff = SHANGHAI.at(date(2019, 5, 10), time(23, 59, 59))
    assert cutoff == datetime(2019, 5, 10, 15, 59, 59, tzinfo=UTC)
    assert cutoff.tzinfo is SHANGHAI.tz


def test_local_date_rejects_naive_datetimes_with_the_fix() -> None:
    with pytest.raises(ClockError, match=r"dt is a naive datetime .*Give it a tzinfo"):
        SHANGHAI.local_date(datetime(2019, 5, 10, 16, 0))


def test_at_rejects_an_aware_time_and_a_non_time() -> None:
    with pytest.raises(ClockError, match=r"t must be a naive wall-clock time .*t.replace\(tzinfo=None\)"):
        SHANGHAI.at(date(2019, 5, 10), time(23, 59, tzinfo=UTC))
    with pytest.raises(ClockError, match=r"t must be a datetime\.time"):
        SHANGHAI.at(date(2019, 5, 10), "23:59")  # type: ignore[arg-type]


# --- Labour Day 2019: 05-01..05-04 holiday; Sun 04-28 and Sun 05-05 are make-up working days ---------


@pytest.mark.parametrize(
    ("day", "business"),
    [
        (date(2019, 4, 27), False),  # Saturday
        (date(2019, 4, 28), True),  # Sunday, make-up working day
        (date(2019, 4, 30), True),
        (date(2019, 5, 1), False),  # Wednesday, Labour Day
        (date(2019, 5, 2), False),
        (date(2019, 5, 3), False),
        (date(2019, 5, 4), False),
        (date(2019, 5, 5), True),  # Sunday, make-up working day
        (date(2019, 5, 6), True),
        (date(2019, 5, 11), False),  # ordinary Saturday
    ],
)
def test_labour_day_2019_holidays_and_make_up_working_days(day: date, business: bool) -> None:
    assert SHANGHAI.is_business_day(day) is business


def test_30_working_days_from_2019_05_14_skip_the_dragon_boat_festival() -> None:
    # Working days after Tue 2019-05-14 (Labour Day is already behind; Fri 06-07 is Dragon Boat):
    #   May 15,16,17 (3) · 20–24 (8) · 27–31 (13) · Jun 3–6 (17) · [Fri 06-07 holiday]
    #   Jun 10–14 (22) · 17–21 (27) · 24, 25, 26 (30)  →  2019-06-26
    assert SHANGHAI.add_business_days(date(2019, 5, 14), 30) == date(2019, 6, 26)
    # With weekends only, 06-07 counts and the 30th working day is a day earlier.
    assert Calendar(holidays=None).add_business_days(date(2019, 5, 14), 30) == date(2019, 6, 25)


def test_30_working_days_across_labour_day_2019_count_the_make_up_sundays() -> None:
    # Working days after Fri 2019-04-26:
    #   Sun 04-28 make-up (1) · Apr 29, 30 (3) · [May 1–4 holiday] · Sun 05-05 make-up (4)
    #   May 6–10 (9) · 13–17 (14) · 20–24 (19) · 27–31 (24) · Jun 3–6 (28) · [06-07 Dragon Boat]
    #   Jun 10, 11 (30)  →  2019-06-11
    assert SHANGHAI.add_business_days(date(2019, 4, 26), 30) == date(2019, 6, 11)


def test_30_working_days_back_from_2019_05_14_across_labour_day() -> None:
    # Working days before Tue 2019-05-14, walking back:
    #   May 13 (1) · May 10–6 (6) · Sun 05-05 make-up (7) · [May 4–1 holiday] · Apr 30, 29 (9)
    #   Sun 04-28 make-up (10) · Apr 26–22 (15) · 19–15 (20) · 12–8 (25) · [Fri 04-05 Qingming]
    #   Apr 4, 3, 2, 1 (29) · Fri Mar 29 (30)  →  2019-03-29
    assert SHANGHAI.add_business_days(date(2019, 5, 14), -30) == date(2019, 3, 29)


def test_30_working_days_across_spring_festival_2019() -> None:
    # Spring Festival 2019: Feb 4–10 holiday; Sat 02-02 and Sun 02-03 are make-up working days.
    # Working days after Thu 2019-01-31:
    #   Fri 02-01 (1) · Sat 02-02, Sun 02-03 make-up (3) · [Feb 4–10 holiday] · Feb 11–15 (8)
    #   Feb 18–22 (13) · 25–28, Mar 1 (18) · Mar 4–8 (23) · 11–15 (28) · Mar 18, 19 (30)  →  2019-03-19
    assert SHANGHAI.add_business_days(date(2019, 1, 31), 30) == date(2019, 3, 19)
    assert SHANGHAI.add_business_days(date(2019, 2, 1), 1) == date(2019, 2, 2)  # a Saturday
    assert SHANGHAI.add_business_days(date(2019, 2, 3), 1) == date(2019, 2, 11)
    assert SHANGHAI.business_days_between(date(2019, 2, 1), date(2019, 2, 11)) == 3  # 02, 03, 11


def test_30_days_and_30_working_days_give_different_deadlines() -> None:
    start = date(2019, 5, 14)
    calendar_days = SHANGHAI.deadline(start, parse_span("30 days"))
    working_days = SHANGHAI.deadline(start, parse_span("30 working days"))
    assert calendar_days == date(2019, 6, 13)  # May has 31 days: 14 + 30 − 31 = June 13
    assert working_days == date(2019, 6, 26)  # see test_30_working_days_from_2019_05_14_...
    assert working_days - calendar_days == timedelta(days=13)


def test_add_zero_business_days_rolls_a_rest_day_forward() -> None:
    assert SHANGHAI.add_business_days(date(2019, 5, 6), 0) == date(2019, 5, 6)  # already a business day
    assert SHANGHAI.add_business_days(date(2019, 5, 1), 0) == date(2019, 5, 5)  # to the make-up Sunday
    assert SHANGHAI.deadline(date(2019, 5, 11), Span(0, business=True)) == date(2019, 5, 13)


def test_business_days_between_counts_the_half_open_interval_and_is_antisymmetric() -> None:
    # (04-30, 05-06] holds 05-05 (make-up Sunday) and 05-06.
    assert SHANGHAI.business_days_between(date(2019, 4, 30), date(2019, 5, 6)) == 2
    assert SHANGHAI.business_days_between(date(2019, 5, 6), date(2019, 4, 30)) == -2
    assert SHANGHAI.business_days_between(date(2019, 5, 6), date(2019, 5, 6)) == 0


def test_mainland_holidays_agree_with_chinese_calendar_for_every_covered_day() -> None:
    day, last = date(2004, 1, 1), date(2026, 12, 31)
    while day <= last:
        assert SHANGHAI.is_business_day(day) is chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


# --- years without holiday data ---------------------------------------------------------------------


def test_a_year_without_holiday_data_counts_weekends_only_and_says_so() -> None:
    """chinese-calendar 1.11 (the newest release) has no 2027: that year counts weekends only, covers() tells it,
    and the message names the year, the data's range and the fix (lending-domain.md §2 #16: SLAs use a configured
    calendar — so a year it cannot answer must be visible, not silently wrong)."""
    assert SHANGHAI.covers(2026) is True and SHANGHAI.covers(2027) is False and SHANGHAI.covers(2003) is False
    assert SHANGHAI.is_business_day(date(2027, 1, 1)) is True  # New Year's Day, but nothing says so
    assert SHANGHAI.is_business_day(date(2027, 1, 2)) is False  # a Saturday
    assert SHANGHAI.add_business_days(date(2026, 12, 30), 5) == date(2027, 1, 6)  # 12-31, then 01-01 … 01-06
    message = SHANGHAI.missing_holidays(2027)
    assert "no 'mainland' holiday data for 2027" in message and "covers 2004–2026" in message
    assert "calendar.extra_holidays" in message and "holidays: none" in message


def test_explicit_extra_holidays_make_2027_answerable() -> None:
    # A scenario in 2027 gives that year's days itself (illustrative dates: New Year's Day and a
    # Spring Festival week, Feb 6–12).
    spring_festival = [date(2027, 2, 6) + timedelta(days=i) for i in range(7)]
    calendar = Calendar(extra_holidays=[date(2027, 1, 1), *spring_festival])
    assert calendar.covers(2027) is True
    assert calendar.is_business_day(date(2027, 1, 1)) is False  # Friday, listed
    assert calendar.is_business_day(date(2027, 1, 4)) is True  # Monday, unlisted: weekday rule
    assert calendar.is_business_day(date(2027, 1, 9)) is False  # Saturday
    assert calendar.is_business_day(date(2027, 2, 8)) is False  # Monday in the festival
    # Thu 2027-02-04 + 3 working days: Fri 02-05 (1), [Feb 6–12], Mon 02-15 (2), Tue 02-16 (3).
    assert calendar.add_business_days(date(2027, 2, 4), 3) == date(2027, 2, 16)
    # Covered years still come from chinese-calendar.
    assert calendar.is_business_day(date(2019, 5, 5)) is True
    # 2028 was not described.
    assert calendar.covers(2028) is False


def test_extra_workdays_alone_also_describe_a_year() -> None:
    calendar = Calendar(extra_workdays=[date(2027, 2, 20)])  # a Saturday make-up day
    assert calendar.is_business_day(date(2027, 2, 20)) is True
    assert calendar.is_business_day(date(2027, 2, 22)) is True


def test_holidays_none_knows_only_weekends_in_any_year() -> None:
    calendar = Calendar(holidays=None)
    assert calendar.is_business_day(date(2019, 5, 1)) is True  # Labour Day is a Wednesday
    assert calendar.is_business_day(date(2019, 5, 5)) is False  # a Sunday, whatever 调休 says
    assert calendar.is_business_day(date(2027, 1, 4)) is True
    assert calendar.is_business_day(date(1999, 12, 31)) is True
    assert repr(calendar) == "Calendar('Asia/Shanghai', holidays=None)"


def test_extras_override_the_mainland_holiday_set() -> None:
    calendar = Calendar(extra_holidays=[date(2019, 5, 6)], extra_workdays=[date(2019, 5, 1)])
    assert calendar.is_business_day(date(2019, 5, 1)) is True
    assert calendar.is_business_day(date(2019, 5, 6)) is False
    assert "extra_holidays=<1 dates>" in repr(calendar)


def test_a_date_in_both_extra_lists_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="2019-05-06 listed in both extra_holidays and extra_workdays"):
        Calendar(extra_holidays=[date(2019, 5, 6)], extra_workdays=[date(2019, 5, 6)])


def test_extra_lists_must_hold_dates() -> None:
    with pytest.raises(ConfigError, match=r"extra_holidays must contain dates .*got '2027-01-01'"):
        Calendar(extra_holidays=["2027-01-01"])  # type: ignore[list-item]
    with pytest.raises(ConfigError, match="extra_workdays must contain dates"):
        Calendar(extra_workdays=[datetime(2027, 1, 1, tzinfo=UTC)])


# --- configuration errors ---------------------------------------------------------------------------


def test_unknown_timezone_suggests_the_closest_names() -> None:
    with pytest.raises(ConfigError) as excinfo:
        Calendar("Asia/Shangai")
    message = str(excinfo.value)
    assert message.startswith("unknown timezone 'Asia/Shangai'; did you mean 'Asia/Shanghai'")
    assert "zoneinfo.available_timezones()" in message


def test_timezone_with_the_wrong_case_suggests_the_right_spelling_only() -> None:
    with pytest.raises(ConfigError, match=r"unknown timezone 'asia/shanghai'; did you mean 'Asia/Shanghai'\? "):
        Calendar("asia/shanghai")


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "../etc/passwd", 8])
def test_unusable_timezones_are_config_errors(name: object) -> None:
    with pytest.raises(ConfigError, match="timezone"):
        Calendar(name)  # type: ignore[arg-type]


def test_unknown_holidays_name_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown holidays 'hongkong'; valid values are 'mainland', None"):
        Calendar(holidays="hongkong")


def test_bad_arguments_name_the_value() -> None:
    with pytest.raises(ClockError, match=r"d must be a datetime\.date, got '2019-05-01'"):
        SHANGHAI.is_business_day("2019-05-01")  # type: ignore[arg-type]
    with pytest.raises(ClockError, match=r"for an instant use Calendar\.local_date"):
        SHANGHAI.is_business_day(datetime(2019, 5, 1, tzinfo=UTC))
    with pytest.raises(ClockError, match=r"n must be a whole number of business days, got 1.5"):
        SHANGHAI.add_business_days(date(2019, 5, 6), 1.5)  # type: ignore[arg-type]
    with pytest.raises(ClockError, match=r"span must be a Span .*got '30 days'"):
        SHANGHAI.deadline(date(2019, 5, 6), "30 days")  # type: ignore[arg-type]


# --- a zone with daylight saving time ---------------------------------------------------------------


def test_at_in_new_york_uses_the_offset_in_force_on_that_date() -> None:
    winter = NEW_YORK.at(date(2024, 1, 15), time(9, 0))
    summer = NEW_YORK.at(date(2024, 7, 15), time(9, 0))
    assert winter == datetime(2024, 1, 15, 14, 0, tzinfo=UTC)  # EST, UTC−5
    assert summer == datetime(2024, 7, 15, 13, 0, tzinfo=UTC)  # EDT, UTC−4
    assert NEW_YORK.name == "America/New_York"


def test_at_maps_a_wall_time_skipped_by_spring_forward_past_the_gap() -> None:
    # 2024-03-10 02:00 EST → 03:00 EDT: 02:30 does not exist; it maps to 03:30 EDT (07:30 UTC).
    skipped = NEW_YORK.at(date(2024, 3, 10), time(2, 30))
    assert skipped == datetime(2024, 3, 10, 7, 30, tzinfo=UTC)
    assert (skipped.hour, skipped.minute, skipped.utcoffset()) == (3, 30, timedelta(hours=-4))


def test_at_picks_the_first_of_a_repeated_wall_time_unless_fold_is_1() -> None:
    # 2024-11-03 02:00 EDT → 01:00 EST: 01:30 happens twice. (Compare in UTC: by PEP 495 an
    # ambiguous local time never compares equal to an instant in another zone.)
    first = NEW_YORK.at(date(2024, 11, 3), time(1, 30))
    second = NEW_YORK.at(date(2024, 11, 3), time(1, 30, fold=1))
    assert first.astimezone(UTC) == datetime(2024, 11, 3, 5, 30, tzinfo=UTC)  # EDT
    assert second.astimezone(UTC) == datetime(2024, 11, 3, 6, 30, tzinfo=UTC)  # EST
    assert (first.fold, second.fold) == (0, 1)


def test_local_date_in_new_york_follows_its_own_midnight() -> None:
    assert NEW_YORK.local_date(datetime(2024, 7, 15, 3, 59, tzinfo=UTC)) == date(2024, 7, 14)
    assert NEW_YORK.local_date(datetime(2024, 7, 15, 4, 0, tzinfo=UTC)) == date(2024, 7, 15)
    assert NEW_YORK.local_date(datetime(2024, 1, 15, 4, 59, tzinfo=UTC)) == date(2024, 1, 14)


# --- properties -------------------------------------------------------------------------------------

covered_dates = st.dates(min_value=date(2004, 6, 1), max_value=date(2026, 6, 30))  # ±60 business days stay in 2004–2026
offsets = st.integers(min_value=-60, max_value=60)


@given(covered_dates, offsets)
def test_business_days_between_inverts_add_business_days(day: date, n: int) -> None:
    moved = SHANGHAI.add_business_days(day, n)
    assert SHANGHAI.is_business_day(moved)
    if n >= 1 or SHANGHAI.is_business_day(day):
        assert SHANGHAI.business_days_between(day, moved) == n


@given(covered_dates, st.integers(min_value=0, max_value=90))
def test_add_business_days_inverts_business_days_between_up_to_a_business_day(day: date, gap: int) -> None:
    end = SHANGHAI.add_business_days(day + timedelta(days=gap), 0)  # some business day on or after `day`
    assert SHANGHAI.add_business_days(day, SHANGHAI.business_days_between(day, end)) == end


@given(covered_dates, covered_dates)
def test_business_days_between_is_antisymmetric(a: date, b: date) -> None:
    if abs((b - a).days) <= 400:
        assert SHANGHAI.business_days_between(a, b) == -SHANGHAI.business_days_between(b, a)


@given(covered_dates, st.integers(min_value=0, max_value=60))
def test_deadline_in_business_days_is_never_before_the_deadline_in_calendar_days(day: date, n: int) -> None:
    business = SHANGHAI.deadline(day, Span(n, business=True))
    calendar = SHANGHAI.deadline(day, Span(n, business=False))
    assert business >= calendar
