"""Check a contract file the way ``lendsim lint`` reports it: file, line, column, key path, reason, fix.

Four passes, stopping at the first that fails: the text reads as YAML/JSON; every value is one JSON can hold
(an unquoted ``2019-05-10`` is a date to YAML); the document is valid OpenAPI (openapi-spec-validator); it
loads (references resolve, operations index). Then, on the loaded contract:

* every example matches its schema, formats included: ``example`` and ``examples`` of media types,
  parameters and headers (an Example Object through its ``$ref`` too, and it must have a ``value``), and the
  ``examples`` / ``example`` keywords inside schemas; a ``$ref`` inside an example value is flagged, since it
  is literal data there;
* every link targets an operation of the contract, names its parameters, and uses runtime expressions whose
  ``$request.body#/x`` / ``$response.body#/x`` name a property of that body.

``conventions=True`` adds the house rules of the contracts lendsim ships (:mod:`simulator.openapi._conventions`);
:func:`lint_receivers` checks that a webhook one contract sends and the operation another receives it with agree.
A key a mapping repeats (the last value would silently win) is an error whatever the passes find.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

import jsonschema_rs

from simulator._suggest import did_you_mean
from simulator._yaml import Finding, YamlDocument, YamlError, dotted, json_for_yaml, load_yaml, read_text
from simulator.errors import ContractError
from simulator.openapi._contract import external_ref_reason, external_refs, load_contract, upgrade_30
from simulator.openapi._conventions import check_conventions, check_receivers
from simulator.openapi._document import Document, Parts, example_values, finding, subschemas
from simulator.openapi._form import form_kinds as _form_kinds
from simulator.openapi._form import read_form, read_form_value
from simulator.openapi._refs import References

__all__ = ["Finding", "lint_contract", "lint_receivers"]

_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
_RUNTIME_EXPRESSION: Final = re.compile(
    r"^\$(url|method|statusCode|request\.(path|query|header|body)|response\.(header|body))"
)
_BODY_PROPERTY: Final = re.compile(r"^\$(request|response)\.body#/([^/]+)$")


def lint_contract(path: str | Path, *, conventions: bool = False) -> list[Finding]:
    """Every problem found in the contract at ``path`` (empty when it is clean).

    ``conventions`` adds the house rules of lendsim's own contracts (``contracts/*.yaml``).
    """
    file = str(path)
    try:
        text = read_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        return [Finding(file, None, None, "", f"cannot read the file: {exc}")]
    try:
        source = _load(path, text)
    except YamlError as exc:
        return [Finding(file, exc.line, exc.column, "", f"invalid YAML: {exc.reason}")]
    repeated = [
        Finding(file, *duplicate.second, dotted(duplicate.path), str(duplicate)) for duplicate in source.duplicates
    ]
    return sorted([*repeated, *_problems(path, file, source, conventions)], key=lambda finding: finding.order)


def _load(path: str | Path, text: str) -> YamlDocument:
    """The document with positions: JSON is YAML, once JSON's escapes for a character beyond U+FFFF are spelled
    YAML's way."""
    return load_yaml(json_for_yaml(text) if Path(path).suffix == ".json" else text)


def _problems(path: str | Path, file: str, source: YamlDocument, conventions: bool) -> list[Finding]:
    document = source.data
    if document is None:
        return [
            Finding(file, 1, 1, "", "the file is empty; a contract starts with 'openapi: 3.1.0', 'info' and 'paths'")
        ]
    if not isinstance(document, Mapping):
        return [
            Finding(
                file,
                1,
                1,
                "",
                f"a contract is a mapping ('openapi', 'info', 'paths'); this file holds a {type(document).__name__}",
            )
        ]
    findings = [
        finding(file, source, parts, f"YAML reads {_text(value)} as a {type(value).__name__}, not a string; quote it")
        for parts, value in _not_json(document, ())
    ]
    if findings:
        return findings
    # Before the OpenAPI validator, which would follow them (fetch a URL, read a file and quote it).
    findings = [finding(file, source, parts, external_ref_reason(ref)) for parts, ref in external_refs(document)]
    if findings:
        return findings
    version = str(document.get("openapi", ""))
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator  # ~1 s to import

    validator_cls = OpenAPIV30SpecValidator if version.startswith("3.0") else OpenAPIV31SpecValidator
    try:
        spec_errors = list(validator_cls(_stringify_keys(document)).iter_errors())
    except Exception as exc:  # the validator chokes on some broken documents; report, don't crash
        spec_errors = []
        findings.append(Finding(file, None, None, "", f"not a valid OpenAPI document: {exc}"))
    for error in spec_errors[:50]:
        parts = tuple(getattr(error, "absolute_path", ()) or ())
        findings.append(finding(file, source, parts, f"{error.message} (OpenAPI {version or '?'})"))
    if findings:
        return findings
    try:
        contract = load_contract(path)
    except ContractError as exc:
        parts = tuple(p.replace("~1", "/").replace("~0", "~") for p in exc.pointer.strip("/").split("/") if p)
        pos = source.position(parts) if parts else None
        return [
            Finding(file, exc.line or (pos[0] if pos else None), pos[1] if pos else None, dotted(parts), exc.reason)
        ]
    doc = Document(file, source, contract.document)
    # A big contract compiles each operation's validators on its first request: compile them all here, so a
    # schema that does not compile is a finding now rather than a 500 later.
    for section, operations in (("paths", list(contract.operations)), ("webhooks", list(contract.webhooks.values()))):
        for operation in operations:
            try:
                operation.compile()
            except ContractError as exc:
                name = operation.path if section == "paths" else operation.path.removeprefix("/")
                doc.problem((section, name, operation.method.lower()), f"{exc.reason}; fix the schema")
    examples = _Examples(doc)
    _check_examples(doc, examples)
    _check_schema_examples(doc, examples)
    examples.check()
    _check_links(doc)
    if conventions:
        check_conventions(doc, Path(path).stem)
    return doc.findings


def lint_receivers(paths: Iterable[str | Path]) -> list[Finding]:
    """Where one of these contracts sends a webhook and another receives it (an operation of its ``paths``
    with the same operationId), both must describe the same request body and the same 200 answer."""
    documents = []
    for path in paths:
        try:
            contract = load_contract(path)
            source = _load(path, read_text(path))
        except (ContractError, YamlError, OSError):
            continue  # lint_contract reports what is wrong with the file itself
        documents.append(Document(str(path), source, contract.document))
    return check_receivers(documents)


# -- examples --------------------------------------------------------------------------------------------------


class _Examples:
    """The examples of one document, checked against their schemas in one compilation: every schema an example
    names goes under ``$defs`` beside the document's ``components`` and one validator map serves them all (one
    compilation per example made a large contract take minutes and gigabytes)."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.pending: list[tuple[Parts, Mapping[str, Any], Any, str]] = []

    def add(self, parts: Parts, schema: Any, value: Any, what: str = "example") -> None:
        for ref_parts in _refs_inside(value, parts):
            self.doc.problem(
                ref_parts, "a $ref inside an example value is literal data, not a reference; write the value out"
            )
        if isinstance(schema, Mapping):
            self.pending.append((parts, schema, value, what))

    def check(self) -> None:
        if not self.pending:
            return
        components = self.doc.document.get("components", {})
        schemas = {str(index): schema for index, (_, schema, _, _) in enumerate(self.pending)}
        if str(self.doc.document.get("openapi", "")).startswith("3.0"):  # what the simulator validates with
            components, schemas = upgrade_30(components), upgrade_30(schemas)
        try:
            validators = jsonschema_rs.validator_map_for(
                {"$schema": _DIALECT, "components": components, "$defs": schemas}, validate_formats=True
            )
        except (ValueError, jsonschema_rs.ValidationError):
            validators = None  # each schema compiled alone below names the one that does not compile
        for index, (parts, _, value, what) in enumerate(self.pending):
            validator = validators.get(f"#/$defs/{index}") if validators is not None else None
            if validator is None:  # a subschema that does not compile is left out of the map
                try:
                    validator = jsonschema_rs.validator_for(
                        {"$schema": _DIALECT, **schemas[str(index)], "components": components}, validate_formats=True
                    )
                except (ValueError, jsonschema_rs.ValidationError) as exc:
                    self.doc.problem(parts, f"the schema of this {what} cannot be compiled: {exc}; fix the schema")
                    continue
            for error in validator.iter_errors(value):
                where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.instance_path)
                message = error.message if len(error.message) <= 300 else error.message[:297] + "..."
                self.doc.problem(
                    parts, f"{what}{where} does not match its schema: {message}; fix the {what} or the schema"
                )


def _check_examples(doc: Document, examples: _Examples) -> None:
    """Every example of a media type, parameter or header (anything with a ``schema``) against that schema."""

    refs = References(doc.document)

    def visit(node: Any, parts: Parts) -> None:
        if isinstance(node, Mapping):
            schema = node.get("schema")
            if isinstance(schema, Mapping) and ("example" in node or "examples" in node):
                for value_parts, value in example_values(doc, node, parts):
                    examples.add(value_parts, schema, _as_read(node, parts, value, schema, refs))
            for key, value in node.items():
                if key not in ("example", "examples", "schema"):
                    visit(value, (*parts, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                visit(value, (*parts, index))

    visit(doc.document, ())


def _schema_roots(node: Any, parts: Parts) -> Iterator[tuple[Any, Parts]]:
    """Every schema that is not inside another one: the components' and each ``schema`` of a media type,
    parameter or header."""
    if not isinstance(node, Mapping | list):
        return
    items = node.items() if isinstance(node, Mapping) else enumerate(node)
    for key, value in items:
        here = (*parts, key)
        if key == "schema" and isinstance(node, Mapping):
            yield value, here
        elif here[-2:] == ("components", "schemas") and isinstance(value, Mapping):
            for name, schema in value.items():
                yield schema, (*here, name)
        elif key not in ("example", "examples"):
            yield from _schema_roots(value, here)


def _as_read(node: Mapping[str, Any], parts: Parts, value: Any, schema: Any, refs: References) -> Any:
    """An example as the mock reads what it stands for: a parameter's text (``"true"``, ``"5"``) as its schema's
    type, a form body's fields as theirs (one value of an array field as a list): on the wire these are text, so
    an example written as text is not wrong."""
    linked = refs.linked(schema)
    if node.get("in") in ("query", "path", "header", "cookie") and isinstance(value, str):
        kinds = [kind for kind in _form_kinds(linked) if kind != "string"]
        if "array" in kinds:
            return [read_form_value(item, refs.linked(linked.get("items") or {})) for item in value.split(",")]
        return read_form_value(value, linked)
    if parts and parts[-1] == "application/x-www-form-urlencoded" and isinstance(value, Mapping):
        return read_form(urlencode(list(_form_pairs(value, ""))), linked)
    return value


def _form_pairs(value: Any, prefix: str) -> Iterator[tuple[str, str]]:
    """An object as the form fields that carry it (``a[b]=…``, one field per list item)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _form_pairs(item, f"{prefix}[{key}]" if prefix else str(key))
    elif isinstance(value, list):
        for item in value:
            yield from _form_pairs(item, prefix)
    elif isinstance(value, bool):
        yield prefix, "true" if value else "false"
    else:
        yield prefix, "" if value is None else str(value)


def _check_schema_examples(doc: Document, examples: _Examples) -> None:
    """The ``examples`` (a list) and ``example`` keywords inside schemas, each against its own schema."""
    for root, root_parts in _schema_roots(doc.document, ()):
        for schema, parts in subschemas(root, root_parts):
            listed = schema.get("examples")
            for index, value in enumerate(listed) if isinstance(listed, list) else ():  # the validator says if not
                examples.add((*parts, "examples", index), schema, value)
            if "example" in schema:
                examples.add((*parts, "example"), schema, schema["example"])


# -- links -----------------------------------------------------------------------------------------------------


def _check_links(doc: Document) -> None:
    """Each link targets an operation of ``paths``, names its parameters, and its runtime expressions hold."""
    targets = {
        op["operationId"]: (item, op)
        for _, item, op in doc.operations("paths")
        if isinstance(op.get("operationId"), str)
    }
    for parts, _item, operation in doc.operations("paths", "webhooks"):
        responses = operation.get("responses")
        for status, response in responses.items() if isinstance(responses, Mapping) else ():
            answer, answer_parts = doc.deref(response, (*parts, "responses", status))
            links = answer.get("links") if isinstance(answer, Mapping) else None
            for name, link in links.items() if isinstance(links, Mapping) else ():
                node, link_parts = doc.deref(link, (*answer_parts, "links", name))
                if not isinstance(node, Mapping) or "operationRef" in node:
                    continue  # an operationRef may point into another document: not followed
                if "operationId" not in node:
                    doc.problem(
                        link_parts, "a link without an operationId (or operationRef); name its target operation"
                    )
                    continue
                _check_link(doc, node, link_parts, targets, operation, answer)


def _check_link(
    doc: Document,
    link: Mapping[str, Any],
    parts: Parts,
    targets: Mapping[str, tuple[Mapping[str, Any], Mapping[str, Any]]],
    operation: Mapping[str, Any],
    answer: Mapping[str, Any],
) -> None:
    target = link["operationId"]
    if target not in targets:
        hint = did_you_mean(target, targets) or "name an operation of this contract's paths"
        doc.problem((*parts, "operationId"), f"the link targets {target!r}, which is no operation here; {hint}")
        return
    item, op = targets[target]
    names: set[str] = set()
    for param in [*(item.get("parameters") or []), *(op.get("parameters") or [])]:
        node, _ = doc.deref(param, parts)
        if isinstance(node, Mapping):
            names.update({str(node.get("name")), f"{node.get('in')}.{node.get('name')}"})
    parameters = link.get("parameters")
    for name, expression in parameters.items() if isinstance(parameters, Mapping) else ():
        where = (*parts, "parameters", name)
        if name not in names:
            doc.problem(where, f"{name!r} is not a parameter of {target}; use one of its parameters' names")
        if not isinstance(expression, str) or not expression.startswith("$"):
            continue
        if not _RUNTIME_EXPRESSION.match(expression):
            doc.problem(where, f"{expression!r} is not an OpenAPI runtime expression (e.g. '$response.body#/id')")
            continue
        match = _BODY_PROPERTY.match(expression)
        if match is None:
            continue
        side, prop = match.groups()
        holder = doc.deref(operation.get("requestBody"), ())[0] if side == "request" else answer
        content = holder.get("content") if isinstance(holder, Mapping) else None
        media = content.get("application/json") if isinstance(content, Mapping) else None
        body = doc.schema(media.get("schema")) if isinstance(media, Mapping) else None
        properties = body.get("properties") if isinstance(body, Mapping) else None
        if not isinstance(properties, Mapping) or prop not in properties:
            doc.problem(where, f"the {side} body has no property {prop!r}; name one of its properties")


# -- helpers ---------------------------------------------------------------------------------------------------


def _not_json(node: Any, parts: Parts) -> Iterator[tuple[Parts, Any]]:
    """Values YAML made that JSON cannot hold (dates, times, binary, sets), with their key paths."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from _not_json(value, (*parts, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _not_json(value, (*parts, index))
    elif isinstance(node, dt.date | dt.datetime | dt.time | bytes | set):
        yield parts, node


def _text(value: Any) -> str:
    return str(value.isoformat()) if isinstance(value, dt.date | dt.time) else repr(value)


def _refs_inside(value: Any, parts: Parts) -> Iterator[Parts]:
    if isinstance(value, Mapping):
        if "$ref" in value:
            yield parts
        for key, item in value.items():
            yield from _refs_inside(item, (*parts, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _refs_inside(item, (*parts, index))


def _stringify_keys(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {str(k): _stringify_keys(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_stringify_keys(v) for v in node]
    return node
