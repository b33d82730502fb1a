"""The scenario JSON Schema that ships in the package, and its errors in words a QA engineer can act on.

:func:`check_schema` reports every schema error of a scenario and hands back the data without the parts that
broke it, so the checks of meaning can still run on the rest of the file in the same pass.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, time
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs

from simulator._suggest import did_you_mean, suggest
from simulator.scenario._findings import Findings

__all__ = ["check_schema", "jsonable", "schema"]


@cache
def schema() -> dict[str, Any]:
    """The scenario JSON Schema (also for editors: ``# yaml-language-server: $schema=…/schema.json``)."""
    text = resources.files("simulator.scenario").joinpath("schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _validator() -> Any:
    return jsonschema_rs.validator_for(schema(), validate_formats=True)


def jsonable(node: Any) -> Any:
    """YAML reads unquoted dates and times as objects; the schema (and people) think of them as text."""
    if isinstance(node, Mapping):
        return {key: jsonable(value) for key, value in node.items()}
    if isinstance(node, list | tuple):
        return [jsonable(value) for value in node]
    if isinstance(node, datetime):
        return node.isoformat(sep=" ")
    if isinstance(node, date | time):
        return node.isoformat()
    return node


def check_schema(data: Mapping[str, Any], out: Findings) -> dict[str, Any]:
    """Report every schema error of ``data`` to ``out``; return a copy without the values that broke it.

    What is left is schema-valid wherever it is present (a missing required key stays missing; an element of
    a list that broke it becomes ``None``), so the checks of meaning can run on it."""
    kept: dict[str, Any] = copy.deepcopy(dict(data))
    unusable: list[list[str | int]] = []
    for error in _validator().iter_errors(data):
        parts: list[str | int] = list(error.instance_path)
        kind = error.kind.name
        if parts[:1] in (["faults"], ["expect"]) and len(parts) >= 2:
            unusable.append(parts[:2])  # a fault, an invariant: its parts mean something only together
        elif kind == "additionalProperties":
            unusable.extend([*parts, str(key)] for key in error.kind.as_dict().get("unexpected") or [])
        elif parts:
            unusable.append(parts)
        for where, message in _messages(error):
            out.error(where, message)
    for parts in unusable:
        _remove(kept, parts)
    return kept


def _remove(data: Any, parts: Sequence[str | int]) -> None:
    node = data
    for step in parts[:-1]:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return
    last = parts[-1]
    if isinstance(node, dict):
        node.pop(last, None)
    elif isinstance(node, list) and isinstance(last, int) and 0 <= last < len(node):
        node[last] = None  # keep the positions of the others: findings name them by index


def _messages(error: Any) -> Iterator[tuple[list[str | int], str]]:
    """The findings one validator error stands for: (key path, what is wrong and the fix)."""
    kind = error.kind.name
    parts: list[str | int] = list(error.instance_path)
    details = error.kind.as_dict()
    schema_path = list(error.schema_path)
    if kind == "additionalProperties":
        allowed = _properties_at(schema_path)
        for key in details.get("unexpected") or []:
            fix = did_you_mean(key, allowed) or f"valid keys here: {', '.join(allowed)}"
            yield [*parts, key], f"unknown key {key!r}; {fix}"
        return
    if kind == "required":
        missing = str(details.get("property", "")).strip('"')
        node = _subschema([*schema_path[:-1], "properties", missing])
        if missing == "expect":
            message = f"missing required key 'expect': {_expect_fix(node)}"
        else:
            message = f"missing required key {missing!r}.{_hint(node)}"
    elif kind == "minProperties" and parts == ["expect"]:
        message = f"names no invariant: {_expect_fix(_subschema(schema_path[:-1]))}"
    elif kind == "enum":
        options = [str(o) for o in details.get("options") or []]
        fix = suggest(error.instance, options)
        message = f"{error.instance!r} is not allowed; {fix}"
    elif kind == "oneOf" and parts and parts[0] == "faults" and len(parts) == 2:
        node = _subschema(schema_path[:-1])
        actions = [key for key in node.get("properties", {}) if key not in ("at", "from", "until", "probability")]
        present = [key for key in actions if isinstance(error.instance, Mapping) and key in error.instance]
        if len(present) == 1:
            return  # the action itself is malformed: its own error says how
        message = f"give exactly one action of {', '.join(actions)}; found {', '.join(present) or 'none'}"
    elif kind == "maxProperties" and not _subschema(schema_path[:-1]).get("properties"):
        message = f"takes no options; write {{}} (got {json.dumps(error.instance, ensure_ascii=False)})"
    elif kind in ("oneOf", "anyOf") and _deepest(details, len(parts)) is not None:
        deepest = _deepest(details, len(parts))
        parts = list(deepest.instance_path)
        message = f"{deepest.message}.{_hint(_owner_schema(schema_path) or {})}"
    elif kind in ("oneOf", "anyOf", "pattern"):
        owner = _owner_schema(schema_path) or {}
        message = f"{json.dumps(error.instance, ensure_ascii=False)} is not valid here.{_hint(owner)}"
    elif kind in ("type", "minimum", "maximum", "exclusiveMinimum", "minItems", "maxLength", "uniqueItems"):
        message = f"{error.message}.{_hint(_owner_schema(schema_path) or {})}"
    else:
        message = error.message
    yield parts, message


def _expect_fix(node: Mapping[str, Any]) -> str:
    """What to write under ``expect:``: its invariants, each with what it checks."""
    invariants = node.get("properties", {})
    listed = ", ".join(
        f"{key} ({str(spec.get('description', '')).split(':', 1)[0]})" for key, spec in invariants.items()
    )
    return (
        "a scenario says which invariants must hold at the end of the run, or the run judges nothing; give "
        f"at least one, e.g. 'expect: {{no_false_delinquency: {{}}}}'. The invariants: {listed} "
        "(docs/invariants.md says what each checks)"
    )


def _subschema(path: Sequence[str | int]) -> Mapping[str, Any]:
    """The schema node at a validator's schema path, following local $refs."""
    node: Any = schema()
    for step in path:
        if isinstance(node, Mapping) and "$ref" in node and step not in node:
            node = _resolve(node["$ref"])
        node = node[step] if isinstance(node, Mapping) else node[int(step)]
    if isinstance(node, Mapping) and "$ref" in node:
        node = _resolve(node["$ref"])
    return node if isinstance(node, Mapping) else {}


def _resolve(ref: str) -> Any:
    node: Any = schema()
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _properties_at(schema_path: Sequence[str | int]) -> list[str]:
    parent = _subschema(schema_path[:-1])
    return list(parent.get("properties", {}))


def _hint(node: Mapping[str, Any]) -> str:
    examples = node.get("examples")
    description = node.get("description", "")
    hint = f" {description}" if description else ""
    if examples:
        hint += f" For example: {', '.join(json.dumps(e, ensure_ascii=False) for e in examples[:3])}."
    return hint


def _deepest(details: Mapping[str, Any], depth: int) -> Any:
    """Of a oneOf/anyOf's branch errors, the one that got furthest into the value (the branch meant)."""
    errors = [error for branch in details.get("context") or [] for error in branch]
    deeper = [error for error in errors if len(list(error.instance_path)) > depth]
    return max(deeper, key=lambda error: len(list(error.instance_path))) if deeper else None


def _owner_schema(schema_path: Sequence[str | int]) -> Mapping[str, Any] | None:
    """The nearest schema above the failing keyword that documents itself (description or examples)."""
    for end in range(len(schema_path) - 1, -1, -1):
        node = _subschema(schema_path[:end])
        if "description" in node or "examples" in node:
            return node
    return None
