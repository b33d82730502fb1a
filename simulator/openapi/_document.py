"""A loaded contract as the lint passes walk it: findings at key paths, local ``$ref``s followed."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from simulator._yaml import Finding, YamlDocument, dotted
from simulator.openapi._contract import HTTP_METHODS

__all__ = [
    "SUBSCHEMA_LISTS",
    "SUBSCHEMA_MAPS",
    "SUBSCHEMA_SINGLE",
    "Document",
    "Parts",
    "example_values",
    "finding",
    "subschemas",
]

Parts = tuple[str | int, ...]

# The keywords of JSON Schema 2020-12 that hold subschemas: by name, in a list, or one.
SUBSCHEMA_MAPS: Final = ("properties", "patternProperties", "$defs", "dependentSchemas")
SUBSCHEMA_LISTS: Final = ("allOf", "anyOf", "oneOf", "prefixItems")
SUBSCHEMA_SINGLE: Final = (
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
)


def finding(file: str, source: YamlDocument | None, parts: Parts, message: str) -> Finding:
    pos = source.position(parts) if source is not None else None
    return Finding(file, pos[0] if pos else None, pos[1] if pos else None, dotted(parts), message)


class Document:
    """A loaded contract with its source positions: findings at key paths, local ``$ref``s followed."""

    def __init__(self, file: str, source: YamlDocument | None, document: Mapping[str, Any]) -> None:
        self.file = file
        self.source = source
        self.document = document
        self.findings: list[Finding] = []

    def problem(self, parts: Parts, message: str) -> None:
        found = finding(self.file, self.source, parts, message)
        if found not in self.findings:  # a shared component is reached from several operations
            self.findings.append(found)

    def at(self, ref: str) -> tuple[Any, Parts] | None:
        """The node a local ``$ref`` (``#/components/...``) points at and its key path; None if it is none."""
        if not ref.startswith("#"):
            return None
        node: Any = self.document
        parts: list[str | int] = []
        for raw in ref[2:].split("/") if ref != "#" else []:
            token = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and token in node:
                node = node[token]
                parts.append(token)
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
                parts.append(int(token))
            else:
                return None
        return node, tuple(parts)

    def deref(self, node: Any, parts: Parts) -> tuple[Any, Parts]:
        """``node`` with its chain of local ``$ref``s followed (responses, parameters, examples, links…)."""
        seen: set[str] = set()
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and node["$ref"] not in seen:
            seen.add(node["$ref"])
            target = self.at(node["$ref"])
            if target is None:
                return None, parts
            node, parts = target
        return node, parts

    def schema(self, schema: Any) -> Any:
        """A schema with its top-level ``$ref`` chain followed (siblings of ``$ref`` are not merged in)."""
        return self.deref(schema, ())[0]

    def operations(self, *sections: str) -> Iterator[tuple[Parts, Mapping[str, Any], Mapping[str, Any]]]:
        """(key path, path item, operation) of every operation in ``sections`` (paths, webhooks)."""
        for section in sections:
            items = self.document.get(section)
            for name, item in (items or {}).items() if isinstance(items, Mapping) else ():
                if not isinstance(item, Mapping):
                    continue
                for method in HTTP_METHODS:
                    if isinstance(item.get(method), Mapping):
                        yield (section, name, method), item, item[method]


def example_values(doc: Document, holder: Mapping[str, Any], parts: Parts) -> Iterator[tuple[Parts, Any]]:
    """(key path, value) of the ``example`` and ``examples`` of a media type, parameter or header; an Example
    Object is followed through its ``$ref``, and one without a ``value`` is reported."""
    if "example" in holder:
        yield (*parts, "example"), holder["example"]
    examples = holder.get("examples")
    for name, example in examples.items() if isinstance(examples, Mapping) else ():
        node, _ = doc.deref(example, (*parts, "examples", name))
        if not isinstance(node, Mapping):
            continue
        if "value" not in node:
            doc.problem(
                (*parts, "examples", name),
                "an Example Object without a 'value' (lendsim serves and checks inline values only); add 'value'",
            )
            continue
        yield (*parts, "examples", name, "value"), node["value"]


def subschemas(schema: Any, parts: Parts) -> Iterator[tuple[Mapping[str, Any], Parts]]:
    """``schema`` and every schema inside it, with their key paths (``$ref``s are not followed)."""
    if not isinstance(schema, Mapping):
        return
    yield schema, parts
    for key in SUBSCHEMA_MAPS:
        inner = schema.get(key)
        for name, sub in inner.items() if isinstance(inner, Mapping) else ():
            yield from subschemas(sub, (*parts, key, name))
    for key in SUBSCHEMA_LISTS:
        inner = schema.get(key)
        for index, sub in enumerate(inner) if isinstance(inner, list) else ():
            yield from subschemas(sub, (*parts, key, index))
    for key in SUBSCHEMA_SINGLE:
        yield from subschemas(schema.get(key), (*parts, key))
