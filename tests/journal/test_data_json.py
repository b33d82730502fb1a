"""``Journal.append(data_json=...)``: a caller that has the JSON text of ``data`` already hands it over."""

from __future__ import annotations

import json
import math
from datetime import datetime
from enum import IntEnum
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.journal import Journal, encode_data

NOW = datetime(2019, 5, 10, 20, 15, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_the_given_text_is_stored_and_read_back_as_the_data() -> None:
    data = {"body": {"repayOuterNo": "RP-1", "amount": "1.00", "lines": [1, 2]}, "delay": 2.0}

    with Journal() as journal:
        entry = journal.append("response", NOW, status=200, data=data, data_json=encode_data(data))
        stored = journal.last()

    assert entry.data is data
    assert stored is not None and stored.data == data


def test_empty_data_stays_empty_whatever_the_text() -> None:
    with Journal() as journal:
        journal.append("event", NOW, data={}, data_json="{}")
        stored = journal.last()

    assert stored is not None and stored.data == {}


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@given(_JSON)
def test_encode_data_writes_what_json_dumps_writes(value: object) -> None:
    assert encode_data(value) == json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


class _Level(IntEnum):
    LOW = 1


class StrSubclass(str):
    __slots__ = ()


def _nested(depth: int) -> object:
    value: object = "leaf"
    for _ in range(depth):
        value = {"next": [value]}
    return value


@pytest.mark.parametrize(
    "value",
    [
        {"big": 2**64, "small": -(2**63) - 1, "max": 2**64 - 1},  # orjson refuses past 64 bits: json writes them
        {"controls": "".join(map(chr, range(0x20))) + '"\\\x7f\u2028'},
        {1: "a", None: "b", False: "c", 2.5: "d"},  # non-str keys: json converts them
        ("a", ["b", ("c",)], {"d": ()}),
        {"level": _Level.LOW, "name": StrSubclass("x"), "float": 1e16, "tiny": 1e-7},
        _nested(300),  # deeper than orjson writes
        {"plain": {"text": "还款", "n": -7, "yes": True, "no": None, "list": [1, "2", [3]]}},
    ],
)
def test_encode_data_writes_what_json_dumps_writes_on_the_edges(value: object) -> None:
    assert encode_data(value) == json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"lone": "\ud800"}, '{"lone":"\\ud800"}'),
        ({"name": "x\udc00", "rate": 0.5}, '{"name":"x\\udc00","rate":0.5}'),
        ({"k\udfff": ["中文"]}, '{"k\\udfff":["中文"]}'),
    ],
)
def test_a_lone_surrogate_is_written_as_its_json_escape_so_the_text_is_utf8_and_reads_back_the_same(
    value: object, expected: str
) -> None:
    text = encode_data(value)

    assert text == expected
    text.encode()  # UTF-8 can carry it: SQLite and the wire take it
    assert json.loads(text) == value


@pytest.mark.parametrize("value", [math.nan, {"rate": math.inf}, {(1,): 2}, {"at": object()}])
def test_encode_data_refuses_what_json_dumps_refuses(value: object) -> None:
    with pytest.raises((TypeError, ValueError)) as ours:
        encode_data(value)
    with pytest.raises((TypeError, ValueError)) as theirs:
        json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))

    assert (type(ours.value), str(ours.value)) == (type(theirs.value), str(theirs.value))


_STORED = st.dictionaries(
    st.text(max_size=8),
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**70), max_value=2**70)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
        max_leaves=20,
    ),
    max_size=4,
)


@given(_STORED)
def test_stored_data_reads_back_as_json_loads_reads_its_text(data: dict[str, object]) -> None:
    with Journal() as journal:
        journal.append("event", NOW, data=data)
        stored = journal.last()

    assert stored is not None
    assert repr(stored.data) == repr(json.loads(encode_data(data)))  # repr: 1 and 1.0, int and float, told apart
