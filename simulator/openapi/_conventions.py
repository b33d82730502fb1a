"""The house rules of the contracts lendsim ships (``contracts/*.yaml``): ``lint_contract(path, conventions=True)``.

They say what the simulator's answers need from a contract and what keeps five contracts alike:

* the top: ``openapi: 3.1.0``; ``info`` with title, version and a description saying how it relates to lendsim;
  the server prefix lendsim serves it under; the ``Problem`` / ``ProblemField`` / ``Money`` schemas, the
  ``VirtualTime`` header and the reusable error responses (400, 413, 415, 503; 401 and a bearer scheme for the
  control API, which also declares its security);
* every operation (webhooks too): a unique camelCase operationId (a webhook's key is its operationId), a
  summary, a description and declared tags; 400 and 503 answers (413 and 415 with a body, 401 in the control
  API) and a success one; every answer declares ``X-Lendsim-Virtual-Time``; error answers are
  ``application/problem+json`` with the ``Problem`` schema (an example's ``status`` is the answer's); every
  request body and answer has an example;
* requests: a body is an ``application/json`` object (or an array of them) with ``additionalProperties: false``
  and a ``required`` list; strings, integers, numbers and arrays on the request side are bounded; path
  parameters have a ``maxLength`` and a pattern, format or enum.

:func:`check_receivers` (``lint_receivers``) checks the contracts as a set: a webhook one sends and the
operation another receives it with describe the same request body and the same 200 answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from simulator._yaml import Finding
from simulator.openapi._document import (
    SUBSCHEMA_LISTS,
    SUBSCHEMA_MAPS,
    SUBSCHEMA_SINGLE,
    Document,
    Parts,
    example_values,
)

__all__ = ["SERVERS", "check_conventions", "check_receivers"]

#: The prefix lendsim serves each built-in contract under.
SERVERS: Final = {"bank": "/bank", "bureau": "/bureau", "sms": "/sms", "platform": "/", "control": "/_sim"}
_CAMEL: Final = re.compile(r"^[a-z][a-zA-Z0-9]*$")
_VT_HEADER: Final = "X-Lendsim-Virtual-Time"
_VT_REF: Final = "#/components/headers/VirtualTime"
_PROBLEM_REF: Final = "#/components/schemas/Problem"
_PROBLEM_FIELDS: Final = ("type", "title", "status", "detail", "instance", "operation", "errors", "suggestion")
_MONEY: Final = {"type": "string", "pattern": r"^(0|[1-9][0-9]{0,11})\.[0-9]{2}$"}
_ERROR_RESPONSES: Final = (
    ("BadRequest", 400),
    ("PayloadTooLarge", 413),
    ("UnsupportedMediaType", 415),
    ("Unavailable", 503),
)
_DOCUMENTATION: Final = frozenset({"description", "examples", "example", "summary", "title"})


def check_conventions(doc: Document, name: str) -> None:
    """Add a finding to ``doc`` for each house rule the contract ``name`` (bank, bureau, sms, platform, control)
    breaks."""
    _check_top(doc, name)
    if name == "control" and not doc.document.get("security"):
        doc.problem(("security",), "the control API declares its (optional) bearer security; add 'security'")
    _check_operations(doc, name)


# -- the top ---------------------------------------------------------------------------------------------------


def _check_top(doc: Document, name: str) -> None:
    document = doc.document
    if document.get("openapi") != "3.1.0":
        doc.problem(("openapi",), "lendsim's contracts are OpenAPI 3.1.0; write 'openapi: 3.1.0'")
    info = document.get("info") or {}
    for key in ("title", "version", "description"):
        if not info.get(key):
            doc.problem(("info",), f"info.{key} is missing; add it")
    description = info.get("description") or ""
    if name in ("platform", "control"):
        if "lendsim" not in description:
            doc.problem(("info", "description"), "say how the contract relates to lendsim")
    elif "simulated by lendsim" not in description:
        doc.problem(("info", "description"), "say that the party is 'simulated by lendsim'")
    expected = SERVERS.get(name)
    servers = document.get("servers") or []
    if expected and not any(isinstance(s, Mapping) and s.get("url") == expected for s in servers):
        doc.problem(("servers",), f"lendsim serves {name} under {expected!r}; add a server with that url")
    components = document.get("components") or {}
    schemas = components.get("schemas") or {}
    _check_problem(doc, schemas.get("Problem"))
    field = schemas.get("ProblemField")
    if not isinstance(field, Mapping) or set(field.get("required") or []) != {"field", "rule", "message"}:
        doc.problem(("components", "schemas", "ProblemField"), "a ProblemField schema requires field, rule, message")
    money = schemas.get("Money")
    if isinstance(money, Mapping) and {key: money.get(key) for key in _MONEY} != _MONEY:
        doc.problem(("components", "schemas", "Money"), f"Money is {_MONEY}")
    header = (components.get("headers") or {}).get("VirtualTime")
    if not isinstance(header, Mapping):
        doc.problem(("components", "headers"), "the VirtualTime header is missing; every answer declares it")
    else:
        if header.get("required") is not False:
            doc.problem(("components", "headers", "VirtualTime"), "the VirtualTime header is 'required: false'")
        if (header.get("schema") or {}).get("format") != "date-time":
            doc.problem(("components", "headers", "VirtualTime"), "the VirtualTime header is a date-time string")
    responses = components.get("responses") or {}
    required = [*_ERROR_RESPONSES, *([("Unauthorized", 401)] if name == "control" else [])]
    for response, status in required:
        if response not in responses:
            doc.problem(("components", "responses"), f"the reusable response {response} ({status}) is missing")
    if name == "control":
        schemes = components.get("securitySchemes") or {}
        if not any(s.get("type") == "http" and s.get("scheme") == "bearer" for s in schemes.values()):
            doc.problem(("components", "securitySchemes"), "the control API needs a bearer securityScheme")


def _check_problem(doc: Document, problem: Any) -> None:
    parts: Parts = ("components", "schemas", "Problem")
    if not isinstance(problem, Mapping):
        doc.problem(parts[:2], "the Problem schema (RFC 9457) is missing; every error answer uses it")
        return
    if problem.get("type") != "object" or set(problem.get("required") or []) != {"type", "title", "status"}:
        doc.problem(parts, "Problem is an object requiring type, title and status")
    properties = problem.get("properties") or {}
    for key in _PROBLEM_FIELDS:
        if key not in properties:
            doc.problem(parts, f"Problem lacks the property {key!r}")
    if problem.get("additionalProperties") is False:
        doc.problem(parts, "problem extensions stay allowed; remove 'additionalProperties: false'")
    status = properties.get("status") or {}
    if (status.get("type"), status.get("minimum"), status.get("maximum")) != ("integer", 400, 599):
        doc.problem((*parts, "properties", "status"), "Problem's status is an integer from 400 to 599")


# -- operations ------------------------------------------------------------------------------------------------


def _check_operations(doc: Document, name: str) -> None:
    seen: dict[str, Parts] = {}
    declared_tags = {tag.get("name") for tag in doc.document.get("tags") or [] if isinstance(tag, Mapping)}
    for parts, item, operation in doc.operations("paths", "webhooks"):
        section, key, method = parts
        op_id = operation.get("operationId")
        if not op_id:
            doc.problem(parts, "operationId missing; add a camelCase one")
            op_id = f"{str(method).upper()} {key}"
        else:
            if not _CAMEL.match(str(op_id)):
                doc.problem(parts, f"operationId {op_id!r} is not camelCase")
            if op_id in seen:
                doc.problem(parts, f"operationId {op_id!r} is also used at {'.'.join(map(str, seen[op_id]))}")
            seen[op_id] = parts
        for field in ("summary", "description", "tags"):
            if not operation.get(field):
                doc.problem(parts, f"{field} missing; add it")
        for tag in operation.get("tags") or []:
            if tag not in declared_tags:
                doc.problem(parts, f"tag {tag!r} is not declared in the top-level tags")
        if section == "webhooks" and key != op_id:
            doc.problem(parts, f"the webhook key {key!r} should equal its operationId {op_id!r}")
        _check_answers(doc, name, parts, operation, str(op_id))
        for index, param in [
            *((("parameters", i), p) for i, p in enumerate(item.get("parameters") or [])),
            *(((method, "parameters", i), p) for i, p in enumerate(operation.get("parameters") or [])),
        ]:
            _check_parameter(doc, param, (section, key, *index))
        body = operation.get("requestBody")
        if body:
            _check_request_body(doc, body, (*parts, "requestBody"), str(op_id))


def _check_answers(doc: Document, name: str, parts: Parts, operation: Mapping[str, Any], op_id: str) -> None:
    responses = operation.get("responses") or {}
    required = {"400", "503"} | ({"413", "415"} if operation.get("requestBody") else set())
    if name == "control":
        required.add("401")
    for status in sorted(required - set(responses)):
        doc.problem((*parts, "responses"), f"{op_id}: the {status} answer lendsim may give is not declared")
    if not any(str(status).startswith("2") for status in responses):
        doc.problem((*parts, "responses"), f"{op_id}: no success answer")
    for status, response in responses.items():
        _check_answer(doc, response, (*parts, "responses", status), str(status), op_id)


def _check_answer(doc: Document, response: Any, parts: Parts, status: str, op_id: str) -> None:
    node, node_parts = doc.deref(response, parts)
    if not isinstance(node, Mapping):
        return
    headers = node.get("headers") or {}
    header = headers.get(_VT_HEADER)
    if not (isinstance(header, Mapping) and header.get("$ref") == _VT_REF):
        doc.problem(node_parts, f"every answer declares the header {_VT_HEADER} ($ref: '{_VT_REF}')")
    content = node.get("content") or {}
    is_error = status[:1] in ("4", "5")
    if is_error and set(content) != {"application/problem+json"}:
        doc.problem(node_parts, f"the error answer {status} is application/problem+json only")
    for media_type, media in content.items():
        media_parts = (*node_parts, "content", media_type)
        if not isinstance(media, Mapping):
            continue
        schema = media.get("schema")
        if schema is None:
            doc.problem(media_parts, "a media type without a schema; add one")
            continue
        if is_error and schema != {"$ref": _PROBLEM_REF}:
            doc.problem((*media_parts, "schema"), f"an error answer's schema is $ref: '{_PROBLEM_REF}'")
        if not list(example_values(doc, media, media_parts)):
            doc.problem(media_parts, f"{op_id} {status}: the answer has no example; add one")
        example = media.get("example")
        if is_error and isinstance(example, Mapping) and status.isdigit() and example.get("status") != int(status):
            doc.problem(
                (*media_parts, "example"), f"the problem example says status {example.get('status')}, not {status}"
            )


def _check_parameter(doc: Document, param: Any, parts: Parts) -> None:
    node, node_parts = doc.deref(param, parts)
    if not isinstance(node, Mapping):
        return
    if node.get("in") == "path":
        schema = doc.schema(node.get("schema"))
        if isinstance(schema, Mapping) and schema.get("type") == "string":
            if "maxLength" not in schema:
                doc.problem(node_parts, "a path parameter without maxLength; bound it")
            if not ({"pattern", "format", "enum"} & set(schema)):
                doc.problem(node_parts, "a path parameter without a pattern, format or enum; constrain it")
    if "schema" in node:
        _check_request_schema(doc, (*node_parts, "schema"))


def _check_request_body(doc: Document, body: Any, parts: Parts, op_id: str) -> None:
    node, node_parts = doc.deref(body, parts)
    if not isinstance(node, Mapping):
        return
    content = node.get("content") or {}
    if set(content) != {"application/json"}:
        doc.problem(node_parts, "a request body is application/json only")
    for media_type, media in content.items():
        media_parts = (*node_parts, "content", media_type)
        if not isinstance(media, Mapping) or "schema" not in media:
            doc.problem(media_parts, "a request media type without a schema; add one")
            continue
        _check_body_shape(doc, media["schema"], (*media_parts, "schema"))
        _check_request_schema(doc, (*media_parts, "schema"))
        if not list(example_values(doc, media, media_parts)):
            doc.problem(media_parts, f"{op_id}: the request body has no example; add one")


def _check_body_shape(doc: Document, schema: Any, parts: Parts) -> None:
    target = doc.schema(schema)
    if isinstance(target, Mapping) and target.get("type") == "array":
        target = doc.schema(target.get("items"))
    if not isinstance(target, Mapping):
        doc.problem(parts, "the request schema cannot be resolved")
        return
    if target.get("type") != "object":
        doc.problem(parts, "a request body is an object (or an array of objects)")
        return
    if target.get("additionalProperties") is not False:
        doc.problem(parts, "a request body object sets additionalProperties: false")
    if "required" not in target and not _one_of_required(target):
        doc.problem(parts, "a request body object has a 'required' list")


def _check_request_schema(doc: Document, parts: Parts) -> None:
    """The strictness of what a client may send: bounded strings, numbers and arrays, closed objects."""
    seen: set[str] = set()

    def visit(node: Any, here: Parts) -> None:
        if not isinstance(node, Mapping):
            return
        ref = node.get("$ref")
        if isinstance(ref, str) and ref not in seen:
            seen.add(ref)
            target = doc.at(ref)
            if target is not None:
                visit(*target)
        types = node.get("type")
        types = [types] if isinstance(types, str) else (types or [])
        fixed = "enum" in node or "const" in node
        if (
            "string" in types
            and not fixed
            and "maxLength" not in node
            and node.get("format") not in ("date", "date-time")
        ):
            doc.problem(here, "a request-side string without maxLength (or enum, const, a date format); bound it")
        for kind in ("integer", "number"):
            if kind in types and not fixed and ("minimum" not in node or "maximum" not in node):
                doc.problem(here, f"a request-side {kind} without both minimum and maximum; bound it")
        if "object" in types:
            properties = node.get("properties")
            if properties and node.get("additionalProperties") is not False:
                doc.problem(here, "a request-side object sets additionalProperties: false")
            if properties and "required" not in node and not _one_of_required(node):
                doc.problem(here, "a request-side object without a 'required' list (or a oneOf of required ones)")
            for name in node.get("required") or []:
                if properties is not None and name not in properties:
                    doc.problem(here, f"the required property {name!r} is not declared in properties")
        if "array" in types and "maxItems" not in node:
            doc.problem(here, "a request-side array without maxItems; bound it")
        for key in SUBSCHEMA_MAPS:
            for name, sub in (node.get(key) or {}).items():
                visit(sub, (*here, key, name))
        for key in SUBSCHEMA_LISTS:
            for index, sub in enumerate(node.get(key) or []):
                visit(sub, (*here, key, index))
        for key in SUBSCHEMA_SINGLE:
            visit(node.get(key), (*here, key))

    node: Any = doc.document
    for part in parts:
        node = node[part]
    visit(node, parts)


def _one_of_required(node: Mapping[str, Any]) -> bool:
    """``oneOf: [{required: [a]}, {required: [b]}]``: the "exactly one of" idiom."""
    branches = node.get("oneOf") or node.get("anyOf") or []
    return bool(branches) and all(isinstance(b, Mapping) and b.get("required") for b in branches)


# -- across contracts ------------------------------------------------------------------------------------------


def check_receivers(documents: Sequence[Document]) -> list[Finding]:
    """A webhook of one contract and the operation of another's ``paths`` with the same operationId describe the
    same request body and the same 200 answer; with more than one contract, every webhook has such a receiver."""
    for sender in documents:
        for parts, _, hook in sender.operations("webhooks"):
            op_id = hook.get("operationId")
            receivers = [
                (receiver, receiver_parts, operation)
                for receiver in documents
                if receiver is not sender
                for receiver_parts, _, operation in receiver.operations("paths")
                if operation.get("operationId") == op_id
            ]
            if not receivers and len(documents) > 1:
                sender.problem(parts, f"no contract of the set receives the webhook {op_id!r}; add its receiver")
            for receiver, receiver_parts, operation in receivers:
                if _body_schema(sender, hook) != _body_schema(receiver, operation):
                    receiver.problem(
                        (*receiver_parts, "requestBody"),
                        f"the request schema differs from {sender.file}'s webhook {op_id}; make them the same",
                    )
                if _ok_content(sender, hook) != _ok_content(receiver, operation):
                    receiver.problem(
                        (*receiver_parts, "responses"),
                        f"the 200 answer differs from {sender.file}'s webhook {op_id}; make them the same",
                    )
    return [finding for document in documents for finding in document.findings]


def _body_schema(doc: Document, operation: Mapping[str, Any]) -> Any:
    body = doc.deref(operation.get("requestBody"), ())[0] or {}
    media = (body.get("content") or {}).get("application/json") or {}
    return _inline(doc, media.get("schema"))


def _ok_content(doc: Document, operation: Mapping[str, Any]) -> Any:
    answer = _inline(doc, doc.deref((operation.get("responses") or {}).get("200"), ())[0]) or {}
    return answer.get("content")


def _inline(doc: Document, schema: Any, depth: int = 0) -> Any:
    """``schema`` with its local ``$ref``s written out and its documentation keywords left out, to compare."""
    if depth > 40:
        return "<too deep>"
    if isinstance(schema, Mapping):
        if "$ref" in schema:
            target = doc.schema({"$ref": schema["$ref"]})
            rest = {key: value for key, value in schema.items() if key != "$ref"}
            inlined = _inline(doc, target, depth + 1)
            return {"allOf": [inlined, _inline(doc, rest, depth + 1)]} if rest else inlined
        return {key: _inline(doc, value, depth + 1) for key, value in schema.items() if key not in _DOCUMENTATION}
    if isinstance(schema, list):
        return [_inline(doc, value, depth + 1) for value in schema]
    return schema
