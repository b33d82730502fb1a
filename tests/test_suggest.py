"""The one "did you mean" phrase: the closest names, said one way; the options when nothing is close."""

from __future__ import annotations

import pytest

from simulator._suggest import closest, did_you_mean, one_of, suggest, suggestion


def test_a_close_name_is_suggested_in_the_one_format() -> None:
    assert did_you_mean("timout", ["timeout", "drop", "outage"]) == "did you mean 'timeout'?"


def test_nothing_close_says_nothing() -> None:
    assert did_you_mean("zzz", ["timeout", "drop"]) == ""


@pytest.mark.parametrize(
    ("matches", "phrase"),
    [
        ([], ""),
        (["a"], "did you mean 'a'?"),
        (["a", "b"], "did you mean 'a' or 'b'?"),
        (["a", "b", "c"], "did you mean 'a', 'b' or 'c'?"),
    ],
)
def test_several_names_are_listed_with_or_before_the_last(matches: list[str], phrase: str) -> None:
    assert suggestion(matches) == phrase


def test_the_closest_come_first_and_no_more_than_asked() -> None:
    assert closest("repayApp", ["repayAppl", "repayApply", "loanApply"], n=2) == ["repayAppl", "repayApply"]


def test_the_same_name_in_another_case_is_the_only_answer_when_case_is_ignored() -> None:
    zones = ["Asia/Shanghai", "Asia/Shanghai2", "asia/shanghai-old"]

    assert closest("ASIA/SHANGHAI", zones, n=3, ignore_case=True) == ["Asia/Shanghai"]
    assert closest("asia/shangai", zones, n=1, ignore_case=True) == ["Asia/Shanghai"]
    assert closest("ASIA/SHANGHAI", zones, n=3) == []


def test_without_a_close_name_the_options_are_listed() -> None:
    assert suggest("x", ["alpha", "beta"]) == "use one of 'alpha', 'beta'"
    assert suggest("alpah", ["alpha", "beta"]) == "did you mean 'alpha'?"


def test_a_long_option_list_is_cut_with_an_ellipsis_unless_asked_for_whole() -> None:
    names = [f"op{i:02d}" for i in range(15)]

    assert one_of(names, limit=3) == "use one of 'op00', 'op01', 'op02', …"
    assert one_of(names, limit=None).endswith("'op13', 'op14'")
    assert one_of(names[:3], limit=3) == "use one of 'op00', 'op01', 'op02'"


def test_the_value_may_be_any_object() -> None:
    assert did_you_mean(2000, ["200", "404"]) == "did you mean '200'?"
