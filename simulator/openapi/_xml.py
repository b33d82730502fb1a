"""An ``application/xml`` request body read as the value its schema describes: :func:`read_xml`.

OpenAPI describes an XML body with the same JSON Schema as a JSON one, plus an ``xml`` object per schema: the
element's ``name``, ``attribute: true`` for a property carried as an attribute, ``wrapped: true`` for an array whose
items sit inside one element named after the property (otherwise each item is an element of its own, repeated). The
body is read into that shape — text typed as its schema's type, as form fields are — and then validated by the
operation's compiled validator like any JSON body, so a violation names the field and the rule the same way
(``body.userStatus``, ``maximum``).

XML is parsed by defusedxml: a document with a DTD, entities or external references is refused (rule ``xml``) rather
than expanded — the billion laughs and external-entity attacks that stdlib parsers are open to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree
from defusedxml import DefusedXmlException

from simulator.openapi._form import form_kinds, read_form_value, subschema
from simulator.openapi._violation import Violation

__all__ = ["read_xml"]


def read_xml(body: bytes, schema: Mapping[str, Any]) -> tuple[Any, Violation | None]:
    """``(value, None)``: the body read by ``schema``'s shape; or ``(None, violation)`` when it is not XML to read."""
    try:
        root = defusedxml.ElementTree.fromstring(body, forbid_dtd=True)
    except DefusedXmlException as exc:
        return None, Violation("body", "xml", f"is refused: {exc}; send the document without a DTD or entities")
    except ParseError as exc:
        line, column = exc.position
        return None, Violation("body", "xml", f"malformed XML at line {line}, column {column + 1}: {exc.msg}")
    return _read(root, schema), None


def _read(element: Element, schema: Any) -> Any:
    """One element as the value its schema describes."""
    kinds = form_kinds(schema)
    if "array" in kinds:  # a wrapped array: the element holds the items
        item = subschema(schema, None)
        return [_read(child, item) for child in element]
    text = (element.text or "").strip()
    if text and not len(element) and not element.attrib:  # text alone: a scalar, whatever the schema wants
        return read_form_value(element.text or "", schema)
    if "object" in kinds or (not kinds and (len(element) or element.attrib)):
        return _object(element, schema)
    if len(element):  # children where the schema wants a scalar: kept as an object, which the schema then refuses
        return _object(element, {})
    return read_form_value(element.text or "", schema)


def _object(element: Element, schema: Any) -> dict[str, Any]:
    properties = schema.get("properties") if isinstance(schema, Mapping) else None
    named: dict[str, tuple[str, Any]] = {}  # element or attribute name -> (property, its schema)
    for prop, sub in (properties or {}).items() if isinstance(properties, Mapping) else ():
        xml = _xml(sub)
        if "array" in form_kinds(sub) and not xml.get("wrapped"):
            name = _xml(subschema(sub, None)).get("name") or xml.get("name") or prop  # each item an element
        else:
            name = xml.get("name") or prop
        named[("@" if xml.get("attribute") else "") + str(name)] = (prop, sub)
    out: dict[str, Any] = {}
    for attribute, text in element.attrib.items():
        prop, sub = named.get("@" + attribute, (attribute, {}))
        out[prop] = read_form_value(text, sub)
    for child in element:
        prop, sub = named.get(child.tag, (child.tag, subschema(schema, child.tag)))
        if "array" in form_kinds(sub) and not _xml(sub).get("wrapped"):
            out.setdefault(prop, [])
            if isinstance(out[prop], list):
                out[prop].append(_read(child, subschema(sub, None)))
            continue
        out[prop] = _read(child, sub)
    return out


def _xml(schema: Any) -> Mapping[str, Any]:
    xml = schema.get("xml") if isinstance(schema, Mapping) else None
    return xml if isinstance(xml, Mapping) else {}
