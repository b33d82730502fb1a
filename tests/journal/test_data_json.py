"""``Journal.append(data_json=...)``: a caller that has the JSON text of ``data`` already hands it over."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

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
