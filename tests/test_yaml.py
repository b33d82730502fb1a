"""Safe YAML: repeated keys are noted with both positions, aliases that loop are refused with a position."""

from __future__ import annotations

import pytest

from simulator._yaml import DuplicateKey, YamlError, load_yaml


def test_a_repeated_key_is_noted_with_both_lines_and_the_last_value_kept_as_yaml_does() -> None:
    document = load_yaml("name: x\nbank:\n  grace: 3 days\n  cutoff: '23:59:59'\n  grace: 0 days\n")

    assert document.duplicates == (DuplicateKey(("bank", "grace"), "grace", (3, 3), (5, 3)),)
    assert str(document.duplicates[0]).startswith("the key 'grace' is given twice, on line 3 and again on line 5")
    assert document.data["bank"]["grace"] == "0 days"


def test_a_key_repeated_on_one_line_names_the_columns() -> None:
    document = load_yaml("faults: [{at: x, at: y}]\n")

    assert [d.path for d in document.duplicates] == [("faults", 0, "at")]
    assert "on line 1, at columns 11 and 18" in str(document.duplicates[0])


def test_a_merge_key_overridden_is_not_a_repeated_key() -> None:
    document = load_yaml("base: &b {grace: 3 days}\nbank: {<<: *b, grace: 1 day}\n")

    assert document.duplicates == ()
    assert document.data["bank"] == {"grace": "1 day"}


def test_a_shared_alias_that_does_not_loop_loads() -> None:
    document = load_yaml("a: &x [1, 2]\nb: *x\nc: {d: *x}\n")

    assert document.data == {"a": [1, 2], "b": [1, 2], "c": {"d": [1, 2]}}


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("name: &a [*a]\n", 1, 11),
        ("name: x\nbank: &s\n  grace: 3 days\n  also: *s\n", 4, 9),
        ("top:\n  - &outer\n    - [1, *outer]\n", 3, 11),
    ],
    ids=["list", "mapping", "nested"],
)
def test_an_alias_inside_the_value_it_names_is_refused_at_the_alias(text: str, line: int, column: int) -> None:
    with pytest.raises(YamlError, match=r"refers to the value that contains it") as caught:
        load_yaml(text)

    assert (caught.value.line, caught.value.column) == (line, column)
