"""Recorded exchanges as contract examples: a copy of the contract with ``recorded-N`` examples added.

Exchange N of the proxy gives ``recorded-N`` under its operation's request media type and under the media type
of the response it got, so a request and its answer share a name. Values are masked the way every lendsim output
is (:func:`simulator.masking.mask_value`), except that a hidden digit becomes ``0`` rather than ``*``: an example
must still match its schema (``^1[3-9][0-9]{9}$`` for a phone), and one that does not is left out. A response
given by ``$ref`` is copied into the operation first, so examples never land on a shared component.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from simulator.masking import NAME_KEYS, mask_value
from simulator.openapi import Contract, MediaSpec, Operation

__all__ = ["ExampleRecorder"]

#: Examples kept per operation, status and media type: enough to show the shapes, few enough to read.
PER_MEDIA = 3


class ExampleRecorder:
    """Collects request and response bodies that match their schemas; ``write`` puts them into a contract copy."""

    def __init__(self, contract: Contract, path: Path) -> None:
        self.contract = contract
        self.path = path
        self.document: dict[str, Any] = copy.deepcopy(dict(contract.document))
        self.recorded = 0  # examples added so far
        self._kept: dict[tuple[str, str, str], list[Any]] = {}  # (operationId, status or "request", type) → values

    def record(
        self,
        exchange: int,
        operation: Operation,
        request: tuple[str | None, Any] | None,
        response: tuple[int, str | None, Any] | None,
    ) -> int:
        """Add exchange ``exchange``'s request (content type, decoded body) and response (status, type, body) as
        examples where they match their schemas; returns how many were added (0, 1 or 2)."""
        added = 0
        name = f"recorded-{exchange}"
        if request is not None and request[1] is not None:
            media = operation.body_media(request[0])
            if media is not None and self._add(operation, "request", media, name, request[1]):
                added += 1
        if response is not None and response[2] is not None:
            status, content_type, body = response
            spec = operation.response(status)
            media = spec.media(content_type) if spec is not None else None
            if spec is not None and media is not None and self._add(operation, spec.status, media, name, body):
                added += 1
        if added:
            self.recorded += added
            self.write()
        return added

    def _add(self, operation: Operation, where: str, media: MediaSpec, name: str, value: Any) -> bool:
        example = _masked(value)
        if media.errors(example):
            return False  # masking made it break a pattern (or the body never matched): not an example
        kept = self._kept.setdefault((operation.operation_id, where, media.content_type), [])
        if example in kept or len(kept) >= PER_MEDIA:
            return False
        kept.append(example)
        node = self._media_node(operation, where, media.content_type)
        if "example" in node:  # OpenAPI allows `example` or `examples`, not both
            node.setdefault("examples", {})["example"] = {"value": node.pop("example")}
        summary = f"recorded by lendsim proxy: {operation.method} {operation.path}" + (
            "" if where == "request" else f" → {where}"
        )
        node.setdefault("examples", {})[name] = {"summary": summary, "value": example}
        return True

    def _media_node(self, operation: Operation, where: str, content_type: str) -> dict[str, Any]:
        item = self.document["paths"][operation.path][operation.method.lower()]
        key = "requestBody" if where == "request" else where
        holder = item if where == "request" else item["responses"]
        node = holder[key] = self._resolved(holder[key])
        content = node["content"]
        media_key = next(k for k in content if k.lower() == content_type)
        media = content[media_key] = dict(content[media_key] or {})
        return media

    def _resolved(self, node: Mapping[str, Any]) -> dict[str, Any]:
        """``node`` with a local ``$ref`` replaced by a copy of what it points at (followed until none is left)."""
        while "$ref" in node:
            target: Any = self.document
            for part in str(node["$ref"]).removeprefix("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return copy.deepcopy(dict(node))

    def write(self) -> None:
        source = self.contract.path or "the contract"
        header = (
            f"# {self.contract.title}: {source} with the examples `lendsim proxy --record-examples` recorded\n"
            "# (recorded-N: request and answer of exchange N through the proxy; personal data masked).\n"
        )
        text = yaml.dump(self.document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(header + text, encoding="utf-8")


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (descriptions) as ``|`` blocks, the way the contracts are written."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and not any(line != line.rstrip() for line in value.splitlines()) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _masked(value: Any) -> Any:
    return _digits_stay_digits(value, mask_value(value, name_keys=NAME_KEYS))


def _digits_stay_digits(original: Any, masked: Any) -> Any:
    """``masked`` with each star that hides a digit of ``original`` written as ``0`` (keeps digit patterns valid)."""
    if isinstance(original, str) and isinstance(masked, str) and len(original) == len(masked):
        return "".join("0" if m == "*" and o.isdigit() else m for o, m in zip(original, masked, strict=True))
    if isinstance(original, Mapping) and isinstance(masked, Mapping):
        return {
            _digits_stay_digits(key, masked_key): _digits_stay_digits(before, after)
            for (key, before), (masked_key, after) in zip(original.items(), masked.items(), strict=True)
        }
    if isinstance(original, list) and isinstance(masked, list):
        return [_digits_stay_digits(before, after) for before, after in zip(original, masked, strict=True)]
    if isinstance(original, int) and isinstance(masked, str):  # a phone-like integer came back masked
        return int(_digits_stay_digits(str(original), masked))
    return masked
