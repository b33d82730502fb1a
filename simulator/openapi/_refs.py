"""A contract's local ``$ref``s, kept as written and followed on demand.

A contract is never expanded into one tree: Stripe's 4 MB document, whose schemas refer to each other thousands
of times, grew past 12 GiB that way. Instead:

* validators refer into the document (``{"$ref": "urn:lendsim:contract#/components/schemas/charge"}``) and
  compile against one jsonschema-rs :class:`~jsonschema_rs.Registry` holding it, so each validator compiles what
  it reaches and no more;
* the objects around schemas (parameters, request bodies, responses, headers, examples) are followed through
  their ``$ref`` chains with their JSON pointers (:meth:`References.follow`);
* a schema the synthesizer generates from is *linked* (:meth:`References.linked`): each ``$ref`` becomes the
  very object it points at, built once per target, so a recursive schema is a cyclic object graph as big as the
  document's part it reaches, never bigger.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any, Final, Protocol
from urllib.parse import quote

import jsonschema_rs

from simulator.errors import ContractError

__all__ = ["URI", "Forgettable", "References", "pointer_of"]

#: The URI the document is registered under; a validator's ``$ref`` names it with a JSON pointer as fragment.
URI: Final = "urn:lendsim:contract"

_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"

#: Keywords whose values are data, not schemas: a ``$ref`` key inside an example is literal data.
_DATA_KEYWORDS: Final = frozenset({"example", "examples", "enum", "const", "default"})

#: Keywords whose values map names (which may be ``example`` or ``default``) to schemas.
_MAPS: Final = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})

Parts = tuple[str | int, ...]


class Forgettable(Protocol):
    def forget(self) -> None:
        """Drop the compiled validator (it compiles again on its next use)."""


def pointer_of(parts: Parts) -> str:
    """The JSON pointer (RFC 6901) of a key path: ``("paths", "/a/{id}")`` → ``/paths/~1a~1{id}``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _parts_of(ref: str) -> Parts | None:
    if not ref.startswith("#"):
        return None
    return tuple(raw.replace("~1", "/").replace("~0", "~") for raw in ref[2:].split("/")) if ref != "#" else ()


class References:
    """The document (its schemas already JSON Schema 2020-12), its references resolved when asked."""

    __slots__ = ("_compiled", "_linked", "_registry", "capacity", "document", "shared")

    def __init__(self, document: Mapping[str, Any], *, capacity: int | None = None) -> None:
        self.document = document
        #: At most this many validators compiled at once (None: no limit): compiling the first forgets the oldest.
        #: jsonschema-rs compiles a ``$ref`` by compiling what it points at in place, so one validator of Stripe's
        #: spec3 holds 10-30 MB, and all of them 7.8 GB.
        self.capacity = capacity
        self._compiled: OrderedDict[int, Forgettable] = OrderedDict()
        #: Validators shared between operations, by what they validate (Stripe's 468 operations answer errors with
        #: one schema): see simulator.openapi._operations.
        self.shared: dict[tuple[str, str], Any] = {}
        self._registry: jsonschema_rs.Registry | None = None
        #: id(node as written) → (that node, its linked form); the node is kept so its id is not reused.
        self._linked: dict[int, tuple[Any, Any]] = {}

    def at(self, parts: Parts) -> Any:
        """The node at ``parts``; None when there is none."""
        node: Any = self.document
        for part in parts:
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, str) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
            else:
                return None
        return node

    def follow(self, node: Any, parts: Parts) -> tuple[Any, Parts]:
        """``node`` (at ``parts``) with its chain of local ``$ref``s followed, and where it ends."""
        seen: set[str] = set()
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            target = _parts_of(ref)
            if ref in seen or target is None:
                raise ContractError(f"$ref {ref!r} {'refers to itself' if ref in seen else 'cannot be followed'}")
            seen.add(ref)
            node, parts = self.at(target), target
            if node is None:
                raise ContractError(f"$ref {ref!r} points at nothing")
        return node, parts

    # -- validators ---------------------------------------------------------------------------------------------

    @property
    def registry(self) -> jsonschema_rs.Registry:
        """The registry holding the document, built on first need."""
        if self._registry is None:
            try:
                document: Any = self.document
                self._registry = jsonschema_rs.Registry([(URI, document)], draft=jsonschema_rs.Draft202012)
            except (ValueError, jsonschema_rs.ReferencingError) as exc:
                raise ContractError(f"cannot resolve references: {exc}") from None
        return self._registry

    @staticmethod
    def ref(parts: Parts) -> dict[str, str]:
        """A schema that is the one at ``parts`` of the document."""
        return {"$ref": URI + "#" + quote(pointer_of(parts), safe="/~!$&'()*+,;=:@")}

    def compile(self, schema: Mapping[str, Any], owner: Forgettable) -> jsonschema_rs.Validator:
        """A validator for ``schema``, whose ``$ref``s may name the document (see :meth:`ref`), for ``owner``; beyond
        :attr:`capacity` compiled validators, the owner compiled longest ago forgets its own."""
        try:
            compiled = jsonschema_rs.validator_for(
                {"$schema": _DIALECT, **schema}, validate_formats=True, registry=self.registry
            )
        except (ValueError, jsonschema_rs.ReferencingError, jsonschema_rs.ValidationError) as exc:
            reason = str(exc).split("\n", 1)[0]
            raise ContractError(f"invalid schema: {reason}") from None
        self._compiled[id(owner)] = owner
        while self.capacity is not None and len(self._compiled) > self.capacity:
            _, oldest = self._compiled.popitem(last=False)
            oldest.forget()
        return compiled

    @property
    def compiled(self) -> int:
        """How many validators are compiled now."""
        return len(self._compiled)

    # -- synthesis ----------------------------------------------------------------------------------------------

    def linked(self, node: Any) -> Any:
        """``node`` as a mapping whose ``$ref``s read as the objects they point at (see :class:`_Linked`).

        Each node is linked once (a target shared by many references is one object; a cycle is a cycle) and only
        when it is read, so the result is never bigger than the part of the document read. A ``$ref`` with sibling
        keywords reads as the siblings overlaid with its target's, as full dereferencing did.
        """
        if isinstance(node, list):
            return [self.linked(item) for item in node]
        if not isinstance(node, Mapping):
            return node
        hit = self._linked.get(id(node))
        if hit is not None:
            return hit[1]
        raw: Mapping[str, Any] = node
        if isinstance(node.get("$ref"), str):
            try:
                target, _ = self.follow(node, ())
            except ContractError:
                target = {}
            if len(node) > 1 and isinstance(target, Mapping):
                raw = {**{k: v for k, v in node.items() if k != "$ref"}, **target}
            elif isinstance(target, Mapping):
                out = self.linked(target)
                self._linked[id(node)] = (node, out)
                return out
            else:
                raw = {}
        out = _Linked(self, raw)
        self._linked[id(node)] = (node, out)
        return out


class _Linked(Mapping[str, Any]):
    """A schema of the document whose subschemas are linked when read (``$ref``s followed)."""

    __slots__ = ("_cache", "_node", "_refs")

    def __init__(self, refs: References, node: Mapping[str, Any]) -> None:
        self._refs = refs
        self._node = node
        self._cache: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        cache = self._cache
        if key in cache:
            return cache[key]
        value = self._node[key]
        if key in _DATA_KEYWORDS:
            out = value
        elif key in _MAPS and isinstance(value, Mapping):
            out = {name: self._refs.linked(schema) for name, schema in value.items()}
        else:
            out = self._refs.linked(value)
        cache[key] = out
        return out

    def __contains__(self, key: object) -> bool:
        return key in self._node

    def __iter__(self) -> Iterator[str]:
        return iter(self._node)

    def __len__(self) -> int:
        return len(self._node)

    def __repr__(self) -> str:
        return f"Linked({dict(self._node)!r})"
