"""bench/journals' comparison of two journals entry by entry, from made-up entries: never a run, never a timing."""

from __future__ import annotations

import json
from typing import Any

from bench.journals import differences


def line(seq: int, **fields: Any) -> str:
    return json.dumps({"seq": seq, "kind": "event", "data": {}, **fields}, sort_keys=True)


def test_identical_journals_have_no_difference() -> None:
    journal = [line(1), line(2, operation="repayApply")]

    assert list(differences(iter(journal), iter(list(journal)))) == []


def test_a_changed_field_is_named_with_its_seq_and_both_values() -> None:
    before = [line(1), line(2, data={"overdueDays": 3})]
    after = [line(1), line(2, data={"overdueDays": 4})]

    assert list(differences(iter(before), iter(after))) == ["seq 2: data: {'overdueDays': 3} → {'overdueDays': 4}"]


def test_an_entry_only_one_side_has_is_a_difference() -> None:
    found = list(differences(iter([line(1)]), iter([line(1), line(2)])))

    assert len(found) == 1
    assert found[0].startswith("entry 2: none before")
