"""Safe YAML: repeated keys are noted with both positions, aliases that loop or expand past a bound are refused with
a position, and only a regular file of bounded size is read."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from simulator._yaml import DuplicateKey, YamlError, json_for_yaml, load_yaml, read_text, top_level_keys


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


def test_a_long_string_repeated_by_aliases_is_refused_by_the_characters_it_expands_to() -> None:
    text = f'name: bomb\nlong: &a "{"x" * 230_000}"\ncovers: [{", ".join(["*a"] * 57_000)}]\n'  # 460 KB, 13 GB out

    with pytest.raises(YamlError, match=r"expands to more than 33,554,432 characters") as caught:
        load_yaml(text)

    assert (caught.value.line, caught.value.column) == (3, 9)
    assert "write the values out" in caught.value.reason


def test_keys_count_towards_the_characters_too() -> None:
    text = f"name: bomb\nk: &a {{{'y' * 1000}: 1}}\nall: [{', '.join(['*a'] * 40_000)}]\n"  # YAML: keys < 1024

    with pytest.raises(YamlError, match=r"characters"):
        load_yaml(text)


def test_a_document_that_repeats_short_values_by_alias_loads() -> None:
    text = "base: &b {grace: 3 days, cutoff: '23:59:59'}\n" + "".join(f"bank{i}: *b\n" for i in range(1000))

    assert load_yaml(text).data["bank999"] == {"grace": "3 days", "cutoff": "23:59:59"}


def test_only_a_regular_file_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "scenario.yaml"
    os.mkfifo(fifo)

    with pytest.raises(OSError, match=r"it is a FIFO \(named pipe\), not a regular file; give the path of a YAML"):
        read_text(fifo)  # without blocking: nothing ever writes to it
    with pytest.raises(OSError, match=r"it is a character device, not a regular file"):
        read_text("/dev/zero")
    with pytest.raises(OSError, match=r"it is a folder, not a regular file"):
        read_text(tmp_path)


def test_a_file_over_the_bound_is_refused_with_its_size(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("x" * 1001)

    with pytest.raises(OSError, match=r"the file is 1,001 bytes, over the 1,000 a document may have"):
        read_text(big, limit=1000)
    assert read_text(big, limit=1001) == "x" * 1001


@pytest.mark.parametrize(
    "text",
    ['{"a": "Hello! \\ud83d\\udc4d"}', '{"a": "x\\\\ud83d\\\\udc4d"}', '{"a": "\\\\\\ud83d\\udc4d \\u00e9"}'],
    ids=["a surrogate pair", "an escaped backslash before u", "a pair after an escaped backslash"],
)
def test_json_text_reads_as_yaml_the_way_json_reads_it(text: str) -> None:
    assert load_yaml(json_for_yaml(text)).data == json.loads(text)


def test_the_top_level_keys_are_read_without_building_the_document() -> None:
    assert list(top_level_keys("name: x\nfaults:\n  - {openapi: 3}\nopenapi: 3.1.0\n")) == ["name", "faults", "openapi"]
    assert list(top_level_keys("- openapi\n")) == []
    assert list(top_level_keys("openapi: [\n")) == ["openapi"]  # as far as it parses
