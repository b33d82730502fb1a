"""Read a scenario file: safe YAML → the JSON Schema that ships in the package → a checked Scenario.

Every problem becomes a :class:`Finding` naming the file, line, column and key path, saying what is wrong
and, where it can, the fix ("did you mean 'timeout_after_commit'?"). Nothing in a file is executed (safe
YAML, no tags), aliases cannot blow up memory, and the file size is bounded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, time
from difflib import get_close_matches
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema_rs

from simulator._yaml import Finding, YamlDocument, YamlError, dotted, load_yaml
from simulator.errors import LendsimError

__all__ = ["MAX_SCENARIO_BYTES", "ScenarioError", "lint_scenario", "read_scenario", "schema"]

#: A scenario is a page or two of YAML; anything this big is a mistake (or an attack).
MAX_SCENARIO_BYTES = 1024 * 1024


class ScenarioError(LendsimError):
    """A scenario file has problems; ``findings`` lists each with its position."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        self.findings = list(findings)
        super().__init__("\n".join(str(finding) for finding in self.findings))


@cache
def schema() -> dict[str, Any]:
    """The scenario JSON Schema (also for editors: ``# yaml-language-server: $schema=…/schema.json``)."""
    text = resources.files("simulator.scenario").joinpath("schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _validator() -> Any:
    return jsonschema_rs.validator_for(schema(), validate_formats=True)


def _jsonable(node: Any) -> Any:
    """YAML reads unquoted dates and times as objects; the schema (and people) think of them as text."""
    if isinstance(node, dict):
        return {key: _jsonable(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_jsonable(value) for value in node]
    if isinstance(node, datetime):
        return node.isoformat(sep=" ")
    if isinstance(node, date | time):
        return node.isoformat()
    return node


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


def _schema_findings(file: str, source: YamlDocument, data: Any) -> Iterator[Finding]:
    for error in _validator().iter_errors(data):
        kind = error.kind.name
        parts: list[str | int] = list(error.instance_path)
        details = error.kind.as_dict()
        schema_path = list(error.schema_path)
        if kind == "additionalProperties":
            allowed = _properties_at(schema_path)
            for key in details.get("unexpected") or []:
                close = get_close_matches(str(key), allowed, n=1)
                fix = f"did you mean {close[0]!r}?" if close else f"valid keys here: {', '.join(allowed)}"
                yield _finding(file, source, [*parts, key], f"unknown key {key!r}; {fix}")
            continue
        if kind == "required":
            missing = str(details.get("property", "")).strip('"')
            node = _subschema([*schema_path[:-1], "properties", missing])
            message = f"missing required key {missing!r}.{_hint(node)}"
        elif kind == "enum":
            options = [str(o) for o in details.get("options") or []]
            close = get_close_matches(str(error.instance), options, n=1)
            fix = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(map(repr, options[:12]))}"
            message = f"{error.instance!r} is not allowed; {fix}"
        elif kind == "oneOf" and parts and parts[0] == "faults" and len(parts) == 2:
            node = _subschema(schema_path[:-1])
            actions = [key for key in node.get("properties", {}) if key not in ("at", "from", "until", "probability")]
            present = [key for key in actions if isinstance(error.instance, Mapping) and key in error.instance]
            if len(present) == 1:
                continue  # the action itself is malformed: its own error says how
            message = f"give exactly one action of {', '.join(actions)}; found {', '.join(present) or 'none'}"
        elif kind == "maxProperties" and not _subschema(schema_path[:-1]).get("properties"):
            message = f"takes no options; write {{}} (got {json.dumps(error.instance, ensure_ascii=False)})"
        elif kind in ("oneOf", "anyOf") and _deepest(details, len(parts)) is not None:
            deepest = _deepest(details, len(parts))
            assert deepest is not None
            parts = list(deepest.instance_path)
            message = f"{deepest.message}.{_hint(_owner_schema(schema_path) or {})}"
        elif kind in ("oneOf", "anyOf", "pattern"):
            owner = _owner_schema(schema_path) or {}
            message = f"{json.dumps(error.instance, ensure_ascii=False)} is not valid here.{_hint(owner)}"
        elif kind in ("type", "minimum", "maximum", "exclusiveMinimum", "minItems", "maxLength", "uniqueItems"):
            message = f"{error.message}.{_hint(_owner_schema(schema_path) or {})}"
        else:
            message = error.message
        yield _finding(file, source, parts, message)


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


def _finding(file: str, source: YamlDocument | None, parts: Sequence[str | int], message: str) -> Finding:
    pos = source.position(parts) if source is not None else None
    return Finding(file, pos[0] if pos else None, pos[1] if pos else None, dotted(parts), message)


def read_scenario(path: str | Path) -> tuple[dict[str, Any], YamlDocument]:
    """The scenario's data, checked against the schema; ScenarioError listing every problem otherwise."""
    file = str(path)
    try:
        size = Path(path).stat().st_size
        if size > MAX_SCENARIO_BYTES:
            raise ScenarioError(
                [
                    Finding(
                        file,
                        None,
                        None,
                        "",
                        f"the file is {size:,} bytes; a scenario is at most {MAX_SCENARIO_BYTES:,}",
                    )
                ]
            )
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([Finding(file, None, None, "", "no such file; check the path")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Finding(file, None, None, "", f"cannot read the file: {exc}")]) from None
    try:
        source = load_yaml(text)
    except YamlError as exc:
        raise ScenarioError([Finding(file, exc.line, exc.column, "", f"invalid YAML: {exc.reason}")]) from None
    if source.data is None:
        raise ScenarioError(
            [
                Finding(
                    file,
                    1,
                    1,
                    "",
                    "the file is empty; a scenario needs at least 'name', 'start' "
                    "and 'duration' (see docs/scenarios.md)",
                )
            ]
        )
    if not isinstance(source.data, dict):
        raise ScenarioError(
            [
                Finding(
                    file,
                    1,
                    1,
                    "",
                    f"a scenario is a mapping of keys (name, start, duration, …); "
                    f"this file holds a {type(source.data).__name__}",
                )
            ]
        )
    data = _jsonable(source.data)
    findings = list(_schema_findings(file, source, data))
    if findings:
        raise ScenarioError(findings)
    return data, source


def lint_scenario(path: str | Path) -> list[Finding]:
    """Every problem in the scenario at ``path`` (empty when it is clean): schema, then meaning."""
    from simulator.scenario._model import build_scenario

    try:
        data, source = read_scenario(path)
        build_scenario(data, file=str(path), source=source)
    except ScenarioError as exc:
        return exc.findings
    return []
