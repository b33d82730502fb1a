"""Instants: the text of one (kept for the last instant written) and reading one, as every party of a run does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.domain import iso, parse_instant

SHANGHAI = ZoneInfo("Asia/Shanghai")
instants = st.datetimes(
    min_value=datetime(1850, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.sampled_from([UTC, SHANGHAI])
)


def _written(instant: datetime) -> str:
    """RFC 3339 (section 5.6) by hand, without ``isoformat``: the wall time and offset of the instant's zone, or of
    UTC when that offset has seconds (local mean time, which RFC 3339 cannot write)."""
    offset = instant.utcoffset()
    assert offset is not None
    if offset % timedelta(minutes=1):
        instant, offset = instant.astimezone(UTC), timedelta(0)
    minutes = abs(offset) // timedelta(minutes=1)
    sign = "-" if offset < timedelta(0) else "+"
    fraction = f".{instant.microsecond:06d}" if instant.microsecond else ""
    return f"{instant:%Y-%m-%dT%H:%M:%S}{fraction}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


@settings(max_examples=300, deadline=None)
@given(first=instants, second=instants)
def test_an_instant_is_written_the_same_whether_it_was_the_last_one_written_or_not(
    first: datetime, second: datetime
) -> None:
    for instant in (first, first, second, first, second, second):
        assert iso(instant) == _written(instant)


def test_an_equal_instant_in_another_zone_is_written_in_its_own_zone() -> None:
    local = datetime(2019, 5, 1, 10, 0, tzinfo=SHANGHAI)
    same_instant = local.astimezone(timezone(timedelta(hours=8)))

    assert iso(local) == "2019-05-01T10:00:00+08:00"
    assert iso(local.astimezone(UTC)) == "2019-05-01T02:00:00+00:00"
    assert iso(same_instant) == "2019-05-01T10:00:00+08:00"


def test_local_mean_time_is_written_in_utc() -> None:
    lmt = datetime(1900, 1, 1, 12, 0, tzinfo=SHANGHAI)  # +08:05:43

    assert iso(lmt) == iso(lmt) == "1900-01-01T03:54:17+00:00"


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("2019-05-01T10:00:00+08:00", datetime(2019, 5, 1, 10, tzinfo=timezone(timedelta(hours=8)))),
        ("2019-05-01T10:00:00Z", datetime(2019, 5, 1, 10, tzinfo=UTC)),
        ("2019-05-01T10:00:00", None),  # no offset
        ("0001-01-01T07:59:59+08:00", None),  # before the first instant once in UTC
        ("0001-01-01T08:00:00+08:00", datetime(1, 1, 1, 8, tzinfo=timezone(timedelta(hours=8)))),
        ("9999-12-31T23:00:00-01:00", None),  # after the last
        ("9999-12-31T22:59:59-01:00", datetime(9999, 12, 31, 22, 59, 59, tzinfo=timezone(timedelta(hours=-1)))),
        ("9999-12-31T23:59:59+00:00", datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_an_instant_is_read_when_it_is_one_in_every_zone(text: str, read: datetime | None) -> None:
    value = parse_instant(text)

    assert value == read
    assert value is None or value.utcoffset() == read.utcoffset()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("2019-05-01t10:00:00z", datetime(2019, 5, 1, 10, tzinfo=UTC)),  # RFC 3339 allows lower case
        (
            "2019-05-01T10:00:00.1234567+08:00",
            datetime(2019, 5, 1, 10, 0, 0, 123456, tzinfo=timezone(timedelta(hours=8))),
        ),
        ("2019-06-30T23:59:60Z", datetime(2019, 6, 30, 23, 59, 59, tzinfo=UTC)),  # a leap second, as :59
        ("2019-05-01", None),  # a day is no instant
        ("yesterday", None),
    ],
)
def test_the_forms_rfc_3339_allows_are_read_and_others_are_not(text: str, read: datetime | None) -> None:
    assert parse_instant(text) == read


class _Text(str):
    __slots__ = ()


@pytest.mark.parametrize("value", [None, 20190501, b"2019-05-01T10:00:00Z", ["2019-05-01T10:00:00Z"]])
def test_anything_but_text_is_no_instant(value: object) -> None:
    assert parse_instant(value) is None


def test_a_str_subclass_is_read_like_its_text() -> None:
    assert parse_instant(_Text("2019-05-01T10:00:00Z")) == datetime(2019, 5, 1, 10, tzinfo=UTC)
