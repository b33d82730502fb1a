"""Check lendsim's OpenAPI contracts (contracts/*.yaml).

For each contract:
  * the file is plain JSON data once parsed (no YAML timestamps: quote dates and times);
  * it is a valid OpenAPI 3.1 document (openapi-spec-validator);
  * every example validates against its schema, formats included (jsonschema-rs, JSON Schema 2020-12,
    with the whole document in a registry so local $refs resolve): media-type `example`/`examples`
    of requests and responses (webhooks included), parameter and header examples, and the `examples`
    keyword of every schema;
  * the project's conventions hold: openapi 3.1.0, info and servers; Problem/ProblemField/Money and the
    reusable error responses as agreed; every operation (webhooks too) has a camelCase unique
    operationId, summary, description and declared tags, 400 and 503 (plus 413/415 with a body, 401 in
    the control API); error responses are problem+json with the Problem schema; every response declares
    X-Lendsim-Virtual-Time; request bodies are application/json objects with additionalProperties:
    false and a required list; request-side strings, integers and arrays are bounded; path parameters
    have a pattern/format and maxLength; every request and success response has an example; links
    target existing operations, parameters and body properties;
  * across files: the bank/sms webhooks and the platform's receivers have identical request schemas
    and 200 responses.

Run: .venv/bin/python scripts/check_contracts.py [contract.yaml ...]
Prints one line per problem and exits 1 if there is any.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml
from openapi_spec_validator import OpenAPIV31SpecValidator

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = {
    "bank": "/bank",
    "bureau": "/bureau",
    "sms": "/sms",
    "platform": "/",
    "control": "/_sim",
}
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*$")
RUNTIME_EXPRESSION = re.compile(r"^\$(url|method|statusCode|request\.(path|query|header|body)|response\.(header|body))")
VT_HEADER = "X-Lendsim-Virtual-Time"
VT_REF = "#/components/headers/VirtualTime"
PROBLEM_REF = "#/components/schemas/Problem"
PROBLEM_REQUIRED = {"type", "title", "status"}
MONEY = {
    "type": "string",
    "pattern": r"^(0|[1-9][0-9]{0,11})\.[0-9]{2}$",
}
# Receivers that the bank and sms contracts describe as webhooks and the platform contract as paths.
SHARED_RECEIVERS = {"bank": ("repayResultNotify", "bankNotice"), "sms": ("smsReport",)}
SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
SUBSCHEMA_SINGLE = (
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


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str | int) -> str:
    return "".join("/" + escape(str(t)) for t in tokens)


def get(doc: Any, ptr: str) -> Any:
    node = doc
    for raw in ptr.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


class Contract:
    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self.path = path
        self.rel = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
        self.problems: list[str] = []
        self.doc: Any = None
        self.uri = f"urn:lendsim:contract:{name}"
        self._registry: jsonschema_rs.Registry | None = None
        self._validators: dict[str, Any] = {}

    def problem(self, ptr: str, message: str) -> None:
        line = f"{self.rel}: {ptr or '/'}: {message}"
        if line not in self.problems:  # a shared component is reached from several operations
            self.problems.append(line)

    # -- references -------------------------------------------------------------------------------
    def deref(self, node: Any, ptr: str) -> tuple[Any, str]:
        """Follow local $refs of non-schema objects (responses, parameters, ...); return node and pointer."""
        seen = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#"):
                self.problem(ptr, f"only local $refs are allowed, found {ref!r}")
                return None, ptr
            if ref in seen:
                self.problem(ptr, f"$ref cycle through {ref!r}")
                return None, ptr
            seen.add(ref)
            try:
                node, ptr = get(self.doc, ref[1:]), ref[1:]
            except (KeyError, IndexError, ValueError):
                self.problem(ptr, f"unresolvable $ref {ref!r}")
                return None, ptr
        return node, ptr

    def resolved_schema(self, schema: Any) -> Any:
        """A schema with its top-level $ref chain followed (siblings of $ref are ignored here)."""
        seen = set()
        while isinstance(schema, dict) and "$ref" in schema and schema["$ref"] not in seen:
            seen.add(schema["$ref"])
            try:
                schema = get(self.doc, schema["$ref"][1:])
            except (KeyError, IndexError, ValueError):
                return None
        return schema

    def inline(self, schema: Any, depth: int = 0) -> Any:
        """Fully inline local $refs (for structural comparison), dropping documentation keywords."""
        if depth > 40:
            return "<too deep>"
        if isinstance(schema, dict):
            if "$ref" in schema:
                target = self.resolved_schema({"$ref": schema["$ref"]})
                merged = {k: v for k, v in schema.items() if k != "$ref"}
                inlined = self.inline(target, depth + 1)
                if merged:
                    return {"allOf": [inlined, self.inline(merged, depth + 1)]}
                return inlined
            return {
                k: self.inline(v, depth + 1)
                for k, v in schema.items()
                if k not in ("description", "examples", "example", "summary", "title")
            }
        if isinstance(schema, list):
            return [self.inline(v, depth + 1) for v in schema]
        return schema

    # -- example validation -----------------------------------------------------------------------
    def validator(self, schema_ptr: str) -> Any:
        if schema_ptr not in self._validators:
            if self._registry is None:
                resources = [(self.uri, self.doc)]
                self._registry = jsonschema_rs.Registry(resources, draft=jsonschema_rs.Draft202012)
            fragment = urllib.parse.quote(schema_ptr, safe="/~-_.!$&'()*+,;=:@")
            wrapper = {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "$ref": f"{self.uri}#{fragment}",
            }
            try:
                self._validators[schema_ptr] = jsonschema_rs.validator_for(
                    wrapper, registry=self._registry, validate_formats=True
                )
            except Exception as exc:  # a broken schema is reported once, at the schema
                self.problem(schema_ptr, f"schema cannot be compiled: {exc}")
                self._validators[schema_ptr] = None
        return self._validators[schema_ptr]

    def check_value(self, value: Any, schema_ptr: str, where: str) -> None:
        for ref_ptr in refs_inside(value, where):
            self.problem(ref_ptr, "$ref inside an example value is literal data, not a reference")
        validator = self.validator(schema_ptr)
        if validator is None:
            return
        for error in validator.iter_errors(value):
            at = "/".join(str(p) for p in error.instance_path)
            message = error.message if len(error.message) <= 300 else error.message[:297] + "..."
            self.problem(where, f"example does not match its schema at /{at}: {message}")

    def check_examples_of(self, holder: dict[str, Any], holder_ptr: str, schema_ptr: str | None) -> int:
        """Validate `example` and `examples` (OpenAPI Example objects) of a media type/parameter/header."""
        count = 0
        if "example" in holder:
            count += 1
            if schema_ptr:
                self.check_value(holder["example"], schema_ptr, holder_ptr + "/example")
        for key, ex in (holder.get("examples") or {}).items():
            ex_node, ex_ptr = self.deref(ex, holder_ptr + pointer("examples", key))
            if not isinstance(ex_node, dict):
                continue
            if "value" not in ex_node:
                self.problem(ex_ptr, "example object without a `value`")
                continue
            count += 1
            if schema_ptr:
                self.check_value(ex_node["value"], schema_ptr, ex_ptr + "/value")
        return count

    def walk_schema(self, schema: Any, ptr: str, request_side: bool) -> Iterator[tuple[dict[str, Any], str]]:
        if not isinstance(schema, dict):
            return
        yield schema, ptr
        for key in SUBSCHEMA_MAPS:
            for name, sub in (schema.get(key) or {}).items():
                yield from self.walk_schema(sub, ptr + pointer(key, name), request_side)
        for key in SUBSCHEMA_LISTS:
            for i, sub in enumerate(schema.get(key) or []):
                yield from self.walk_schema(sub, ptr + pointer(key, i), request_side)
        for key in SUBSCHEMA_SINGLE:
            if isinstance(schema.get(key), dict):
                yield from self.walk_schema(schema[key], ptr + pointer(key), request_side)

    def all_schema_roots(self) -> Iterator[str]:
        """Pointers of every schema that is not itself inside another schema."""
        for name in self.doc.get("components", {}).get("schemas") or {}:
            yield pointer("components", "schemas", name)
        for section in ("paths", "webhooks"):
            for pname, item in (self.doc.get(section) or {}).items():
                base = pointer(section, pname)
                for i, param in enumerate(item.get("parameters") or []):
                    if isinstance(param, dict) and "schema" in param:
                        yield base + pointer("parameters", i, "schema")
                for method in HTTP_METHODS:
                    op = item.get(method)
                    if not isinstance(op, dict):
                        continue
                    obase = base + pointer(method)
                    for i, param in enumerate(op.get("parameters") or []):
                        if isinstance(param, dict) and "schema" in param:
                            yield obase + pointer("parameters", i, "schema")
                    body = op.get("requestBody")
                    if isinstance(body, dict):
                        for mt in body.get("content") or {}:
                            yield obase + pointer("requestBody", "content", mt, "schema")
                    for status, resp in (op.get("responses") or {}).items():
                        if not isinstance(resp, dict):
                            continue
                        for mt in resp.get("content") or {}:
                            yield obase + pointer("responses", status, "content", mt, "schema")
                        for hname, header in (resp.get("headers") or {}).items():
                            if isinstance(header, dict) and "schema" in header:
                                yield obase + pointer("responses", status, "headers", hname, "schema")
        comps = self.doc.get("components") or {}
        for kind in ("parameters", "headers"):
            for name, node in (comps.get(kind) or {}).items():
                if isinstance(node, dict) and "schema" in node:
                    yield pointer("components", kind, name, "schema")
        for name, resp in (comps.get("responses") or {}).items():
            for mt in (resp.get("content") or {}) if isinstance(resp, dict) else {}:
                yield pointer("components", "responses", name, "content", mt, "schema")
        for name, body in (comps.get("requestBodies") or {}).items():
            for mt in (body.get("content") or {}) if isinstance(body, dict) else {}:
                yield pointer("components", "requestBodies", name, "content", mt, "schema")

    def check_schema_examples(self) -> None:
        for root in self.all_schema_roots():
            try:
                schema = get(self.doc, root)
            except (KeyError, IndexError):
                continue
            for node, ptr in self.walk_schema(schema, root, False):
                examples = node.get("examples")
                if examples is not None:
                    if not isinstance(examples, list):
                        self.problem(ptr, "schema `examples` must be a list (JSON Schema 2020-12)")
                    else:
                        for i, value in enumerate(examples):
                            self.check_value(value, ptr, ptr + pointer("examples", i))
                if "example" in node:
                    self.check_value(node["example"], ptr, ptr + "/example")

    # -- strictness of request-side schemas ---------------------------------------------------------
    def lint_request_schema(self, schema_ptr: str) -> None:
        seen: set[str] = set()

        def visit(node: Any, ptr: str) -> None:
            if not isinstance(node, dict):
                return
            if "$ref" in node:
                ref = node["$ref"]
                if ref not in seen:
                    seen.add(ref)
                    target = self.resolved_schema({"$ref": ref})
                    visit(target, ref[1:])
            types = node.get("type")
            types = [types] if isinstance(types, str) else (types or [])
            fixed = "enum" in node or "const" in node
            bounded_format = node.get("format") in ("date", "date-time")
            if "string" in types and not fixed and "maxLength" not in node and not bounded_format:
                self.problem(ptr, "request-side string without maxLength (or enum/const/date format)")
            if "integer" in types and not fixed and ("minimum" not in node or "maximum" not in node):
                self.problem(ptr, "request-side integer without both minimum and maximum")
            if "number" in types and not fixed and ("minimum" not in node or "maximum" not in node):
                self.problem(ptr, "request-side number without both minimum and maximum")
            if "object" in types:
                props = node.get("properties")
                if props and node.get("additionalProperties") is not False:
                    self.problem(ptr, "request-side object must set additionalProperties: false")
                if props and "required" not in node and not one_of_required(node):
                    self.problem(ptr, "request-side object without a `required` list (or oneOf of required)")
                for req in node.get("required") or []:
                    if props is not None and req not in props:
                        self.problem(ptr, f"required property {req!r} is not declared in properties")
            if "array" in types and "maxItems" not in node:
                self.problem(ptr, "request-side array without maxItems")
            for key in SUBSCHEMA_MAPS:
                for name, sub in (node.get(key) or {}).items():
                    visit(sub, ptr + pointer(key, name))
            for key in SUBSCHEMA_LISTS:
                for i, sub in enumerate(node.get(key) or []):
                    visit(sub, ptr + pointer(key, i))
            for key in SUBSCHEMA_SINGLE:
                if isinstance(node.get(key), dict):
                    visit(node[key], ptr + pointer(key))

        try:
            visit(get(self.doc, schema_ptr), schema_ptr)
        except (KeyError, IndexError):
            self.problem(schema_ptr, "schema missing")

    # -- conventions ------------------------------------------------------------------------------
    def operations(self) -> Iterator[tuple[str, str, str, dict[str, Any], dict[str, Any]]]:
        """(section, path-or-webhook name, method, path item, operation)."""
        for section in ("paths", "webhooks"):
            for pname, item in (self.doc.get(section) or {}).items():
                if not isinstance(item, dict):
                    continue
                for method in HTTP_METHODS:
                    if isinstance(item.get(method), dict):
                        yield section, pname, method, item, item[method]

    def check_top(self) -> None:
        doc = self.doc
        if doc.get("openapi") != "3.1.0":
            self.problem("/openapi", "must be 3.1.0")
        info = doc.get("info") or {}
        for key in ("title", "version", "description"):
            if not info.get(key):
                self.problem("/info", f"info.{key} is missing")
        description = info.get("description") or ""
        if self.name in ("platform", "control"):
            if "lendsim" not in description:
                self.problem("/info/description", "must say how the contract relates to lendsim")
        elif "simulated by lendsim" not in description:
            self.problem("/info/description", "must say that the party is simulated by lendsim")
        servers = doc.get("servers") or []
        expected = CONTRACTS.get(self.name)
        if expected and not any(s.get("url") == expected for s in servers):
            self.problem("/servers", f"expected a server with url {expected!r}")
        comps = doc.get("components") or {}
        schemas = comps.get("schemas") or {}
        problem = schemas.get("Problem")
        if not isinstance(problem, dict):
            self.problem("/components/schemas", "Problem schema missing")
        else:
            if problem.get("type") != "object" or set(problem.get("required") or []) != PROBLEM_REQUIRED:
                self.problem("/components/schemas/Problem", "must be an object requiring type, title, status")
            props = problem.get("properties") or {}
            for key in ("type", "title", "status", "detail", "instance", "operation", "errors", "suggestion"):
                if key not in props:
                    self.problem("/components/schemas/Problem", f"property {key!r} missing")
            if problem.get("additionalProperties") is False:
                self.problem("/components/schemas/Problem", "problem extensions must stay allowed")
            status = props.get("status") or {}
            if (status.get("type"), status.get("minimum"), status.get("maximum")) != ("integer", 400, 599):
                self.problem("/components/schemas/Problem/properties/status", "must be integer 400..599")
        field = schemas.get("ProblemField")
        if not isinstance(field, dict) or set(field.get("required") or []) != {"field", "rule", "message"}:
            self.problem("/components/schemas/ProblemField", "must exist and require field, rule, message")
        money = schemas.get("Money")
        if money is not None and {k: money.get(k) for k in MONEY} != MONEY:
            self.problem("/components/schemas/Money", f"must be {MONEY}")
        header = (comps.get("headers") or {}).get("VirtualTime")
        if not isinstance(header, dict):
            self.problem("/components/headers", "VirtualTime header missing")
        else:
            if header.get("required") is not False:
                self.problem("/components/headers/VirtualTime", "must be required: false")
            if (header.get("schema") or {}).get("format") != "date-time":
                self.problem("/components/headers/VirtualTime", "schema must be a date-time string")
        responses = comps.get("responses") or {}
        for name, status in (
            ("BadRequest", 400),
            ("PayloadTooLarge", 413),
            ("UnsupportedMediaType", 415),
            ("Unavailable", 503),
        ):
            if name not in responses:
                self.problem("/components/responses", f"{name} ({status}) missing")
        if self.name == "control" and "Unauthorized" not in responses:
            self.problem("/components/responses", "Unauthorized (401) missing")
        if self.name == "control":
            schemes = comps.get("securitySchemes") or {}
            if not any(s.get("type") == "http" and s.get("scheme") == "bearer" for s in schemes.values()):
                self.problem("/components/securitySchemes", "a bearer securityScheme is required")

    def check_response(self, resp: Any, ptr: str, status: str, op_id: str) -> None:
        node, node_ptr = self.deref(resp, ptr)
        if not isinstance(node, dict):
            return
        headers = node.get("headers") or {}
        vt = headers.get(VT_HEADER)
        if not (isinstance(vt, dict) and vt.get("$ref") == VT_REF):
            self.problem(node_ptr, f"response must declare header {VT_HEADER} via $ref {VT_REF}")
        for hname, header in headers.items():
            hnode, hptr = self.deref(header, node_ptr + pointer("headers", hname))
            if isinstance(hnode, dict) and "schema" in hnode:
                self.check_examples_of(hnode, hptr, hptr + "/schema")
        content = node.get("content") or {}
        is_error = status[0] in "45"
        if is_error and set(content) != {"application/problem+json"}:
            self.problem(node_ptr, f"error {status} must have only application/problem+json content")
        for mt, media in content.items():
            mptr = node_ptr + pointer("content", mt)
            if not isinstance(media, dict):
                continue
            schema = media.get("schema")
            if schema is None:
                self.problem(mptr, "media type without schema")
                continue
            if is_error and schema != {"$ref": PROBLEM_REF}:
                self.problem(mptr + "/schema", f"error schema must be $ref {PROBLEM_REF}")
            count = self.check_examples_of(media, mptr, mptr + "/schema")
            if count == 0:
                self.problem(mptr, f"{op_id} {status}: response media type without example(s)")
            if is_error and "example" in media and isinstance(media["example"], dict):
                ex_status = media["example"].get("status")
                if status.isdigit() and ex_status != int(status):
                    self.problem(mptr + "/example", f"problem example says status {ex_status}, not {status}")

    def check_operations(self) -> None:
        op_ids: dict[str, str] = {}
        for section, pname, method, item, op in self.operations():
            ptr = pointer(section, pname, method)
            op_id = op.get("operationId")
            if not op_id:
                self.problem(ptr, "operationId missing")
                op_id = f"{method.upper()} {pname}"
            else:
                if not CAMEL.match(op_id):
                    self.problem(ptr, f"operationId {op_id!r} is not camelCase")
                if op_id in op_ids:
                    self.problem(ptr, f"operationId {op_id!r} also used at {op_ids[op_id]}")
                op_ids[op_id] = ptr
            for key in ("summary", "description"):
                if not op.get(key):
                    self.problem(ptr, f"{key} missing")
            if not op.get("tags"):
                self.problem(ptr, "tags missing")
            declared_tags = {t.get("name") for t in self.doc.get("tags") or []}
            for tag in op.get("tags") or []:
                if tag not in declared_tags:
                    self.problem(ptr, f"tag {tag!r} is not declared in the top-level tags")
            if section == "webhooks" and pname != op_id:
                self.problem(ptr, f"webhook key {pname!r} should equal its operationId {op_id!r}")
            responses = op.get("responses") or {}
            required = {"400", "503"}
            if op.get("requestBody"):
                required |= {"413", "415"}
            if self.name == "control":
                required.add("401")
            for status in sorted(required - set(responses)):
                self.problem(ptr + "/responses", f"{op_id}: response {status} missing")
            if not any(s.startswith("2") for s in responses):
                self.problem(ptr + "/responses", f"{op_id}: no success response")
            for status, resp in responses.items():
                self.check_response(resp, ptr + pointer("responses", status), str(status), op_id)
            # parameters
            all_params = [
                (pointer(section, pname, "parameters", i), p) for i, p in enumerate(item.get("parameters") or [])
            ]
            all_params += [(ptr + pointer("parameters", i), p) for i, p in enumerate(op.get("parameters") or [])]
            path_names = set(re.findall(r"{([^}]+)}", pname)) if section == "paths" else set()
            declared_path = set()
            for pptr, param in all_params:
                pnode, pnode_ptr = self.deref(param, pptr)
                if not isinstance(pnode, dict):
                    continue
                if pnode.get("in") == "path":
                    declared_path.add(pnode.get("name"))
                    schema = self.resolved_schema(pnode.get("schema"))
                    if isinstance(schema, dict) and schema.get("type") == "string":
                        if "maxLength" not in schema:
                            self.problem(pnode_ptr, "path parameter without maxLength")
                        if not ({"pattern", "format", "enum"} & set(schema)):
                            self.problem(pnode_ptr, "path parameter without pattern/format/enum")
                if "schema" in pnode:
                    self.check_examples_of(pnode, pnode_ptr, pnode_ptr + "/schema")
                    self.lint_request_schema(pnode_ptr + "/schema")
            for missing in sorted(path_names - declared_path):
                self.problem(ptr, f"path parameter {missing!r} not declared")
            # request body
            body = op.get("requestBody")
            if body:
                bnode, bptr = self.deref(body, ptr + "/requestBody")
                if isinstance(bnode, dict):
                    content = bnode.get("content") or {}
                    if set(content) != {"application/json"}:
                        self.problem(bptr, "request body must be application/json only")
                    for mt, media in content.items():
                        mptr = bptr + pointer("content", mt)
                        if "schema" not in media:
                            self.problem(mptr, "request media type without schema")
                            continue
                        self.check_request_schema_shape(media["schema"], mptr + "/schema")
                        self.lint_request_schema(mptr + "/schema")
                        if self.check_examples_of(media, mptr, mptr + "/schema") == 0:
                            self.problem(mptr, f"{op_id}: request body without example(s)")
            # links
            for status, resp in responses.items():
                rnode, rptr = self.deref(resp, ptr + pointer("responses", status))
                for lname, link in ((rnode or {}).get("links") or {}).items():
                    self.check_link(link, rptr + pointer("links", lname))
                    self.check_link_sources(link, rptr + pointer("links", lname), op, rnode)

    def check_request_schema_shape(self, schema: Any, ptr: str) -> None:
        target = self.resolved_schema(schema)
        if not isinstance(target, dict):
            self.problem(ptr, "request schema cannot be resolved")
            return
        if target.get("type") == "array":
            target = self.resolved_schema(target.get("items"))
            if not isinstance(target, dict):
                self.problem(ptr, "request array items cannot be resolved")
                return
        if target.get("type") != "object":
            self.problem(ptr, "request body schema must be an object (or an array of objects)")
            return
        if target.get("additionalProperties") is not False:
            self.problem(ptr, "request body object must set additionalProperties: false")
        if "required" not in target and not one_of_required(target):
            self.problem(ptr, "request body object without a `required` list")

    def op_index(self) -> dict[str, tuple[str, dict[str, Any], dict[str, Any]]]:
        return {
            op["operationId"]: (pname, item, op)
            for section, pname, _m, item, op in self.operations()
            if section == "paths" and op.get("operationId")
        }

    def check_link(self, link: Any, ptr: str) -> None:
        lnode, lptr = self.deref(link, ptr)
        if not isinstance(lnode, dict):
            return
        target = lnode.get("operationId")
        index = self.op_index()
        if target not in index:
            self.problem(lptr, f"link targets unknown operationId {target!r}")
            return
        _pname, item, op = index[target]
        names = set()
        for param in (item.get("parameters") or []) + (op.get("parameters") or []):
            pnode, _ = self.deref(param, lptr)
            if isinstance(pnode, dict):
                names.add(pnode.get("name"))
                names.add(f"{pnode.get('in')}.{pnode.get('name')}")
        for pname_, expr in (lnode.get("parameters") or {}).items():
            if pname_ not in names:
                self.problem(lptr, f"link parameter {pname_!r} is not a parameter of {target}")
            if isinstance(expr, str) and expr.startswith("$") and not RUNTIME_EXPRESSION.match(expr):
                self.problem(lptr, f"link expression {expr!r} is not an OpenAPI runtime expression")

    def check_link_sources(self, link: Any, ptr: str, op: dict[str, Any], response: dict[str, Any]) -> None:
        """`$request.body#/x` and `$response.body#/x` must name a property of the request/response body."""
        lnode, lptr = self.deref(link, ptr)
        if not isinstance(lnode, dict):
            return
        for pname, expr in (lnode.get("parameters") or {}).items():
            if not isinstance(expr, str):
                continue
            match = re.match(r"^\$(request|response)\.body#/([^/]+)$", expr)
            if not match:
                continue
            side, prop = match.groups()
            holder = (self.deref(op.get("requestBody"), lptr)[0] or {}) if side == "request" else response
            schema = ((holder.get("content") or {}).get("application/json") or {}).get("schema")
            target = self.resolved_schema(schema)
            if not isinstance(target, dict) or prop not in (target.get("properties") or {}):
                self.problem(lptr, f"link parameter {pname!r}: {side} body has no property {prop!r}")

    def check_security(self) -> None:
        if self.name != "control":
            return
        security = self.doc.get("security")
        if not security:
            self.problem("/security", "control API must declare its (optional) bearer security")

    def run(self) -> None:
        try:
            self.doc = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            self.problem("", f"cannot load: {exc}")
            return
        if not isinstance(self.doc, dict):
            self.problem("", "not a mapping")
            return
        for ptr, value in non_json(self.doc, ""):
            self.problem(ptr, f"YAML parsed {value!r} as a {type(value).__name__}, not a string; quote it")
        try:
            json.dumps(self.doc)
        except (TypeError, ValueError):
            return
        for error in OpenAPIV31SpecValidator(self.doc).iter_errors():
            where = "/" + "/".join(escape(str(p)) for p in getattr(error, "path", []) or [])
            self.problem(where, f"OpenAPI: {error.message}")
        self.check_top()
        self.check_security()
        self.check_operations()
        self.check_schema_examples()


def one_of_required(node: dict[str, Any]) -> bool:
    """`oneOf: [{required: [a]}, {required: [b]}]`: the "exactly one of" idiom."""
    branches = node.get("oneOf") or node.get("anyOf") or []
    return bool(branches) and all(isinstance(b, dict) and b.get("required") for b in branches)


def refs_inside(value: Any, ptr: str) -> Iterator[str]:
    if isinstance(value, dict):
        if "$ref" in value:
            yield ptr
        for k, v in value.items():
            yield from refs_inside(v, ptr + "/" + escape(str(k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from refs_inside(v, f"{ptr}/{i}")


def non_json(node: Any, ptr: str) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            if not isinstance(k, str):
                yield ptr + "/" + escape(str(k)), k
            yield from non_json(v, ptr + "/" + escape(str(k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from non_json(v, f"{ptr}/{i}")
    elif isinstance(node, (dt.date, dt.datetime, dt.time, bytes, set)):
        yield ptr, node


def body_schema(contract: Contract, op: dict[str, Any]) -> Any:
    body = contract.deref(op.get("requestBody"), "")[0] or {}
    return contract.inline(((body.get("content") or {}).get("application/json") or {}).get("schema"))


def check_shared_receivers(contracts: dict[str, Contract]) -> list[str]:
    """The bank/sms webhooks and the platform's receivers must describe the same request bodies."""
    out: list[str] = []
    platform = contracts.get("platform")
    if platform is None or platform.doc is None:
        return out
    pindex = platform.op_index()
    for name, op_ids in SHARED_RECEIVERS.items():
        partner = contracts.get(name)
        if partner is None or partner.doc is None:
            continue
        hooks = {op.get("operationId"): op for s, _p, _m, _i, op in partner.operations() if s == "webhooks"}
        for op_id in op_ids:
            if op_id not in hooks:
                out.append(f"{partner.rel}: /webhooks: webhook {op_id!r} missing")
                continue
            if op_id not in pindex:
                out.append(f"{platform.rel}: /paths: receiver {op_id!r} missing")
                continue
            hook, receiver = hooks[op_id], pindex[op_id][2]
            where = f"{platform.rel}: receiver {op_id}"
            if body_schema(partner, hook) != body_schema(platform, receiver):
                out.append(f"{where}: request schema differs from {partner.rel} webhook {op_id}")
            hook_ok = partner.inline(partner.deref(hook["responses"].get("200"), "")[0]) or {}
            recv_ok = platform.inline(platform.deref(receiver["responses"].get("200"), "")[0]) or {}
            if hook_ok.get("content") != recv_ok.get("content"):
                out.append(f"{where}: 200 response differs from {partner.rel} webhook {op_id}")
    return out


def main(argv: list[str]) -> int:
    paths = [Path(a).resolve() for a in argv] if argv else [ROOT / "contracts" / f"{name}.yaml" for name in CONTRACTS]
    contracts: dict[str, Contract] = {}
    problems: list[str] = []
    for path in paths:
        if not path.exists():
            problems.append(f"{path}: file missing")
            continue
        contract = Contract(path.stem, path)
        contract.run()
        contracts[path.stem] = contract
        problems += contract.problems
    problems += check_shared_receivers(contracts)
    for line in problems:
        print(line)
    sys.stdout.flush()
    if problems:
        print(f"{len(problems)} problem(s) in {len(contracts)} contract(s)", file=sys.stderr)
        return 1
    print(f"ok: {len(contracts)} contract(s) checked", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
