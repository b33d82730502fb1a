"""Properties of the loading rules over random sequences of files drawn from a small world (2 people,
3 accounts, 4 months), so that duplicates, corrections, deletions and back-dated records collide often."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.core import Engine
from simulator.partners.bureau import BureauModel
from simulator.partners.bureau._records import identifier
from tests.partners.bureau.builders import (
    ID_NUM,
    OTHER_ID_NUM,
    account,
    correction,
    load,
    report,
    segment_deletion,
    whole_deletion,
)

ACCOUNTS = ("LN1", "LN2", "LN3")
MONTHS = ("2019-03", "2019-04", "2019-05", "2019-06")
MONTH_ENDS = {"2019-03": "2019-03-31", "2019-04": "2019-04-30", "2019-05": "2019-05-31", "2019-06": "2019-06-30"}
STATUSES = ("N", "1", "2", "C")
SETTINGS = settings(
    max_examples=100, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)

accounts_210 = st.builds(
    lambda acct, month, later, rpy, other: account(
        acct,
        month,
        MONTH_ENDS[MONTHS[min(MONTHS.index(month) + later, len(MONTHS) - 1)]],
        rpy,
        id_num=OTHER_ID_NUM if other else ID_NUM,
    ),
    st.sampled_from(ACCOUNTS),
    st.sampled_from(MONTHS),
    st.integers(0, 1),
    st.sampled_from(STATUSES),
    st.sampled_from([False, False, False, True]),  # now and then the account is someone else's
)
corrections = st.builds(correction, st.sampled_from(ACCOUNTS), st.sampled_from(MONTHS), st.sampled_from(STATUSES))
segment_deletions = st.builds(
    lambda acct, a, b: segment_deletion(acct, min(a, b), max(a, b)),
    st.sampled_from(ACCOUNTS),
    st.sampled_from(MONTHS),
    st.sampled_from(MONTHS),
)
whole_deletions = st.builds(whole_deletion, st.sampled_from(ACCOUNTS))
records = st.one_of(accounts_210, accounts_210, corrections, corrections, segment_deletions, whole_deletions)
files = st.lists(st.lists(records, min_size=1, max_size=5), min_size=1, max_size=6)


@dataclass
class Month:
    rpy: str
    rpt_date: date


@dataclass
class Reference:
    """The obvious model: apply the records the bureau accepted, in order."""

    subject: dict[str, str] = field(default_factory=dict)
    months: dict[str, dict[str, Month]] = field(default_factory=dict)  # live accounts only
    history: Counter[str] = field(default_factory=Counter)

    def latest(self, acct: str) -> date | None:
        return max((m.rpt_date for m in self.months.get(acct, {}).values()), default=None)

    def apply(self, record: dict[str, Any]) -> None:
        kind, acct = record["InfRecType"], record["AcctCode"]
        if kind == "210":
            if acct not in self.months and self.subject.get(acct) != record["IDNum"]:
                self.history[acct] = 0  # reported for someone else: nothing of the old account shows
            self.subject[acct] = record["IDNum"]
            segment = record["AcctMthlyBlgInfSgmt"]
            rpt = date.fromisoformat(record["RptDate"])
            self.months.setdefault(acct, {})[segment["Month"]] = Month(segment["RpyStatus"], rpt)
            self.history[acct] += 1
        elif kind == "212":
            month = self.months[acct][record["Month"]]
            month.rpy = record["AcctMthlyBlgInfSgmt"]["RpyStatus"]
            self.history[acct] += 1
        elif kind == "213":
            gone = [m for m in self.months[acct] if record["StartMonth"] <= m <= record["EndMonth"]]
            for m in gone:
                del self.months[acct][m]
            self.history[acct] += len(gone)
        else:
            del self.months[acct]
            self.history[acct] += 1

    def view(self, id_num: str) -> dict[str, dict[str, str]]:
        return {
            acct: {m: state.rpy for m, state in sorted(months.items())}
            for acct, months in self.months.items()
            if self.subject[acct] == id_num
        }


def bureau_view(engine: Engine, id_num: str) -> dict[str, dict[str, str]]:
    return {
        a["AcctCode"]: {m["Month"]: m["RpyStatus"] for m in a["months"]} for a in report(engine, id_num)["accounts"]
    }


def run(files: list[list[dict[str, Any]]]) -> tuple[Engine, list[list[str]]]:
    engine = Engine(seed=7, strict=True)
    engine.install(BureauModel(engine))
    return engine, [load(engine, *records) for records in files]


@SETTINGS
@given(files)
def test_records_sharing_an_identifier_in_a_file_are_all_rejected_and_no_other_record_is(
    files: list[list[dict[str, Any]]],
) -> None:
    _, outcomes = run(files)

    for records, codes in zip(files, outcomes, strict=True):
        counts = Counter(identifier(r) for r in records)
        for record, code in zip(records, codes, strict=True):
            assert (code == "ABR002") == (counts[identifier(record)] > 1)


@SETTINGS
@given(files)
def test_the_view_equals_applying_the_accepted_records_in_order(files: list[list[dict[str, Any]]]) -> None:
    engine, outcomes = run(files)

    reference = Reference()
    for records, codes in zip(files, outcomes, strict=True):
        for record, code in zip(records, codes, strict=True):
            if code == "0000":
                reference.apply(record)

    for id_num in (ID_NUM, OTHER_ID_NUM):
        assert bureau_view(engine, id_num) == reference.view(id_num)
        for entry in report(engine, id_num)["accounts"]:
            assert len(entry["history"]) == reference.history[entry["AcctCode"]]


@SETTINGS
@given(files)
def test_what_is_loaded_and_what_is_rejected_follows_the_state_before_each_record(
    files: list[list[dict[str, Any]]],
) -> None:
    _, outcomes = run(files)

    reference = Reference()
    for records, codes in zip(files, outcomes, strict=True):
        for record, code in zip(records, codes, strict=True):
            kind, acct = record["InfRecType"], record["AcctCode"]
            live = reference.months.get(acct)
            if kind == "210" and code in ("0000", "BBR002") and live:
                latest = reference.latest(acct)
                assert (code == "BBR002") == (latest is not None and date.fromisoformat(record["RptDate"]) < latest)
            if kind == "212" and code == "0000":
                assert live is not None and record["Month"] in live
            if code == "ABR005":
                assert not live or (kind == "212" and record["Month"] not in live) or kind == "213"
            if code == "0000":
                reference.apply(record)


@SETTINGS
@given(files)
def test_a_210_is_never_loaded_twice_unless_its_month_was_deleted_in_between(
    files: list[list[dict[str, Any]]],
) -> None:
    _, outcomes = run(files)

    in_effect: dict[str, tuple[str, str]] = {}  # 210s loaded since their month was last deleted → (acct, month)
    for records, codes in zip(files, outcomes, strict=True):
        for record, code in zip(records, codes, strict=True):
            if code != "0000":
                continue
            kind, acct = record["InfRecType"], record["AcctCode"]
            if kind == "210":
                key = json.dumps(record, sort_keys=True)
                assert key not in in_effect
                in_effect[key] = (acct, record["AcctMthlyBlgInfSgmt"]["Month"])
            elif kind == "214":
                in_effect = {k: v for k, v in in_effect.items() if v[0] != acct}
            elif kind == "213":
                start, end = record["StartMonth"], record["EndMonth"]
                in_effect = {k: v for k, v in in_effect.items() if not (v[0] == acct and start <= v[1] <= end)}
