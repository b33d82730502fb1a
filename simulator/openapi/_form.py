"""Text read as the values a schema describes: form fields (``application/x-www-form-urlencoded``), parameters,
and the text of XML elements (:mod:`simulator.openapi._xml`) — a number, an integer or a boolean where the schema
says so, else the text, which the schema then refuses naming the type."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from simulator.openapi._decode import MAX_DIGITS, read_json
from simulator.openapi._violation import Violation

__all__ = ["coerce_one", "form_kinds", "read_form", "read_form_value", "read_multipart", "read_pairs", "subschema"]


_KEY_PART = re.compile(r"\[([^\]]*)\]")


def subschema(schema: Any, key: str | None) -> Any:
    """The schema of property ``key`` (None: of an item) of ``schema``, through allOf/anyOf/oneOf branches."""
    if not isinstance(schema, Mapping):
        return {}
    if key is None and isinstance(schema.get("items"), Mapping):
        return schema["items"]
    properties = schema.get("properties")
    if key is not None and isinstance(properties, Mapping) and key in properties:
        return properties[key]
    for branch_key in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(branch_key) or ():
            found = subschema(branch, key)
            if found:
                return found
    extra = schema.get("additionalProperties")
    return extra if key is not None and isinstance(extra, Mapping) else {}


def form_kinds(schema: Any) -> list[str]:
    """The types a schema (or any of its anyOf/oneOf branches) takes."""
    if not isinstance(schema, Mapping):
        return []
    kind = schema.get("type")
    found = (
        [kind] if isinstance(kind, str) else [k for k in kind if isinstance(k, str)] if isinstance(kind, list) else []
    )
    for branch_key in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(branch_key) or ():
            found += form_kinds(branch)
    return found


def read_form_value(text: str, schema: Any) -> Any:
    """A field's text as the first of its schema's types it reads as (number, integer, boolean; else the text)."""
    for kind in form_kinds(schema):
        if kind in ("integer", "number", "boolean"):
            value = coerce_one(text, kind)
            if not isinstance(value, str):
                return value
    return text


def read_form(body: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    """An ``application/x-www-form-urlencoded`` body as the object its schema describes: ``a[b]=1`` nests (Stripe's
    deep objects), ``a[]=x`` and repeated keys of an array property make lists, numbers and booleans are read as
    their schema's types; a required array with no field is empty (a form cannot write an empty list)."""
    return read_pairs(parse_qsl(body, keep_blank_values=True), schema)


def read_pairs(pairs: Iterable[tuple[str, str]], schema: Mapping[str, Any]) -> dict[str, Any]:
    """Form fields (or ``style: deepObject`` query parameters, or multipart parts) as the object ``schema``
    describes: see :func:`read_form`."""
    out: dict[str, Any] = {}
    for raw_key, text in pairs:
        _place(out, raw_key, text, schema)
    return _with_empty_arrays(out, schema)


def _place(out: dict[str, Any], raw_key: str, text: Any, schema: Any) -> None:
    """One field's ``text`` into ``out`` at the place its key names (``a[b][0]``), read as its schema's type."""
    head, _, rest = raw_key.partition("[")
    parts = [head, *_KEY_PART.findall("[" + rest)] if rest else [head]
    node: Any = out
    node_schema: Any = schema
    for index, part in enumerate(parts):
        if not isinstance(node, dict | list):
            break  # a key given both as a value and as an object (a=1&a[b]=2): the value stays
        last = index == len(parts) - 1
        sub = subschema(node_schema, None if isinstance(node, list) else part)
        if isinstance(node, list):
            if last:
                node.append(_read(text, sub))
                break
            if part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                node.append({})
                node = node[-1]
            node_schema = sub
            continue
        if last:
            _put(node, part, text, sub)
            break
        following_is_item = parts[index + 1] == "" or parts[index + 1].isdigit()
        node = node.setdefault(part, [] if following_is_item else {})
        node_schema = sub


def _read(text: Any, schema: Any) -> Any:
    """A field's text read as its schema's type; a value already decoded (a JSON part) as it is. An empty field
    whose schema takes an object and no text is an empty object (``a[b]=``: a form has no other way to write one)."""
    if not isinstance(text, str):
        return text
    if not text:
        kinds = form_kinds(schema)
        if "object" in kinds and "string" not in kinds:
            return {}
    return read_form_value(text, schema)


def read_multipart(body: bytes, content_type: str, schema: Mapping[str, Any]) -> tuple[Any, Violation | None]:
    """A ``multipart/form-data`` body as the object its schema describes: one property per part (by the name in its
    Content-Disposition), repeated parts of an array property a list, text typed as the schema says, a file's
    content as its text; or ``(None, violation)`` when it cannot be read as parts (rule ``multipart``)."""
    if "boundary=" not in content_type.lower():
        return None, Violation(
            "header.content-type",
            "multipart",
            "multipart/form-data without a boundary; send the header your HTTP "
            "library writes for a multipart body (multipart/form-data; boundary=…)",
        )
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart() or message.defects:
        return None, Violation("body", "multipart", "is not multipart/form-data with the boundary its header gives")
    out: dict[str, Any] = {}
    for part in message.iter_parts():
        assert isinstance(part, Message)
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            return None, Violation("body", "multipart", "holds a part without a name in its Content-Disposition")
        payload = part.get_payload(decode=True)
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        _place(out, name, _json_part(part, text), schema)
    return _with_empty_arrays(out, schema), None


def _json_part(part: Message, text: str) -> Any:
    """A part sent as JSON (``Content-Type: application/json``, OpenAPI's default for an object or an array
    property) as the value it holds; its text when it holds none."""
    content_type = part.get_content_type()
    if content_type != "application/json" and not content_type.endswith("+json"):
        return text
    value, _, refused = read_json(text.encode("utf-8"))
    return text if refused is not None else value


def _put(node: dict[str, Any], name: str, text: Any, schema: Any) -> None:
    """A form field's or a part's ``text`` into ``node[name]``: appended when its schema is an array (a repeated
    field makes a list), else set, read as the schema's type. An empty field whose schema takes a list or a text is
    the text (Stripe writes ``""`` to unset a list)."""
    kinds = form_kinds(schema)
    unset = text == "" and "string" in kinds and name not in node  # Stripe's a= for "", where a list or "" is taken
    if "array" in kinds and not isinstance(text, list) and not unset:
        node.setdefault(name, [])
        if isinstance(node[name], list):
            node[name].append(_read(text, subschema(schema, None)))
    else:
        node[name] = _read(text, schema)


def _with_empty_arrays(out: dict[str, Any], schema: Any) -> dict[str, Any]:
    """``out`` with each required array property it lacks as ``[]``, in the objects it holds too (Stripe's
    ``cart[line_items]``): a form (and multipart) writes a list as one field per item, so an empty list is no
    field at all, and only the schema tells it from a missing one."""
    if not isinstance(schema, Mapping):
        return out
    for name, value in out.items():
        if isinstance(value, dict):
            _with_empty_arrays(value, subschema(schema, name))
    required = schema.get("required")
    for name in required if isinstance(required, list) else ():
        if isinstance(name, str) and name not in out and "array" in form_kinds(subschema(schema, name)):
            out[name] = []
    return out


_INT = re.compile(r"-?\d+")
_NUM = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def coerce_one(value: str, kind: str) -> Any:
    """A parameter's text as its schema's type; left a string (which the schema then refuses, naming the type) when
    it is none: an integer of more than MAX_DIGITS digits (``int()`` raises), a number beyond a double (``1e400``)."""
    if kind == "integer" and len(value) <= MAX_DIGITS and _INT.fullmatch(value):
        return int(value)
    if kind == "number" and len(value) <= MAX_DIGITS and _NUM.fullmatch(value):
        number = float(value)
        if not math.isfinite(number):
            return value
        return int(number) if number.is_integer() and "." not in value and "e" not in value.lower() else number
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    return value
