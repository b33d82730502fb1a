"""The journal: what goes in comes back, by any correlation field, in order, from memory or a file."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import FrozenInstanceError, replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from http import HTTPStatus
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simulator.journal
from simulator.errors import JournalError
from simulator.journal import BATCH, KINDS, MAX_LIMIT, Entry, Journal, Page, set_aside

CST = timezone(timedelta(hours=8))
T0 = datetime(2019, 5, 14, 20, 0, tzinfo=CST)


@pytest.fixture
def journal() -> Iterator[Journal]:
    with Journal() as j:
        yield j


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# -- the package -----------------------------------------------------------------------------------------


def test_the_package_exports_exactly_its_public_names() -> None:
    public = {name for name in vars(simulator.journal) if not name.startswith(("_", "@"))}  # "@py_builtins": pytest

    assert set(simulator.journal.__all__) == public - {"annotations"}
    assert KINDS == ("request", "response", "delivery", "event", "fault", "drift")


# -- append and read back --------------------------------------------------------------------------------


def test_an_appended_entry_holds_the_fields_as_given_and_is_frozen(journal: Journal) -> None:
    ids = {"partner": "bank", "operation": "repayApply", "borrower": "B1", "loan": "L1", "serial": "RP-1"}

    entry = journal.append("response", T0, **ids, sms_out_id="S1", status=200, correlation="c1", data={"a": 1})

    assert entry == Entry(1, "response", T0, None, *ids.values(), "S1", 200, "c1", {"a": 1})
    with pytest.raises(FrozenInstanceError):
        entry.seq = 8  # type: ignore[misc]


def test_appends_are_numbered_from_one_and_read_back_equal(journal: Journal) -> None:
    first = journal.append("request", T0, partner="bank", operation="repayApply", borrower="B1", data={"x": [1]})
    second = journal.append("response", T0, partner="bank", operation="repayApply", borrower="B1", status=200)

    assert (first.seq, second.seq) == (1, 2)
    assert journal.query().items == [first, second]
    assert second.data == {}
    assert journal.last() == second


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("partner", "bureau"),
        ("operation", "overdueBatch"),
        ("borrower", "B000042"),
        ("loan", "L000042-1"),
        ("serial", "RP20190514000001"),
        ("sms_out_id", "SMS-9"),
        ("correlation", "r17"),
        ("status", 503),
    ],
)
def test_query_by_each_correlation_field_finds_only_its_entries(journal: Journal, field: str, value: Any) -> None:
    for minute in range(3):
        journal.append(
            "request",
            at(minute),
            partner="bank",
            operation="repayApply",
            borrower="B1",
            loan="L1",
            serial="RP1",
            sms_out_id="SMS-1",
            correlation="r1",
            status=200,
        )
    wanted = journal.append(
        "response",
        at(5),
        **{
            "partner": "bank",
            "operation": "repayApply",
            "borrower": "B1",
            "loan": "L1",
            "serial": "RP1",
            "sms_out_id": "SMS-1",
            "correlation": "r1",
            "status": 200,
            field: value,
        },
    )

    page = journal.query(**{field: value})

    assert page.items == [wanted]
    assert page.next is None
    assert journal.count(**{field: value}) == 1
    assert journal.last(**{field: value}) == wanted


def test_filters_are_anded(journal: Journal) -> None:
    journal.append("request", T0, borrower="B1", operation="repayApply")
    journal.append("request", T0, borrower="B2", operation="repayApply")
    both = journal.append("response", T0, borrower="B1", operation="repayApply", status=200)

    assert journal.query(borrower="B1", kind="response", operation="repayApply").items == [both]
    assert journal.count(borrower="B2", kind="response") == 0


def test_kind_filters_on_one_kind_or_any_of_several(journal: Journal) -> None:
    entries = {kind: journal.append(kind, T0) for kind in KINDS}

    assert journal.query(kind="fault").items == [entries["fault"]]
    assert journal.query(kind=["drift", "request"]).items == [entries["request"], entries["drift"]]
    assert journal.query(kind=()).items == []
    assert journal.count(kind={"event", "delivery", "fault"}) == 3


def test_since_and_until_bound_virtual_time_half_open(journal: Journal) -> None:
    for minute in range(10):
        journal.append("event", at(minute), operation=f"tick{minute}")

    window = journal.query(since=at(3), until=at(6)).items
    utc_bounds = journal.query(since=at(3).astimezone(UTC), until=at(6).astimezone(UTC)).items

    assert [e.operation for e in window] == ["tick3", "tick4", "tick5"]
    assert utc_bounds == window
    assert journal.count(since=at(8)) == 2
    assert journal.count(until=at(1)) == 1
    assert journal.query(since=at(4), until=at(4)).items == []


def test_time_filters_combine_with_id_filters(journal: Journal) -> None:
    for minute in range(6):
        journal.append("request", at(minute), borrower="B1" if minute % 2 else "B2", operation="repayApply")

    found = journal.query(borrower="B1", since=at(2), operation="repayApply").items

    assert [e.virtual_time for e in found] == [at(3), at(5)]


def test_pagination_walks_a_250_entry_journal_with_after_and_next(journal: Journal) -> None:
    for i in range(250):
        journal.append("request", at(i), serial=f"RP{i}")
    pages: list[Page] = []
    after = 0

    while True:
        page = journal.query(after=after, limit=100)
        pages.append(page)
        if page.next is None:
            break
        after = page.next

    assert [len(p.items) for p in pages] == [100, 100, 50]
    assert [p.next for p in pages] == [100, 200, None]
    assert [e.seq for p in pages for e in p.items] == list(range(1, 251))


def test_a_page_ending_exactly_at_the_end_has_no_next(journal: Journal) -> None:
    for i in range(200):
        journal.append("event", at(i), borrower="B1" if i % 2 else "B2")

    first = journal.query(borrower="B1", limit=50)
    second = journal.query(borrower="B1", limit=50, after=first.next or 0)

    assert first.next == 100
    assert [e.seq for e in first.items][:3] == [2, 4, 6]
    assert len(second.items) == 50
    assert second.next is None


def test_iteration_streams_in_chunks_rather_than_loading_everything(journal: Journal) -> None:
    for i in range(3000):
        journal.append("event", at(i))
    statements: list[str] = []
    journal._conn.set_trace_callback(statements.append)

    stream = iter(journal)
    first = next(stream)
    chunks_after_first = sum("LIMIT" in s for s in statements)
    rest = list(stream)

    assert first.seq == 1
    assert [e.seq for e in rest] == list(range(2, 3001))
    assert chunks_after_first == 1
    assert sum("LIMIT" in s for s in statements) > 3  # one per chunk of a few hundred rows


def test_iter_filters_like_query_without_a_limit_and_resumes_after_a_seq(journal: Journal) -> None:
    for i in range(1500):
        journal.append("request" if i % 3 else "response", at(i), borrower=f"B{i % 2}")

    by_iter = list(journal.iter(kind="response", borrower="B0"))
    resumed = list(journal.iter(kind="response", borrower="B0", after=by_iter[99].seq))

    assert by_iter == [e for e in journal if e.kind == "response" and e.borrower == "B0"]
    assert len(by_iter) == 250
    assert resumed == by_iter[100:]


def test_entries_appended_during_an_iteration_are_not_part_of_it(journal: Journal) -> None:
    for i in range(3):
        journal.append("event", at(i))

    seen = []
    for entry in journal:
        seen.append(entry.seq)
        journal.append("event", at(10))

    assert seen == [1, 2, 3]
    assert len(journal) == 6


def test_count_len_and_last(journal: Journal) -> None:
    assert len(journal) == 0
    assert journal.count() == 0
    assert journal.last() is None
    for i in range(5):
        journal.append("delivery" if i % 2 else "event", at(i), loan="L1")

    assert len(journal) == 5
    assert journal.count() == 5
    assert journal.count(kind="delivery") == 2
    assert journal.last(kind="event") == journal.query(after=4).items[0]
    assert journal.last(loan="nope") is None


# -- times -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "offset"),
    [
        (CST, "+08:00"),
        (ZoneInfo("Asia/Shanghai"), "+08:00"),
        (timezone(timedelta(hours=-5, minutes=-30)), "-05:30"),
        (UTC, "+00:00"),
    ],
)
def test_the_offset_a_virtual_time_was_given_with_comes_back(journal: Journal, tz: Any, offset: str) -> None:
    moment = datetime(2019, 5, 14, 23, 59, 59, 999_999, tzinfo=tz)
    journal.append("event", moment)

    back = journal.last()

    assert back is not None
    assert back.virtual_time == moment
    assert back.virtual_time.isoformat() == f"2019-05-14T23:59:59.999999{offset}"


def test_entries_are_filtered_by_instant_whatever_their_offsets(journal: Journal) -> None:
    early = journal.append("event", datetime(2019, 5, 14, 9, 0, tzinfo=CST))  # 01:00Z
    late = journal.append("event", datetime(2019, 5, 14, 2, 0, tzinfo=UTC))  # 02:00Z

    assert journal.query(since=datetime(2019, 5, 14, 1, 30, tzinfo=UTC)).items == [late]
    assert journal.query(until=datetime(2019, 5, 14, 9, 30, tzinfo=CST)).items == [early]


def test_wall_time_comes_from_the_injected_clock(journal: Journal) -> None:
    ticks = iter([1_557_835_200.25, 1_557_835_201])
    with Journal(wall_clock=lambda: next(ticks)) as clocked:
        first = clocked.append("event", T0)
        second = clocked.append("event", T0)

        assert (first.wall_time, second.wall_time) == (1_557_835_200.25, 1_557_835_201.0)
        assert [e.wall_time for e in clocked] == [1_557_835_200.25, 1_557_835_201.0]
        assert first.to_json()["wallTime"] == "2019-05-14T12:00:00.250000+00:00"

    assert journal.append("event", T0).wall_time is None
    assert journal.last().to_json()["wallTime"] is None  # type: ignore[union-attr]


def test_to_json_has_the_camel_case_keys_the_control_api_serves(journal: Journal) -> None:
    journal.append(
        "response",
        T0,
        partner="sms",
        operation="smsSend",
        borrower="B1",
        loan="L1",
        serial="RP1",
        sms_out_id="S1",
        status=200,
        correlation="r1",
        data={"body": {"ok": True}},
    )

    served = journal.last().to_json()  # type: ignore[union-attr]

    assert served == {
        "seq": 1,
        "kind": "response",
        "virtualTime": "2019-05-14T20:00:00+08:00",
        "wallTime": None,
        "partner": "sms",
        "operation": "smsSend",
        "borrower": "B1",
        "loan": "L1",
        "serial": "RP1",
        "smsOutId": "S1",
        "status": 200,
        "correlation": "r1",
        "data": {"body": {"ok": True}},
    }
    assert json.loads(json.dumps(served)) == served


# -- data ------------------------------------------------------------------------------------------------


def test_data_is_stored_as_json_and_read_back_as_its_round_trip(journal: Journal) -> None:
    given_data = {"body": {"amount": "1234.56", "items": (1, 2.5, None, True), "名字": "张三"}}

    appended = journal.append("request", T0, data=given_data)
    back = journal.last()

    assert appended.data is given_data
    assert back is not None
    assert back.data == {"body": {"amount": "1234.56", "items": [1, 2.5, None, True], "名字": "张三"}}
    stored = journal._conn.execute("SELECT data FROM entries").fetchone()[0]
    assert "张三" in stored
    assert ", " not in stored


def test_mappings_that_are_not_dicts_are_stored_as_objects(journal: Journal) -> None:
    journal.append("request", T0, data=MappingProxyType({"headers": MappingProxyType({"x-id": "1"})}))

    assert journal.last().data == {"headers": {"x-id": "1"}}  # type: ignore[union-attr]


def test_empty_strings_are_recorded_as_absent_ids(journal: Journal) -> None:
    entry = journal.append("request", T0, borrower="", loan="L1")

    assert entry.borrower is None
    assert journal.last() == entry
    assert journal.count(borrower="") == 0


def test_http_status_enums_are_stored_as_ints(journal: Journal) -> None:
    entry = journal.append("response", T0, status=HTTPStatus.SERVICE_UNAVAILABLE)

    assert entry.status == 503
    assert type(journal.last().status) is int  # type: ignore[union-attr]
    assert journal.count(status=HTTPStatus.SERVICE_UNAVAILABLE) == 1


# -- bad input -------------------------------------------------------------------------------------------


def test_an_unknown_kind_is_named_with_a_suggestion_and_the_valid_kinds(journal: Journal) -> None:
    with pytest.raises(JournalError, match=r"unknown journal kind 'requets'; did you mean 'request'\?") as info:
        journal.append("requets", T0)
    with pytest.raises(JournalError, match=r"'fualt'; did you mean 'fault'\? filter on one of"):
        journal.query(kind=["event", "fualt"])

    assert "request, response, delivery, event, fault, drift" in str(info.value)
    assert len(journal) == 0


def test_a_naive_virtual_time_is_rejected_with_the_fix(journal: Journal) -> None:
    naive = datetime(2019, 5, 14, 20, 0)

    with pytest.raises(JournalError, match=r"virtual_time='2019-05-14T20:00:00' is naive .*timezone-aware"):
        journal.append("event", naive)
    with pytest.raises(JournalError, match=r"since='2019-05-14T20:00:00' is naive"):
        journal.query(since=naive)
    with pytest.raises(JournalError, match=r"virtual_time=datetime.date\(2019, 5, 14\) is not a datetime"):
        journal.append("event", T0.date())  # type: ignore[arg-type]


@pytest.mark.parametrize("limit", [0, -1, MAX_LIMIT + 1, 2.5, True])
def test_a_limit_out_of_range_is_rejected_with_the_range(journal: Journal, limit: Any) -> None:
    with pytest.raises(JournalError, match=rf"limit={limit!r} is out of range; pass an int from 1 to 10000"):
        journal.query(limit=limit)


def test_the_largest_limit_is_accepted(journal: Journal) -> None:
    journal.append("event", T0)

    assert len(journal.query(limit=MAX_LIMIT).items) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"body": {"amount": Decimal("12.50")}},
            r"data\['body'\]\['amount'\] is Decimal\('12.50'\) of type Decimal, "
            r"which is not JSON-serialisable; convert it .*str\(value\)",
        ),
        ({"at": [T0]}, r"data\['at'\]\[0\] is .* of type datetime, .*value.isoformat\(\)"),
        ({"rate": float("nan")}, r"data\['rate'\] is nan, which JSON cannot represent"),
        ({"ids": {("a", 1): 2}}, r"data\['ids'\] has the key \('a', 1\) of type tuple; .*str\(\)"),
        ({"tags": {"a", "b"}}, r"data\['tags'\] is .* of type set"),
    ],
)
def test_data_json_cannot_hold_is_rejected_naming_the_key_path(journal: Journal, data: Any, message: str) -> None:
    with pytest.raises(JournalError, match=message):
        journal.append("request", T0, data=data)

    assert len(journal) == 0


def test_circular_data_is_rejected(journal: Journal) -> None:
    loop: dict[str, Any] = {"a": {}}
    loop["a"]["back"] = loop

    with pytest.raises(JournalError, match=r"data\['a'\]\['back'\] refers back to a container"):
        journal.append("request", T0, data=loop)


def test_data_that_is_not_a_mapping_is_rejected(journal: Journal) -> None:
    with pytest.raises(JournalError, match=r"data=\[1, 2\] is a list, not a mapping; pass a dict"):
        journal.append("request", T0, data=[1, 2])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"borrower": 42}, r"borrower=42 is a int, not a str; pass str\(borrower\) or None"),
        ({"status": "200"}, r"status='200' is not an HTTP status; pass an int such as 200"),
        ({"status": True}, r"status=True is not an HTTP status"),
        ({"status": 1000}, r"status=1000 is not an HTTP status"),
    ],
)
def test_ids_and_status_of_the_wrong_type_are_rejected(journal: Journal, kwargs: Any, message: str) -> None:
    with pytest.raises(JournalError, match=message):
        journal.append("event", T0, **kwargs)


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (
            {"borower": "B1"},
            r"unknown filter 'borower'; did you mean 'borrower'\? the journal filters on: kind,",
        ),
        ({"after": -1}, r"after=-1 is not a seq; pass 0 \(the start\) or a page's next"),
        ({"loan": 7}, r"loan=7 is not a str"),
        ({"kind": 3}, r"kind=3 is not a kind; pass one of request, response"),
        ({"since": at(5), "until": at(1)}, r"since=.* is after until=.*; swap them"),
        ({"until": "2019-05-14"}, r"until='2019-05-14' is not a datetime"),
    ],
)
def test_bad_filters_are_rejected_with_the_fix(journal: Journal, filters: Any, message: str) -> None:
    with pytest.raises(JournalError, match=message):
        journal.query(**filters)
    with pytest.raises(JournalError, match=message):
        journal.iter(**filters)  # checked at the call, not at the first next()


def test_a_wall_clock_that_does_not_return_seconds_is_rejected() -> None:
    with pytest.raises(JournalError, match=r"wall_clock='now' is not callable"):
        Journal(wall_clock="now")  # type: ignore[arg-type]
    bad_clock = Journal(wall_clock=lambda: T0)  # type: ignore[arg-type,return-value]

    with pytest.raises(JournalError, match=r"the wall clock returned datetime.datetime\(2019.* such as time.time"):
        bad_clock.append("event", T0)
    bad_clock.close()


def test_a_closed_journal_says_so(journal: Journal) -> None:
    journal.close()
    journal.close()

    with pytest.raises(JournalError, match=r"the journal ':memory:' is closed; open it again with Journal"):
        journal.append("event", T0)
    with pytest.raises(JournalError, match="is closed"):
        journal.query()
    assert repr(journal) == "<Journal ':memory:' closed>"


# -- files -----------------------------------------------------------------------------------------------


def test_a_reopened_file_journal_continues_its_sequence(tmp_path: Path) -> None:
    path = tmp_path / "run.journal"
    with Journal(path) as journal:
        journal.append("event", at(0), borrower="B1")
        journal.append("event", at(1), borrower="B2")

    with Journal(str(path)) as reopened:
        third = reopened.append("event", at(2), borrower="B1")

        assert third.seq == 3
        assert [e.seq for e in reopened.iter(borrower="B1")] == [1, 3]
        assert reopened.path == str(path)
        assert repr(reopened) == f"<Journal {str(path)!r} 3 entries>"


def test_closing_writes_every_buffered_append(tmp_path: Path) -> None:
    path = tmp_path / "run.journal"
    journal = Journal(path)
    for i in range(BATCH + 10):
        journal.append("event", at(i))
    outside = sqlite3.connect(path)

    committed_before_close = outside.execute("SELECT count(*) FROM entries").fetchone()[0]
    journal.close()

    assert committed_before_close == BATCH  # a full batch is written and committed on its own
    assert outside.execute("SELECT count(*) FROM entries").fetchone()[0] == BATCH + 10
    outside.close()


def test_flush_makes_appends_visible_to_other_connections(tmp_path: Path) -> None:
    path = tmp_path / "run.journal"
    with Journal(path) as journal:
        journal.append("event", T0)
        outside = sqlite3.connect(path)
        before = outside.execute("SELECT count(*) FROM entries").fetchone()[0]

        journal.flush()

        assert (before, outside.execute("SELECT count(*) FROM entries").fetchone()[0]) == (0, 1)
        assert outside.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        outside.close()


def test_a_journal_watching_a_file_another_one_writes_sees_what_was_flushed(tmp_path: Path) -> None:
    path = tmp_path / "run.journal"
    with Journal(path) as writer, Journal(path) as watcher:
        writer.append("event", at(0))
        writer.flush()
        seen_first = len(watcher)

        writer.append("event", at(1))
        writer.flush()

        assert seen_first == 1
        assert [e.seq for e in watcher] == [1, 2]


def test_a_journal_dropped_without_close_still_writes_its_appends(tmp_path: Path) -> None:
    path = tmp_path / "run.journal"
    journal = Journal(path)
    journal.append("event", T0)

    del journal

    with Journal(path) as reopened:
        assert len(reopened) == 1


def test_a_lone_surrogate_is_stored_escaped_and_flagged_and_never_costs_its_batch(tmp_path: Path) -> None:
    path = tmp_path / "run.journal"
    with Journal(path) as journal:
        for i in range(BATCH - 1):
            journal.append("event", at(i), serial=f"RP-{i}")
        journal.append("request", at(BATCH), serial="RP-\udc00", data={"body": {"name": "\udc00"}})
        journal.append("event", at(BATCH + 1), data={"n": 1}, data_json='{"n":1,"raw":"\ud800"}')  # unchecked text
        journal.flush()

        poisoned = journal.last(kind="request")
        raw = journal.last(kind="event")

    with Journal(path) as reopened:
        assert len(reopened) == BATCH + 1
    assert poisoned is not None and raw is not None
    assert poisoned.serial == "RP-\\udc00"  # a backslash escape in an id column: flagged, it is not the id sent
    assert poisoned.data == {"body": {"name": "\udc00"}, "escaped": ["serial"]}  # in data: the same value
    assert raw.data == {"n": 1, "raw": "\ud800"}


def test_a_journal_set_aside_moves_with_what_its_write_ahead_log_holds_to_the_first_free_name(tmp_path: Path) -> None:
    path = tmp_path / "serve.journal"
    (tmp_path / "serve.journal.1").write_text("an older one, kept")
    killed = (  # commits to the write-ahead log, then dies as kill -9 leaves it: nothing copied into the file
        "import os, sys; from datetime import datetime, timezone; from simulator.journal import Journal; "
        "j = Journal(sys.argv[1]); j.append('event', datetime(2019, 5, 1, tzinfo=timezone.utc), borrower='B1'); "
        "j.flush(); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", killed, str(path)], check=True, timeout=60)
    assert Path(f"{path}-wal").stat().st_size > 0

    kept = set_aside(path)

    assert kept == f"{path}.2" and not path.exists() and not Path(f"{path}-wal").exists()
    with Journal(kept) as moved:
        assert [entry.borrower for entry in moved] == ["B1"]
    assert set_aside(tmp_path / "never.journal") is None


def test_fsync_flushes_each_commit_to_the_disk(tmp_path: Path) -> None:
    with Journal(tmp_path / "a.journal") as plain, Journal(tmp_path / "b.journal", fsync=True) as durable:
        modes = [j._conn.execute("PRAGMA synchronous").fetchone()[0] for j in (plain, durable)]

    assert modes == [1, 2]  # NORMAL, FULL


def test_a_file_that_is_not_a_journal_is_rejected_naming_it(tmp_path: Path) -> None:
    garbage = tmp_path / "notes.txt"
    garbage.write_bytes(b"this is not a database at all, just some text " * 100)

    with pytest.raises(JournalError, match=rf"{str(garbage)!r} is not a lendsim journal .*path of a journal"):
        Journal(garbage)
    assert garbage.read_bytes().startswith(b"this is not a database")


def test_another_sqlite_database_is_rejected_and_left_untouched(tmp_path: Path) -> None:
    other = tmp_path / "app.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE users (id INTEGER)")
    conn.close()

    with pytest.raises(JournalError, match=r"is an SQLite database but not a lendsim journal"):
        Journal(other)
    with sqlite3.connect(other) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_a_journal_in_a_missing_folder_names_the_path_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match=r"cannot open the journal file .*nowhere.*check that its folder exists"):
        Journal(tmp_path / "nowhere" / "run.journal")


def test_the_index_a_filter_needs_is_built_once_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "run.journal"
    with Journal(path) as journal:
        for i in range(10):
            journal.append("event", at(i), borrower=f"B{i % 3}")

        journal.query(borrower="B1")
        plan = journal._conn.execute("EXPLAIN QUERY PLAN SELECT * FROM entries WHERE borrower = 'B1'").fetchall()

    with Journal(path) as reopened:
        assert "entries_borrower" in str(plan)
        assert reopened._indexes == {"borrower"}


# -- clear, threads --------------------------------------------------------------------------------------


def test_clear_empties_the_journal_and_restarts_seq(journal: Journal) -> None:
    for i in range(3):
        journal.append("event", at(i))

    journal.clear()

    assert len(journal) == 0
    assert list(journal) == []
    assert journal.append("event", T0).seq == 1


def test_an_iteration_cut_by_clear_fails_loudly(journal: Journal) -> None:
    for i in range(1200):
        journal.append("event", at(i))
    stream = iter(journal)
    next(stream)

    journal.clear()

    with pytest.raises(JournalError, match="was cleared while being iterated; start the iteration again"):
        list(stream)


def test_a_journal_made_in_one_thread_is_usable_from_another(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "run.journal")
    results: list[Any] = []

    def work() -> None:
        for i in range(20):
            journal.append("event", at(i))
        results.append(journal.count())

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results)[-1] == 60
    assert [e.seq for e in journal] == list(range(1, 61))
    journal.close()


# -- merge -----------------------------------------------------------------------------------------------


def test_merge_orders_by_virtual_time_then_shard_then_seq_and_renumbers() -> None:
    with Journal() as shard_a, Journal() as shard_b:
        shard_a.append("request", at(2), borrower="A", serial="a1")
        shard_a.append("event", at(0), borrower="A", serial="a2")  # appended late, happened first
        shard_a.append("response", at(5), borrower="A", serial="a3")
        shard_b.append("request", at(2), borrower="B", serial="b1")
        shard_b.append("response", at(3).astimezone(UTC), borrower="B", serial="b2")

        with Journal.merge([shard_a, shard_b]) as merged:
            entries = list(merged)

        assert [e.serial for e in entries] == ["a2", "a1", "b1", "b2", "a3"]
        assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
        assert entries[3].virtual_time.utcoffset() == timedelta(0)
        assert len(shard_a) == 3
        assert len(shard_b) == 2


def test_merged_entries_keep_every_field_but_seq() -> None:
    with Journal(wall_clock=lambda: 1_557_835_200.5) as shard:
        original = shard.append(
            "delivery", T0, partner="sms", operation="smsSend", borrower="B1", loan="L1", serial="RP1",
            sms_out_id="S1", status=200, correlation="d1", data={"attempt": 2, "to": "138****0000"},
        )  # fmt: skip
        bare = shard.append("event", T0)
        earlier = Journal()
        earlier.append("event", at(-1))

        with Journal.merge([earlier, shard]) as merged:
            assert list(merged)[1:] == [replace(original, seq=2), replace(bare, seq=3)]
        earlier.close()


def test_merge_streams_many_entries_into_a_file(tmp_path: Path) -> None:
    shards = [Journal() for _ in range(3)]
    for i in range(1500):
        shards[i % 3].append("event", at(i // 2), borrower=f"B{i % 3}", data={"i": i})

    with Journal.merge(shards, tmp_path / "merged.journal") as merged:
        times = [e.virtual_time for e in merged]
        by_borrower = merged.count(borrower="B1")

    assert times == sorted(times)
    assert len(times) == 1500
    assert by_borrower == 500
    for shard in shards:
        shard.close()


def test_merge_refuses_a_target_that_already_holds_entries(tmp_path: Path) -> None:
    path = tmp_path / "merged.journal"
    with Journal(path) as existing:
        existing.append("event", T0)

    with pytest.raises(JournalError, match=r"cannot merge into .*merged.journal.*already holds 1 entries"):
        Journal.merge([Journal()], path)
    with pytest.raises(JournalError, match=r"journals\[0\]='shard.db' is not a Journal; open each shard"):
        Journal.merge(["shard.db"])  # type: ignore[list-item]


def test_a_merge_folds_what_names_no_one_instant_by_instant_and_never_what_belongs_to_a_borrower() -> None:
    seen: list[list[tuple[int, str | None, dict[str, Any]]]] = []

    def fold(instant: list[tuple[int, Entry]]) -> list[Entry | None]:
        seen.append([(shard, entry.operation, dict(entry.data)) for shard, entry in instant])
        first = instant[0][1]
        total = sum(entry.data["n"] for _, entry in instant)
        return [replace(first, data={"n": total}), *([None] * (len(instant) - 1))]

    with Journal() as shard_a, Journal() as shard_b:
        for shard, n in ((shard_a, 2), (shard_b, 3)):
            shard.append("event", at(1), partner="bank", operation="batch", data={"n": n})
            shard.append("event", at(1), partner="bank", operation="posted", borrower=f"B{n}", data={"n": n})
        shard_b.append("event", at(4), partner="bank", operation="batch", data={"n": 7})

        with Journal.merge([shard_a, shard_b], fold=fold) as merged:
            entries = [(e.seq, e.operation, e.borrower, dict(e.data)) for e in merged]

    assert seen == [[(0, "batch", {"n": 2}), (1, "batch", {"n": 3})], [(1, "batch", {"n": 7})]]
    assert entries == [
        (1, "batch", None, {"n": 5}),
        (2, "posted", "B2", {"n": 2}),
        (3, "posted", "B3", {"n": 3}),
        (4, "batch", None, {"n": 7}),
    ]


def test_a_merge_gives_the_fold_only_the_operations_it_says_it_folds_and_copies_the_rest_as_stored() -> None:
    seen: list[list[str | None]] = []

    def fold(instant: list[tuple[int, Entry]]) -> list[Entry | None]:
        seen.append([entry.operation for _, entry in instant])
        return [instant[0][1], *([None] * (len(instant) - 1))]

    with Journal() as shard_a, Journal() as shard_b:
        for shard, n in ((shard_a, 1), (shard_b, 2)):
            shard.append("event", at(1), partner="platform", operation="platformLog", data={"line": f"log {n}"})
            shard.append("event", at(1), partner="bank", operation="batch", data={"n": n})
            shard.append("event", at(2), partner="platform", operation="platformLog", data={"line": f"late {n}"})

        with Journal.merge([shard_a, shard_b], fold=fold, folding={"batch", "it's quoted"}) as merged:
            entries = [(e.seq, e.operation, dict(e.data)) for e in merged]

    assert seen == [["batch", "batch"]]  # no log line read, and no call for an instant with nothing to fold
    assert entries == [
        (1, "platformLog", {"line": "log 1"}),
        (2, "batch", {"n": 1}),
        (3, "platformLog", {"line": "log 2"}),
        (4, "platformLog", {"line": "late 1"}),
        (5, "platformLog", {"line": "late 2"}),
    ]


def test_a_merge_tells_the_merged_seq_of_each_seq_asked_for_and_of_a_folded_entry_its_stand_in() -> None:
    def fold(instant: list[tuple[int, Entry]]) -> list[Entry | None]:  # each instant's batches become the first
        return [instant[0][1], *([None] * (len(instant) - 1))]

    with Journal() as shard_a, Journal() as shard_b:
        a_posted = shard_a.append("event", at(1), partner="bank", operation="posted", borrower="A")
        a_batch = shard_a.append("event", at(2), partner="bank", operation="batch")
        b_batch = shard_b.append("event", at(2), partner="bank", operation="batch")
        b_posted = shard_b.append("event", at(3), partner="bank", operation="posted", borrower="B")
        b_unasked = shard_b.append("event", at(4), partner="bank", operation="posted", borrower="C")
        asked = [dict.fromkeys([a_posted.seq, a_batch.seq], 0), dict.fromkeys([b_batch.seq, b_posted.seq], 0)]

        with Journal.merge([shard_a, shard_b], fold=fold, seqs=asked) as merged:
            by_seq = {e.seq: (e.operation, e.borrower) for e in merged}

    assert asked == [{a_posted.seq: 1, a_batch.seq: 2}, {b_batch.seq: 2, b_posted.seq: 3}]  # b's batch: a's stands
    assert by_seq == {1: ("posted", "A"), 2: ("batch", None), 3: ("posted", "B"), 4: ("posted", "C")}
    assert b_unasked.seq not in asked[1]  # only what was asked is looked up
    with pytest.raises(JournalError, match="seqs names 1 journals, the merge 2; give one mapping each"):
        Journal.merge([Journal(), Journal()], seqs=[{}])


def test_a_tally_counts_the_entries_by_kind_partner_and_operation() -> None:
    with Journal() as journal:
        journal.append("request", T0, partner="bank", operation="repayApply", borrower="A")
        journal.append("request", at(1), partner="bank", operation="repayApply", borrower="B")
        journal.append("event", at(2), partner="bank", operation="dayEnd")
        journal.append("event", at(3))

        assert journal.tally() == {
            ("request", "bank", "repayApply"): 2,
            ("event", "bank", "dayEnd"): 1,
            ("event", None, None): 1,
        }


def test_a_fold_that_does_not_answer_for_each_entry_is_refused() -> None:
    with Journal() as shard:
        shard.append("event", at(1), partner="bank", operation="batch")

        with pytest.raises(JournalError, match="returned 0 entries for 1; return one"):
            Journal.merge([shard], fold=lambda instant: [])


# -- the property: a query is the Python filter of everything ---------------------------------------------

_ZONES = [UTC, CST, timezone(timedelta(hours=-5)), ZoneInfo("Asia/Shanghai")]
_IDS = st.none() | st.sampled_from(["a", "b", "c"])
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6,
)
_APPENDS = st.lists(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(KINDS),
            "virtual_time": st.builds(
                lambda minutes, zone: (T0 + timedelta(minutes=minutes)).astimezone(zone),
                st.integers(0, 30),
                st.sampled_from(_ZONES),
            ),
            "partner": _IDS,
            "operation": _IDS,
            "borrower": _IDS,
            "loan": _IDS,
            "serial": _IDS,
            "sms_out_id": _IDS,
            "status": st.none() | st.sampled_from([200, 503]),
            "correlation": _IDS,
            "data": st.none() | st.dictionaries(st.text(max_size=3), _JSON, max_size=3),
        }
    ),
    max_size=40,
)
_FILTERS = st.fixed_dictionaries(
    {},
    optional={
        "kind": st.sampled_from(KINDS) | st.lists(st.sampled_from(KINDS), max_size=3),
        "partner": st.sampled_from(["a", "b"]),
        "operation": st.sampled_from(["a", "b"]),
        "borrower": st.sampled_from(["a", "b"]),
        "loan": st.sampled_from(["a", "b"]),
        "serial": st.sampled_from(["a", "b"]),
        "sms_out_id": st.sampled_from(["a", "b"]),
        "status": st.sampled_from([200, 503]),
        "correlation": st.sampled_from(["a", "b"]),
        "since": st.builds(lambda m: T0 + timedelta(minutes=m), st.integers(0, 15)),
        "until": st.builds(lambda m: (T0 + timedelta(minutes=m)).astimezone(UTC), st.integers(15, 31)),
        "after": st.integers(0, 40),
    },
)


def _matches(entry: Entry, filters: dict[str, Any]) -> bool:
    for name, wanted in filters.items():
        if name == "kind":
            if entry.kind not in ([wanted] if isinstance(wanted, str) else wanted):
                return False
        elif name == "since":
            if entry.virtual_time < wanted:
                return False
        elif name == "until":
            if entry.virtual_time >= wanted:
                return False
        elif name == "after":
            if entry.seq <= wanted:
                return False
        elif getattr(entry, name) != wanted:
            return False
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(appends=_APPENDS, filters=_FILTERS, limit=st.integers(1, 7))
def test_any_query_equals_the_python_filter_of_all_entries(
    appends: list[dict[str, Any]], filters: dict[str, Any], limit: int
) -> None:
    with Journal() as journal:
        appended = [journal.append(**kwargs) for kwargs in appends]
        expected = [e for e in appended if _matches(e, filters)]

        paged: list[Entry] = []
        page = journal.query(limit=limit, **filters)
        while True:
            paged.extend(page.items)
            if page.next is None:
                break
            page = journal.query(limit=limit, **{**filters, "after": page.next})

        assert paged == expected
        assert list(journal.iter(**filters)) == expected
        assert journal.count(**filters) == len(expected)
        assert journal.last(**filters) == (expected[-1] if expected else None)
        assert [e.virtual_time.utcoffset() for e in journal] == [e.virtual_time.utcoffset() for e in appended]


def test_a_batch_committed_before_a_signal_emptied_the_buffer_is_not_written_twice(tmp_path: Path) -> None:
    """A signal's exception can land after a batch's COMMIT and before the buffer is emptied (a run stopped by
    SIGTERM): closing then finds rows the file holds already, and must neither fail nor store them twice."""
    path = tmp_path / "run.sqlite"
    journal = Journal(path)
    for minute in range(5):
        journal.add("event", T0 + timedelta(minutes=minute), partner="bank", operation="dayEnd", data={"n": minute})
    simulator.journal._journal._insert(journal._conn, journal._pending)  # committed; the buffer still holds them

    journal.close()

    with Journal(path) as kept:
        assert [entry.data["n"] for entry in kept] == [0, 1, 2, 3, 4]


def test_two_journals_appending_to_one_file_is_still_an_error_that_names_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "run.sqlite"
    first, second = Journal(path), Journal(path)
    first.add("event", T0, partner="bank", operation="dayEnd", data={"by": "first"})
    first.close()
    second.add("event", T0, partner="bank", operation="dayEnd", data={"by": "second"})

    with pytest.raises(JournalError, match="another Journal or process appended to the same file"):
        second.close()
