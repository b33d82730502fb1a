"""The response synthesizer: every value it makes validates against its schema, deterministically."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from simulator.domain import is_mobile
from simulator.openapi._synth import MAX_DEPTH, SynthesisError, Synthesizer

ROOT = Path(__file__).resolve().parents[2]
SYNTH = Synthesizer(0)  # Faker takes ~0.3 s to start: one instance, reseeded per test
AS_OF = date(2019, 5, 1)


@pytest.fixture
def synth() -> Synthesizer:
    SYNTH.reseed(0)
    return SYNTH


def errors_of(schema: Any, value: Any) -> list[str]:
    validator = jsonschema_rs.validator_for(schema, validate_formats=True)
    return [f"{list(e.instance_path)}: {e.message}" for e in validator.iter_errors(value)]


def assert_valid(schema: Any, value: Any) -> None:
    assert errors_of(schema, value) == [], json.dumps(value, ensure_ascii=False, default=str)


def many(synth: Synthesizer, schema: Mapping[str, Any], n: int = 50, *, name: str | None = None) -> list[Any]:
    values = []
    for seed in range(n):
        synth.reseed(seed)
        values.append(synth.value(schema, name=name))
    return values


def gb11643_valid(s: str) -> bool:
    if not re.fullmatch(r"[0-9]{17}[0-9X]", s):
        return False
    total = sum(int(c) * (2 ** (17 - i) % 11) for i, c in enumerate(s[:17]))
    check = (12 - total % 11) % 11
    return s[17] == ("X" if check == 10 else str(check))


def luhn_valid(s: str) -> bool:
    digits = [int(c) for c in reversed(s)]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
    return total % 10 == 0


# --------------------------------------------------------------------------------------------
# Random schemas built from the supported keywords: whatever comes out validates.

PROPERTY_NAMES = [
    "x", "custName", "certNo", "IDNum", "mobile", "phoneNo", "bankCardNo", "address", "companyName",
    "email", "remark", "loanDate", "createTime", "orderNo", "principal", "city", "birthday", "ip",
    "website", "status", "count", "items",
]  # fmt: skip
PATTERNS: list[tuple[str, int | None, int | None]] = [
    ("^[A-Z]{2}[0-9]{6}$", 8, 8),
    ("^1[3-9][0-9]{9}$", None, None),
    ("^[a-z]+$", 1, 12),
    ("[0-9]{3}", 3, None),
    ("^(foo|bar)-[0-9]{1,4}$", None, None),
    ("^[^,;]{2,5}$", None, None),
    (r"^\d{4}-\d{2}$", None, None),
    (r"^\w+@\w+\.cn$", None, 30),
    ("^[\u4e00-\u9fa5]{2,4}$", None, None),
    (r"^(0|[1-9][0-9]{0,11})\.[0-9]{2}$", None, 15),
    ("^[0-9]{17}[0-9X]$", 18, 18),
    (r"^\W\S.$", None, None),
    ("^[A-Za-z0-9_-]{1,64}$", 1, 64),
]
FORMATS = ["date", "date-time", "time", "email", "uri", "uuid", "ipv4", "ipv6", "hostname", "byte",
           "duration", "json-pointer", "no-such-format"]  # fmt: skip


@st.composite
def integer_schemas(draw: st.DrawFn) -> dict[str, Any]:
    step = draw(st.sampled_from([None, 1, 2, 5, 7, 100]))
    lo = draw(st.integers(-(10**6), 10**6))
    hi = lo + draw(st.integers((step or 1) * 2 + 2, 10**6))
    schema: dict[str, Any] = {"type": "integer"}
    if step is not None:
        schema["multipleOf"] = step
    if draw(st.booleans()):
        schema[draw(st.sampled_from(["minimum", "exclusiveMinimum"]))] = lo + draw(st.sampled_from([0, 0.5]))
    if draw(st.booleans()):
        schema[draw(st.sampled_from(["maximum", "exclusiveMaximum"]))] = hi
    if draw(st.booleans()):
        schema["format"] = draw(st.sampled_from(["int32", "int64"]))
    return schema


@st.composite
def number_schemas(draw: st.DrawFn) -> dict[str, Any]:
    step = draw(st.sampled_from([None, 0.01, 0.5, 0.25, 0.1, 1, 2.5, 0.001, 0.0001]))
    lo = draw(st.integers(-(10**6), 10**6)) / 100
    hi = round(lo + draw(st.integers(2, 10**6)) * (step or 0.01) + 1, 2)
    schema: dict[str, Any] = {"type": "number"}
    if step is not None:
        schema["multipleOf"] = step
    if draw(st.booleans()):
        schema[draw(st.sampled_from(["minimum", "exclusiveMinimum"]))] = lo
    if draw(st.booleans()):
        schema[draw(st.sampled_from(["maximum", "exclusiveMaximum"]))] = hi
    return schema


@st.composite
def string_schemas(draw: st.DrawFn) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    how = draw(st.sampled_from(["plain", "format", "pattern"]))
    if how == "plain":
        lo = draw(st.integers(0, 20))
        if draw(st.booleans()):
            schema["minLength"] = lo
        if draw(st.booleans()):
            schema["maxLength"] = lo + draw(st.integers(0, 30))
    elif how == "format":
        schema["format"] = draw(st.sampled_from(FORMATS))
    else:
        pattern, lo_, hi_ = draw(st.sampled_from(PATTERNS))
        schema["pattern"] = pattern
        if lo_ is not None and draw(st.booleans()):
            schema["minLength"] = lo_
        if hi_ is not None and draw(st.booleans()):
            schema["maxLength"] = hi_
    return schema


JSON_SCALARS = st.one_of(st.integers(-1000, 1000), st.text(max_size=6), st.booleans(), st.none(), st.floats(-1e6, 1e6))


@st.composite
def scalar_schemas(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["int", "num", "str", "bool", "null", "enum", "const", "examples", "nullable"]))
    if kind == "int":
        return draw(integer_schemas())
    if kind == "num":
        return draw(number_schemas())
    if kind == "str":
        return draw(string_schemas())
    if kind == "bool":
        return {"type": "boolean"}
    if kind == "null":
        return {"type": "null"}
    if kind == "enum":
        return {"enum": draw(st.lists(JSON_SCALARS, min_size=1, max_size=5, unique_by=repr))}
    if kind == "const":
        return {"const": draw(JSON_SCALARS)}
    if kind == "examples":
        return {"type": "integer", "examples": draw(st.lists(st.integers(), min_size=1, max_size=3))}
    inner = draw(st.one_of(integer_schemas(), string_schemas(), number_schemas()))
    return {**inner, "type": [inner["type"], "null"]}


@st.composite
def object_schemas(draw: st.DrawFn, sub: st.SearchStrategy[Any], names: list[str] = PROPERTY_NAMES) -> Any:
    keys = draw(st.lists(st.sampled_from(names), max_size=5, unique=True))
    schema: dict[str, Any] = {"type": "object", "properties": {k: draw(sub) for k in keys}}
    required = draw(st.lists(st.sampled_from(keys), unique=True)) if keys else []
    if required:
        schema["required"] = required
    if draw(st.booleans()):
        schema["additionalProperties"] = False
    elif not keys and draw(st.booleans()):
        schema["additionalProperties"] = draw(sub)  # a map
    if draw(st.booleans()):
        closed = schema.get("additionalProperties") is False
        schema["minProperties"] = draw(st.integers(0, len(keys) + (0 if keys or closed else 1)))
    if draw(st.booleans()):
        floor = max(len(required), schema.get("minProperties", 0))
        schema["maxProperties"] = floor + draw(st.integers(0, 3))
    return schema


@st.composite
def array_schemas(draw: st.DrawFn, sub: st.SearchStrategy[Any]) -> dict[str, Any]:
    unique = draw(st.booleans())
    items = (
        draw(st.sampled_from([{"type": "integer"}, {"type": "string", "format": "uuid"}, {"type": "number"}]))
        if unique
        else draw(sub)
    )
    schema: dict[str, Any] = {"type": "array", "items": items}
    lo = draw(st.integers(0, 3))
    if lo:
        schema["minItems"] = lo
    if draw(st.booleans()):
        schema["maxItems"] = lo + draw(st.integers(0, 4))
    if unique:
        schema["uniqueItems"] = True
    return schema


@st.composite
def combinator_schemas(draw: st.DrawFn, sub: st.SearchStrategy[Any]) -> dict[str, Any]:
    kind = draw(st.sampled_from(["allOf", "oneOf-tagged", "oneOf-typed", "anyOf"]))
    if kind == "allOf":
        half = len(PROPERTY_NAMES) // 2
        open_objects = [
            draw(object_schemas(sub, names=PROPERTY_NAMES[:half])),
            draw(object_schemas(sub, names=PROPERTY_NAMES[half:])),
        ]
        for part in open_objects:
            part.pop("additionalProperties", None)
            part.pop("maxProperties", None)
        return {"allOf": open_objects}
    if kind == "oneOf-tagged":
        branches = []
        for i in range(draw(st.integers(2, 3))):
            branch = draw(object_schemas(sub))
            branch["properties"]["kind"] = {"type": "string", "const": f"k{i}"}
            branch.pop("maxProperties", None)
            branches.append(branch)
        return {"oneOf": branches, "discriminator": {"propertyName": "kind"}}
    if kind == "oneOf-typed":
        typed = [draw(string_schemas()), {"type": "boolean"}, {"type": "null"}, {"type": "array"}]
        return {"oneOf": draw(st.lists(st.sampled_from(typed), min_size=1, max_size=4, unique_by=repr))}
    return {"anyOf": draw(st.lists(sub, min_size=1, max_size=3))}


def schemas(depth: int = 2) -> st.SearchStrategy[Any]:
    if depth == 0:
        return scalar_schemas()
    sub = schemas(depth - 1)
    return st.one_of(scalar_schemas(), object_schemas(sub), array_schemas(sub), combinator_schemas(sub))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(schema=schemas(), seed=st.integers(0, 2**32), name=st.sampled_from([None, *PROPERTY_NAMES]))
def test_any_schema_built_from_the_supported_keywords_gets_a_valid_value(schema: Any, seed: int, name: str) -> None:
    SYNTH.reseed(seed)

    value = SYNTH.value(schema, name=name)

    assert_valid(schema, value)


def _deref(node: Any, doc: Mapping[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = doc
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            rest = {k: v for k, v in node.items() if k != "$ref"}
            resolved = _deref(target, doc)
            return {**resolved, **rest} if rest else resolved
        return {k: _deref(v, doc) for k, v in node.items()}
    if isinstance(node, list):
        return [_deref(v, doc) for v in node]
    return node


def _without_examples(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_examples(v) for k, v in node.items() if k not in ("examples", "example", "default")}
    if isinstance(node, list):
        return [_without_examples(v) for v in node]
    return node


def test_every_schema_of_the_bank_contract_synthesizes_valid_values_without_its_examples(
    synth: Synthesizer,
) -> None:
    doc = yaml.safe_load((ROOT / "contracts" / "bank.yaml").read_text(encoding="utf-8"))
    schemas_ = {name: _without_examples(_deref(s, doc)) for name, s in doc["components"]["schemas"].items()}

    bad = {
        name: (value, errors)
        for name, schema in schemas_.items()
        for value in many(synth, schema, 20, name=name)
        if (errors := errors_of(schema, value))
    }

    assert bad == {}


# --------------------------------------------------------------------------------------------
# const, examples, enum, types


def test_const_wins_over_everything_else(synth: Synthesizer) -> None:
    schema = {"type": "integer", "const": 7, "examples": [1, 2], "enum": [7, 8]}

    assert set(map(json.dumps, many(synth, schema, 10))) == {"7"}


def test_examples_example_and_default_are_used_before_the_type_rules(synth: Synthesizer) -> None:
    schema = {"type": "string", "examples": ["a", "b"], "example": "c", "default": "d", "pattern": "^z$"}

    values = set(many(synth, schema, 60))

    assert values == {"a", "b", "c", "d"}


def test_an_object_example_is_copied_so_callers_may_mutate_the_value(synth: Synthesizer) -> None:
    example = {"lines": [{"n": 1}]}
    schema = {"type": "object", "example": example}

    first = synth.value(schema)
    first["lines"].append({"n": 2})

    assert synth.value(schema) == {"lines": [{"n": 1}]}
    assert example == {"lines": [{"n": 1}]}


def test_enum_is_a_seeded_choice_covering_its_values(synth: Synthesizer) -> None:
    schema = {"type": "string", "enum": ["PROCESSING", "SUCCESS", "FAIL"]}

    assert set(many(synth, schema, 60)) == {"PROCESSING", "SUCCESS", "FAIL"}


def test_a_type_list_prefers_the_non_null_type(synth: Synthesizer) -> None:
    schema = {"type": ["null", "string"], "format": "date"}

    values = many(synth, schema, 30)

    assert all(isinstance(v, str) for v in values)
    for v in values:
        assert_valid(schema, v)


def test_booleans_take_both_values_and_null_is_none(synth: Synthesizer) -> None:
    assert set(many(synth, {"type": "boolean"}, 40)) == {True, False}
    assert synth.value({"type": "null"}) is None


def test_a_schema_without_a_type_infers_it_from_its_keywords(synth: Synthesizer) -> None:
    assert isinstance(synth.value({"properties": {"a": {"type": "integer"}}, "required": ["a"]}), dict)
    assert isinstance(synth.value({"items": {"type": "integer"}}), list)
    assert isinstance(synth.value({"maxLength": 3}), str)
    assert isinstance(synth.value({"minimum": 3}), int | float)
    assert isinstance(synth.value({}), str)


# --------------------------------------------------------------------------------------------
# objects and arrays


def test_required_properties_are_always_there_and_optional_ones_about_half_the_time(
    synth: Synthesizer,
) -> None:
    schema = {
        "type": "object",
        "required": ["id"],
        "properties": {"id": {"type": "integer"}, "note": {"type": "string"}},
    }

    values = many(synth, schema, 400)

    assert all("id" in v for v in values)
    assert 0.4 < sum("note" in v for v in values) / len(values) < 0.6


def test_additional_properties_false_never_gets_an_extra_key(synth: Synthesizer) -> None:
    schema = {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 2,
        "properties": {"a": {"type": "integer"}, "b": {"type": "string"}, "c": {"type": "boolean"}},
    }

    values = many(synth, schema, 100)

    assert all(set(v) <= {"a", "b", "c"} and len(v) >= 2 for v in values)


def test_min_properties_is_reached_with_extra_keys_when_they_are_allowed(synth: Synthesizer) -> None:
    schema = {"type": "object", "minProperties": 3, "properties": {"a": {"type": "integer"}}}

    for value in many(synth, schema, 30):
        assert len(value) >= 3
        assert_valid(schema, value)


def test_a_map_gets_entries_from_additional_properties_or_pattern_properties(synth: Synthesizer) -> None:
    dictionary = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
    by_pattern = {
        "type": "object",
        "additionalProperties": False,
        "patternProperties": {"^x-[a-z]{2,5}$": {"type": "string", "format": "date"}},
    }

    for schema in (dictionary, by_pattern):
        values = many(synth, schema, 30)
        assert all(1 <= len(v) <= 3 for v in values)
        for v in values:
            assert_valid(schema, v)


def test_max_properties_and_dependent_required_hold(synth: Synthesizer) -> None:
    schema = {
        "type": "object",
        "maxProperties": 2,
        "properties": {k: {"type": "integer"} for k in "abcde"},
        "dependentRequired": {"a": ["b"]},
    }

    values = many(synth, schema, 100)

    assert any("a" in v for v in values)
    for value in values:
        assert_valid(schema, value)


def test_write_only_properties_are_left_out_of_responses_unless_required(synth: Synthesizer) -> None:
    schema = {
        "type": "object",
        "required": ["pin"],
        "properties": {
            "password": {"type": "string", "writeOnly": True},
            "pin": {"type": "string", "writeOnly": True},
        },
    }

    values = many(synth, schema, 30)

    assert all(set(v) == {"pin"} for v in values)


def test_array_lengths_run_from_min_items_to_min_items_plus_three_within_max_items(
    synth: Synthesizer,
) -> None:
    open_ended = {"type": "array", "minItems": 2, "items": {"type": "integer"}}
    capped = {"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "integer"}}

    assert {len(v) for v in many(synth, open_ended, 100)} == {2, 3, 4, 5}
    assert {len(v) for v in many(synth, capped, 100)} == {1, 2}


def test_unique_items_are_unique_even_from_a_small_enum(synth: Synthesizer) -> None:
    schema = {
        "type": "array",
        "minItems": 3,
        "maxItems": 3,
        "uniqueItems": True,
        "items": {"enum": [1, 2, 3, 4]},
    }

    for value in many(synth, schema, 50):
        assert len(value) == 3
        assert len(set(value)) == 3


def test_unique_items_stop_short_rather_than_repeat_when_min_items_allows(synth: Synthesizer) -> None:
    schema = {"type": "array", "maxItems": 5, "uniqueItems": True, "items": {"type": "boolean"}}

    for value in many(synth, schema, 50):
        assert_valid(schema, value)


def test_prefix_items_and_contains_are_honoured(synth: Synthesizer) -> None:
    schema = {
        "type": "array",
        "prefixItems": [{"type": "string", "format": "date"}, {"type": "integer"}],
        "items": {"type": "integer", "minimum": 0},
        "contains": {"const": 42},
        "minContains": 2,
    }

    for value in many(synth, schema, 30):
        assert_valid(schema, value)


# --------------------------------------------------------------------------------------------
# strings


@pytest.mark.parametrize("fmt", ["date", "date-time", "time", "uri", "url", "email", "uuid", "ipv4", "ipv6",
                                 "hostname", "byte", "duration"])  # fmt: skip
def test_each_supported_format_validates_with_format_checking_on(synth: Synthesizer, fmt: str) -> None:
    schema = {"type": "string", "format": fmt}

    for value in many(synth, schema, 30):
        assert_valid(schema, value)


def test_dates_and_date_times_are_iso_around_as_of_with_a_plus_eight_offset() -> None:
    synth = Synthesizer(3, as_of=date(2024, 2, 29))

    dates = [date.fromisoformat(synth.value({"type": "string", "format": "date"})) for _ in range(50)]
    stamps = [synth.value({"type": "string", "format": "date-time"}) for _ in range(50)]

    assert all(abs((d - date(2024, 2, 29)).days) <= 366 for d in dates)
    for stamp in stamps:
        parsed = datetime.fromisoformat(stamp)
        assert stamp.endswith("+08:00")
        assert parsed.utcoffset() == timedelta(hours=8)
        assert abs((parsed.date() - date(2024, 2, 29)).days) <= 366


def test_a_pattern_is_followed_within_the_lengths(synth: Synthesizer) -> None:
    schema = {"type": "string", "pattern": "^[A-Z]{2}-[a-z0-9]+$", "minLength": 6, "maxLength": 9}

    for value in many(synth, schema, 60):
        assert re.fullmatch("[A-Z]{2}-[a-z0-9]+", value)
        assert 6 <= len(value) <= 9


def test_an_impossible_pattern_raises_a_clear_error(synth: Synthesizer) -> None:
    with pytest.raises(SynthesisError, match=r"pattern '\^\[0-9\]\{5\}\$'.*maxLength=3"):
        synth.value({"type": "string", "pattern": "^[0-9]{5}$", "maxLength": 3})
    with pytest.raises(SynthesisError, match="could not generate"):
        synth.value({"type": "string", "pattern": "^(?!a)a$"})


def test_a_pattern_in_ecma_only_syntax_raises_a_clear_error(synth: Synthesizer) -> None:
    with pytest.raises(SynthesisError, match="not supported"):
        synth.value({"type": "string", "pattern": r"^\p{L}+$"})


def test_a_person_name_is_two_to_four_han_characters(synth: Synthesizer) -> None:
    for value in many(synth, {"type": "string"}, 40, name="custName"):
        assert re.fullmatch("[\u4e00-\u9fff]{2,4}", value)


@pytest.mark.parametrize("name", ["mobile", "phone", "phoneNo", "contactMobile"])
def test_a_phone_is_an_eleven_digit_mainland_mobile(synth: Synthesizer, name: str) -> None:
    for value in many(synth, {"type": "string"}, 40, name=name):
        assert re.fullmatch(r"1[3-9][0-9]{9}", value)


def test_a_phone_is_from_an_allocated_segment_and_segments_beyond_faker_s_come_up(synth: Synthesizer) -> None:
    values = many(synth, {"type": "string"}, 300, name="mobile")

    assert all(is_mobile(value) for value in values)  # tests/domain pins the segments to lending-domain.md §3
    assert {value[:2] for value in values} >= {"16", "17", "19"}


def test_an_id_number_passes_stdnum_including_the_county_existing_in_the_birth_year(synth: Synthesizer) -> None:
    values = many(synth, {"type": "string"}, 300, name="certNo")

    assert [value for value in values if not ric.is_valid(value)] == []


@pytest.mark.parametrize("name", ["certNo", "IDNum", "idCardNo", "cert_no"])
def test_an_id_number_has_a_valid_gb11643_check_digit_and_an_adult_birth_date(synth: Synthesizer, name: str) -> None:
    schema = {"type": "string", "pattern": "^[0-9]{17}[0-9X]$", "minLength": 18, "maxLength": 18}

    for value in many(synth, schema, 60, name=name):
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
        assert gb11643_valid(value)
        assert 18 <= (AS_OF - birth).days / 365.25 <= 61


@pytest.mark.parametrize("name", ["bankCardNo", "cardNo", "acctNo"])
def test_a_bank_card_is_a_luhn_valid_62_number_of_16_to_19_digits(synth: Synthesizer, name: str) -> None:
    values = many(synth, {"type": "string"}, 100, name=name)

    assert all(re.fullmatch("62[0-9]{14,17}", v) and luhn_valid(v) for v in values)
    assert {len(v) for v in values} == {16, 17, 18, 19}


def test_addresses_companies_and_remarks_are_realistic_and_cut_to_max_length(synth: Synthesizer) -> None:
    for name in ("address", "companyName", "remark"):
        for value in many(synth, {"type": "string", "maxLength": 8}, 20, name=name):
            assert 1 <= len(value) <= 8
            assert re.search("[\u4e00-\u9fff]", value)


def test_a_name_based_value_that_breaks_the_pattern_gives_way_to_the_pattern(synth: Synthesizer) -> None:
    schema = {"type": "string", "pattern": "^M[0-9]{4}$"}

    for value in many(synth, schema, 20, name="mobile"):
        assert re.fullmatch("M[0-9]{4}", value)


def test_a_plain_string_respects_min_and_max_length(synth: Synthesizer) -> None:
    for lo, hi in [(0, 0), (5, 5), (12, 40), (1, 1)]:
        for value in many(synth, {"type": "string", "minLength": lo, "maxLength": hi}, 20):
            assert lo <= len(value) <= hi


# --------------------------------------------------------------------------------------------
# numbers


def test_integer_bounds_inclusive_exclusive_and_multiple_of(synth: Synthesizer) -> None:
    schema = {"type": "integer", "exclusiveMinimum": 10, "maximum": 30, "multipleOf": 5}

    values = set(many(synth, schema, 100))

    assert values == {15, 20, 25, 30}


def test_numbers_default_to_two_decimals_and_follow_a_fractional_multiple_of(synth: Synthesizer) -> None:
    money = {"type": "number", "minimum": 0, "maximum": 100}
    rate = {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 0.36, "multipleOf": 0.0001}

    assert all(round(v, 2) == v and 0 <= v <= 100 for v in many(synth, money, 50))
    for value in many(synth, rate, 50):
        assert 0 < value < 0.36
        assert round(value, 4) == value
        assert_valid(rate, value)


def test_a_number_range_narrower_than_a_cent_still_gets_a_value(synth: Synthesizer) -> None:
    schema = {"type": "number", "exclusiveMinimum": 0.001, "exclusiveMaximum": 0.002}

    for value in many(synth, schema, 20):
        assert 0.001 < value < 0.002


def test_an_empty_numeric_range_raises_a_clear_error(synth: Synthesizer) -> None:
    with pytest.raises(SynthesisError, match="no integer satisfies minimum=5, maximum=7, multipleOf=4"):
        synth.value({"type": "integer", "minimum": 5, "maximum": 7, "multipleOf": 4})


# --------------------------------------------------------------------------------------------
# combinators


def test_all_of_merges_properties_required_and_bounds(synth: Synthesizer) -> None:
    schema = {
        "allOf": [
            {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer", "minimum": 0}}},
            {
                "required": ["b"],
                "properties": {"a": {"maximum": 5}, "b": {"type": "string", "format": "uuid"}},
            },
        ]
    }

    values = many(synth, schema, 40)

    assert all({"a", "b"} <= set(v) and 0 <= v["a"] <= 5 for v in values)
    for v in values:
        assert_valid(schema, v)


def test_all_of_with_a_closed_subschema_drops_what_it_does_not_declare(synth: Synthesizer) -> None:
    schema = {
        "allOf": [
            {"type": "object", "additionalProperties": False, "properties": {"a": {"type": "integer"}}},
            {"properties": {"b": {"type": "string"}}},
        ]
    }
    impossible = {"allOf": [schema["allOf"][0], {"required": ["b"]}]}

    for value in many(synth, schema, 20):
        assert set(value) <= {"a"}
    with pytest.raises(SynthesisError, match="requires property 'b'"):
        synth.value(impossible)


def test_all_of_checks_every_pattern(synth: Synthesizer) -> None:
    schema = {"allOf": [{"type": "string", "pattern": "^[a-c]{4}$"}, {"pattern": "a"}]}

    for value in many(synth, schema, 20):
        assert_valid(schema, value)


def test_one_of_tags_the_value_so_that_it_matches_exactly_one_branch(synth: Synthesizer) -> None:
    def branch(status: str, extra: str) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["status"],
            "properties": {
                "status": {"type": "string", "enum": [status, "UNKNOWN"]},
                extra: {"type": "integer"},
            },
        }

    schema = {"oneOf": [branch("PASSED", "limit"), branch("REJECTED", "reasonCode")]}

    values = many(synth, schema, 60)

    assert {v["status"] for v in values} == {"PASSED", "REJECTED"}
    for v in values:
        assert_valid(schema, v)


def test_one_of_branches_told_apart_by_their_own_enums_get_an_exclusive_value(synth: Synthesizer) -> None:
    schema = {"oneOf": [{"enum": [1, 2]}, {"enum": [2, 3]}]}

    assert set(many(synth, schema, 40)) == {1, 3}


def test_one_of_and_any_of_merge_their_sibling_keywords(synth: Synthesizer) -> None:
    schema = {
        "type": "object",
        "required": ["id"],
        "properties": {"id": {"type": "string", "format": "uuid"}},
        "anyOf": [{"required": ["a"], "properties": {"a": {"type": "integer"}}}, {"required": ["b"]}],
    }

    for value in many(synth, schema, 30):
        assert "id" in value
        assert_valid(schema, value)


def test_not_is_ignored_as_documented(synth: Synthesizer) -> None:
    values = many(synth, {"type": "integer", "minimum": 1, "maximum": 3, "not": {"const": 2}}, 40)

    assert set(values) <= {1, 2, 3}


# --------------------------------------------------------------------------------------------
# Recursion


def _tree() -> tuple[dict[str, Any], dict[str, Any]]:
    """A recursive schema, dereferenced (a cyclic dict) and as $ref for the validator."""
    node: dict[str, Any] = {
        "type": "object",
        "required": ["name", "children"],
        "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "minItems": 1, "maxItems": 2},
        },
    }
    node["properties"]["children"]["items"] = node
    as_ref = {
        "$defs": {
            "node": {
                "type": "object",
                "required": ["name", "children"],
                "properties": {
                    "name": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/node"}, "maxItems": 2},
                },
            }
        },
        "$ref": "#/$defs/node",
    }
    return node, as_ref


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def test_recursion_is_capped_and_below_the_cap_the_value_is_minimal(synth: Synthesizer) -> None:
    node, as_ref = _tree()
    node["properties"]["children"]["minItems"] = 0

    value = synth.value(node)

    assert_valid(as_ref, value)
    assert _depth(value) <= MAX_DEPTH + 2


def test_a_nullable_recursive_link_ends_in_null_at_the_cap(synth: Synthesizer) -> None:
    linked: dict[str, Any] = {
        "type": ["object", "null"],
        "required": ["next", "n"],
        "properties": {"n": {"type": "integer"}},
    }
    linked["properties"]["next"] = linked

    value = synth.value(linked)

    hops = 0
    while value is not None:
        value, hops = value["next"], hops + 1
    assert hops == MAX_DEPTH


def test_recursion_that_can_never_end_raises_a_clear_error(synth: Synthesizer) -> None:
    node, _ = _tree()  # every node needs at least one child

    with pytest.raises(SynthesisError, match="nested more than"):
        synth.value(node)


# --------------------------------------------------------------------------------------------
# Determinism

RICH = {
    "type": "object",
    "required": ["custName", "certNo", "mobile", "amount", "at", "items"],
    "properties": {
        "custName": {"type": "string"},
        "certNo": {"type": "string"},
        "mobile": {"type": "string"},
        "amount": {"type": "number", "minimum": 0},
        "at": {"type": "string", "format": "date-time"},
        "items": {"type": "array", "items": {"type": "string", "pattern": "^[^a-z]\\W\\w{3}$"}},
        "note": {"type": "string"},
    },
}
FIXED = {
    "type": "object",
    "required": ["day", "at", "n", "kind", "code", "certNo", "mobile"],
    "properties": {
        "day": {"type": "string", "format": "date"},
        "at": {"type": "string", "format": "date-time"},
        "n": {"type": "integer", "minimum": 1, "maximum": 100},
        "kind": {"enum": ["A", "B", "C"]},
        "code": {"type": "string", "pattern": "^[A-Z]{3}[0-9]{4}$"},
        "certNo": {"type": "string"},
        "mobile": {"type": "string"},
    },
}


def test_the_same_seed_gives_the_same_sequence_of_values() -> None:
    a, b = Synthesizer(42), Synthesizer(42)

    assert [a.value(RICH) for _ in range(5)] == [b.value(RICH) for _ in range(5)]


def test_reseed_restarts_the_sequence(synth: Synthesizer) -> None:
    synth.reseed(9)
    first = [synth.value(RICH) for _ in range(3)]

    synth.reseed(9)

    assert [synth.value(RICH) for _ in range(3)] == first
    assert synth.seed == 9


def test_different_seeds_give_different_values(synth: Synthesizer) -> None:
    values = many(synth, RICH, 20)

    assert len({json.dumps(v, sort_keys=True) for v in values}) == 20


def test_a_fixed_seed_gives_a_fixed_value_whatever_the_day(synth: Synthesizer) -> None:
    synth.reseed(2019)

    value = synth.value(FIXED)

    assert value == {
        "day": "2019-01-20",
        "at": "2019-07-14T08:49:12+08:00",
        "n": 21,
        "kind": "A",
        "code": "UKY6936",
        "certNo": "15292319801002671X",  # a county of simulator.domain.AREAS (额济纳旗), valid for any birth year
        "mobile": "13326235773",  # a segment of simulator.domain.MOBILE_PREFIXES (133, China Telecom)
    }


def test_values_do_not_depend_on_the_process_hash_seed() -> None:
    script = (
        "import json, sys\n"
        "from simulator.openapi._synth import Synthesizer\n"
        f"schema = json.loads({json.dumps(json.dumps(RICH))})\n"
        "s = Synthesizer(5)\n"
        "print(json.dumps([s.value(schema) for _ in range(5)], ensure_ascii=True))\n"
    )

    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for hash_seed in ("1", "2", "3")
    }

    assert len(outputs) == 1


def test_the_synthesizer_never_reads_the_wall_clock() -> None:
    source = (ROOT / "simulator" / "openapi" / "_synth.py").read_text(encoding="utf-8")
    calls = {
        node.func.attr
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }

    assert calls.isdisjoint({"now", "utcnow", "today", "time", "monotonic", "perf_counter", "time_ns"})


def test_a_false_schema_raises_and_a_true_schema_gets_some_value(synth: Synthesizer) -> None:
    with pytest.raises(SynthesisError, match="`false`"):
        synth.value({"type": "object", "required": ["a"], "properties": {"a": False}})

    assert synth.value({"type": "object", "required": ["a"], "properties": {"a": True}})["a"] is not None


def test_a_cycle_without_nesting_raises_a_clear_error(synth: Synthesizer) -> None:
    loop: dict[str, Any] = {"oneOf": []}
    loop["oneOf"] += [loop, loop]

    with pytest.raises(SynthesisError, match="without nesting"):
        synth.value(loop)


def test_an_int32_with_only_a_minimum_stays_near_it(synth: Synthesizer) -> None:
    values = many(synth, {"type": "integer", "format": "int32", "minimum": 5}, 30)

    assert all(5 <= v <= 1005 for v in values)


def test_another_locale_works_where_faker_lacks_a_zh_cn_provider() -> None:
    synth = Synthesizer(1, locale="en_US")
    schema = {
        "type": "object",
        "required": ["custName", "province", "bankName", "address"],
        "properties": {k: {"type": "string"} for k in ("custName", "province", "bankName", "address")},
    }

    value = synth.value(schema)

    assert all(isinstance(v, str) and v for v in value.values())
