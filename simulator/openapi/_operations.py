"""Operations of a contract: matched by method + path or by operationId, validators compiled once.

The hot path (``OperationIndex.match`` then ``Operation.validate_request``) does a dict lookup or a few
regex matches and one compiled jsonschema-rs call per request part; nothing is interpreted per request.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple, TypeVar
from urllib.parse import parse_qsl, unquote

import jsonschema_rs

from simulator._suggest import closest, did_you_mean, suggest
from simulator.errors import ContractError
from simulator.openapi._decode import read_json
from simulator.openapi._form import coerce_one, read_form, read_form_value, read_multipart, read_pairs, subschema
from simulator.openapi._refs import Parts, References
from simulator.openapi._security import Denial, Scheme, check, requirements
from simulator.openapi._violation import Violation
from simulator.openapi._xml import read_xml

__all__ = [
    "DecodedBody",
    "MediaSpec",
    "Operation",
    "OperationIndex",
    "ResponseSpec",
    "Violation",
    "build_operation",
    "snake",
]


@functools.cache  # a handful of operation ids, converted on every call of a replay (~8,000 per 1,000 borrowers)
def snake(operation_id: str) -> str:
    """``repayResultNotify`` → ``repay_result_notify``: the method that serves an operation in Python (an
    in-process platform's, a reference platform's)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()


class _Validator:
    """A validator that reports Violations rooted at a location ("body", "query", …), compiled on first use.

    ``schema`` may refer into the contract's document (:meth:`References.ref`): it compiles against the document's
    registry, reaching only what it refers to.
    """

    __slots__ = ("_compiled", "_refs", "_root", "_schema", "is_valid")

    def __init__(self, schema: Mapping[str, Any], root: str, refs: References) -> None:
        self._schema = schema
        self._refs = refs
        self._root = root
        self._compiled: jsonschema_rs.Validator | None = None
        #: Whether ``instance`` passes: once compiled, the compiled validator's own method, so a check is one call
        #: into Rust (the request path asks this first and builds the errors only for what fails).
        self.is_valid: Callable[[Any], bool] = self._first_is_valid

    def compile(self) -> jsonschema_rs.Validator:
        """The compiled validator (compiled now if it was not); ContractError if the schema does not compile."""
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = self._refs.compile(self._schema, self)
            self.is_valid = compiled.is_valid
        return compiled

    def forget(self) -> None:
        """Drop the compiled validator (its contract holds too many): it compiles again on its next use."""
        self._compiled = None
        self.is_valid = self._first_is_valid

    def _first_is_valid(self, instance: Any) -> bool:
        return self.compile().is_valid(instance)

    def errors(self, instance: Any) -> list[Violation]:
        if self.is_valid(instance):
            return []
        found = []
        for error in self.compile().iter_errors(instance):
            found.append(_field_error(self._root, error))
        return found


def _location(root: str, parts: Sequence[str | int]) -> str:
    out = root
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _field_error(root: str, error: jsonschema_rs.ValidationError) -> Violation:
    kind = error.kind
    rule = kind.name
    parts = list(error.instance_path)
    details = kind.as_dict()
    if rule == "required":
        parts.append(str(details.get("property", "")).strip('"'))
        message = "is required"
    elif rule == "additionalProperties":
        unexpected = details.get("unexpected") or []
        if unexpected:
            parts.append(str(unexpected[0]))
        message = (
            f"is not a field of this {'response' if root == 'response' else 'request'}; remove it or check its spelling"
        )
    elif rule == "enum" and isinstance(error.instance, str):
        options = [str(option) for option in details.get("options") or []]
        message = f"{error.instance!r} is not an allowed value; {suggest(error.instance, options)}"
    else:
        message = error.message
    return Violation(_location(root, parts), rule, message)


class MediaSpec:
    """One content type of a request body or response: its schema, examples and validator.

    ``schema`` is the contract's schema with its ``$ref``s read as what they point at (linked when read, see
    :meth:`References.linked`); the validator compiles on first use.
    """

    __slots__ = ("_raw", "_refs", "_schema", "content_type", "example_names", "examples", "validator")

    def __init__(
        self,
        content_type: str,
        schema: Mapping[str, Any] | None,
        examples: tuple[Any, ...],
        validator: _Validator | None,
        refs: References | None = None,
        example_names: tuple[str | None, ...] = (),
    ) -> None:
        self.content_type = content_type
        self.examples = examples
        #: The name of each example in ``examples`` (None: the ``example`` keyword's or the schema's).
        self.example_names = example_names or (None,) * len(examples)
        self.validator = validator
        self._raw = schema
        self._refs = refs
        self._schema: Mapping[str, Any] | None = None if refs is not None else schema

    @property
    def schema(self) -> Mapping[str, Any] | None:
        if self._schema is None and self._raw is not None and self._refs is not None:
            self._schema = self._refs.linked(self._raw)
        return self._schema

    def errors(self, instance: Any) -> list[Violation]:
        return self.validator.errors(instance) if self.validator is not None else []

    def __repr__(self) -> str:
        return f"MediaSpec({self.content_type!r})"


# Lookups answered from a per-operation cache on the request path, each cache bounded: the keys come from
# the requests (content types) and the behaviours (statuses), and a fuzzer sends many of both.
_CACHED: Final = 64
_K = TypeVar("_K")
_V = TypeVar("_V")


def _remembered(cache: dict[_K, _V], key: _K, find: Callable[[_K], _V]) -> _V:
    """``find(key)``, from ``cache`` when it was asked before; the cache keeps at most :data:`_CACHED` keys.

    The request path reads a hit itself (a Python frame less) and calls this only on a miss.
    """
    if key in cache:
        return cache[key]
    found = find(key)
    if len(cache) < _CACHED:
        cache[key] = found
    return found


@dataclass(frozen=True, slots=True)
class ResponseSpec:
    status: str  # "200", "4XX", "default"
    description: str
    content: Mapping[str, MediaSpec]
    headers: frozenset[str]  # lower-case names declared
    #: The headers the contract requires on this answer, as written, with their schemas (read linked).
    required_headers: tuple[tuple[str, Mapping[str, Any]], ...] = ()
    _by_type: dict[str | None, MediaSpec | None] = field(default_factory=dict, compare=False, repr=False)

    def media(self, content_type: str | None) -> MediaSpec | None:
        return _remembered(self._by_type, content_type, self._media)

    def _media(self, content_type: str | None) -> MediaSpec | None:
        if not self.content:
            return None
        if content_type is not None:
            base = content_type.split(";", 1)[0].strip().lower()
            if base in self.content:
                return self.content[base]
        return next(iter(self.content.values()))


@dataclass(frozen=True, slots=True)
class _Param:
    name: str
    location: str
    required: bool
    kind: str  # "string", "integer", "number", "boolean", "array"; "union": typed by anyOf/oneOf/allOf branches
    item_kind: str
    #: The parameter's schema, linked (read only for a "union" kind and for ``name[key]=`` query fields).
    schema: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(eq=False, slots=True)
class Operation:
    """One operation of a contract (or one webhook it sends)."""

    partner: str
    operation_id: str
    method: str  # upper case
    path: str  # template, e.g. "/loans/{loanOuterNo}"
    summary: str
    description: str
    tags: tuple[str, ...]
    params: tuple[_Param, ...]
    body_required: bool
    body: Mapping[str, MediaSpec]  # content type → spec; empty when the operation takes no body
    responses: Mapping[str, ResponseSpec]
    _validators: dict[str, _Validator] = field(default_factory=dict)
    #: Alternatives of required security schemes (empty: none required); see simulator.openapi._security.
    security: tuple[tuple[Scheme, ...], ...] = ()
    _by_status: dict[int, ResponseSpec | None] = field(default_factory=dict, repr=False)
    _body_by_type: dict[str | None, MediaSpec | None] = field(default_factory=dict, repr=False)

    def compile(self) -> None:
        """Compile every validator now (they compile on first use otherwise); ContractError naming the part whose
        schema does not compile."""
        parts: list[tuple[str, _Validator | None]] = [*self._validators.items()]
        parts += [(f"requestBody.content.{t}", media.validator) for t, media in self.body.items()]
        for status, response in self.responses.items():
            parts += [(f"responses.{status}.content.{t}", media.validator) for t, media in response.content.items()]
        for where, validator in parts:
            if validator is None:
                continue
            try:
                validator.compile()
            except ContractError as exc:
                raise ContractError(f"{where}: {exc.reason}") from None

    def authorize(
        self, headers: Mapping[str, str], query: str, accepted: frozenset[str] | None = None
    ) -> Denial | None:
        """None when the request carries credentials of a kind the operation requires (each secret among
        ``accepted``, when given); else the 401/403 to answer."""
        return check(self.security, headers, query, accepted) if self.security else None

    @property
    def success(self) -> ResponseSpec | None:
        """The first declared 2xx response: what a mock answers by default."""
        for status in sorted(self.responses):
            if status.startswith("2"):
                return self.responses[status]
        return None

    def response(self, status: int) -> ResponseSpec | None:
        """The response spec that covers ``status`` (exact, then ``4XX``, then ``default``)."""
        return _remembered(self._by_status, status, self._response)

    def _response(self, status: int) -> ResponseSpec | None:
        text = str(status)
        return self.responses.get(text) or self.responses.get(f"{text[0]}XX") or self.responses.get("default")

    def validate_response(
        self, status: int, body: Any, content_type: str | None = None, *, declared_type: bool = False
    ) -> list[Violation]:
        """How an answer breaks the contract: an undeclared status, or a body outside its media schema.

        ``body`` is the decoded JSON (None: no body); ``content_type`` picks the media schema. With
        ``declared_type``, a content type the contract does not declare for the status is a violation too (a
        real service's answer; the simulator's own answers are JSON by construction).
        """
        by_status = self._by_status
        spec = by_status[status] if status in by_status else self.response(status)
        if spec is None:
            declared = ", ".join(sorted(self.responses)) or "none"
            return [Violation("status", "declared", f"status {status} is not declared (declared: {declared})")]
        if declared_type and spec.content:
            base = (content_type or "").split(";", 1)[0].strip().lower()
            if base not in spec.content:
                shown = repr(base) if base else "no content type"
                return [
                    Violation(
                        "header.content-type",
                        "contentType",
                        f"{shown} is not declared for status {status}; the contract declares {', '.join(spec.content)}",
                    )
                ]
        by_type = spec._by_type
        media = by_type[content_type] if content_type in by_type else spec.media(content_type)
        validator = media.validator if media is not None and body is not None else None
        if validator is None or validator.is_valid(body):
            return []
        return validator.errors(body)

    def body_media(self, content_type: str | None) -> MediaSpec | None:
        """The request media spec for ``content_type``; None if the operation does not accept it."""
        return _remembered(self._body_by_type, content_type, self._body_media)

    def _body_media(self, content_type: str | None) -> MediaSpec | None:
        if not self.body:
            return None
        base = (content_type or "").split(";", 1)[0].strip().lower()
        if base in self.body:
            return self.body[base]
        if base.endswith("+json") and "application/json" in self.body:
            return self.body["application/json"]
        for declared, spec in self.body.items():
            if declared in ("*/*", "application/*") or (declared.endswith("/*") and base.startswith(declared[:-1])):
                return spec
        return None

    def validate_params(
        self, path_params: Mapping[str, str], query: str, headers: Mapping[str, str]
    ) -> tuple[dict[str, Any], list[Violation]]:
        """Coerce and check path, query and header parameters. Returns (values by name, errors)."""
        if not (self.params or path_params or query):  # nothing declared, nothing sent: nothing to check
            return {}, []
        values: dict[str, Any] = {}
        errors: list[Violation] = []
        if "path" in self._validators or path_params:
            coerced = {p.name: _coerce(path_params.get(p.name), p) for p in self.params if p.location == "path"}
            values.update(coerced)
            if "path" in self._validators:
                errors.extend(self._validators["path"].errors(coerced))
        pairs = parse_qsl(query, keep_blank_values=True) if query else []
        if pairs or "query" in self._validators:
            declared = {p.name: p for p in self.params if p.location == "query"}
            raw: dict[str, list[str]] = {}
            for key, value in pairs:
                raw.setdefault(key, []).append(value)
            query_values: dict[str, Any] = {}
            deep: list[tuple[str, str]] = []
            for key, items in raw.items():
                param = declared.get(key)
                if param is None and key.endswith("]") and key.partition("[")[0] in declared:
                    deep.extend((key, item) for item in items)  # created[gt]=1: a deepObject field
                    continue
                if param is None:
                    hint = did_you_mean(key, declared) or (
                        f"this operation takes {', '.join(map(repr, declared))}"
                        if declared
                        else "this operation takes no query parameters"
                    )
                    errors.append(Violation(f"query.{key}", "additionalProperties", f"unknown query parameter; {hint}"))
                    continue
                query_values[key] = _coerce(items, param)
            if deep:
                nested = {name: declared[name].schema for name in {key.partition("[")[0] for key, _ in deep}}
                for name, value in read_pairs(deep, {"properties": nested}).items():
                    query_values.setdefault(name, value)  # given both ways (a=1&a[b]=2): the value stays
            values.update(query_values)
            if "query" in self._validators:
                errors.extend(self._validators["query"].errors(query_values))
        if "header" in self._validators:
            header_values = {
                p.name: _coerce(headers.get(p.name.lower()), p)
                for p in self.params
                if p.location == "header" and p.name.lower() in headers
            }
            errors.extend(self._validators["header"].errors(header_values))
            values.update(header_values)
        return values, errors

    def decode_body(self, body: bytes, content_type: str | None) -> tuple[Any, list[Violation], int]:
        """Parse and check the request body. Returns (value, errors, status for the errors: 400/415)."""
        decoded = self.decode(body, content_type)
        return decoded.value, decoded.errors, decoded.status

    def decode(self, body: bytes, content_type: str | None) -> DecodedBody:
        """:meth:`decode_body`, also saying whether the value is plain JSON (see :class:`DecodedBody`)."""
        if not self.body:
            return DecodedBody(None, [], 400)
        if not body:
            declared = self.body.get("application/x-www-form-urlencoded")
            if declared is not None and declared.validator is not None and _base(content_type) == declared.content_type:
                empty = read_form(
                    "", declared.schema or {}
                )  # a form with no fields: an object, its required ones missing
                return DecodedBody(empty, declared.validator.errors(empty), 400)
            if self.body_required:
                return DecodedBody(None, [Violation("body", "required", "a request body is required")], 400)
            return DecodedBody(None, [], 400)
        by_type = self._body_by_type
        media = by_type[content_type] if content_type in by_type else self.body_media(content_type)
        if media is None:
            accepted = ", ".join(self.body)
            violation = Violation(
                "header.content-type", "contentType", f"content type {content_type!r} is not accepted; send {accepted}"
            )
            return DecodedBody(None, [violation], 415)
        media_type = media.content_type
        if not (media_type == "application/json" or media_type.endswith("+json")):
            if media_type == "application/x-www-form-urlencoded" and media.validator is not None:
                form = read_form(body.decode("utf-8", "replace"), media.schema or {})
                return DecodedBody(form, media.validator.errors(form), 400)
            if media_type == "multipart/form-data" and media.validator is not None and content_type is not None:
                parts, unreadable = read_multipart(body, content_type, media.schema or {})
                if unreadable is not None:
                    return DecodedBody(None, [unreadable], 400)
                return DecodedBody(parts, media.validator.errors(parts), 400)
            if _is_xml(media_type) and media.validator is not None:
                document, malformed = read_xml(body, media.schema or {})
                if malformed is not None:
                    return DecodedBody(None, [malformed], 400)
                return DecodedBody(document, media.validator.errors(document), 400)
            return DecodedBody(body.decode("utf-8", "replace"), [], 400)  # not JSON nor a form: the text as is
        value, plain, refused = read_json(body)
        if refused is not None:
            return DecodedBody(None, [refused], 400)
        validator = media.validator
        errors = [] if validator is None or validator.is_valid(value) else validator.errors(value)
        # DecodedBody(...) without its generated __new__ (a Python frame): every request with a body passes here.
        decoded: DecodedBody = _new_tuple(DecodedBody, (value, errors, 400, plain))
        return decoded


def _base(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _is_xml(media_type: str) -> bool:
    return media_type in ("application/xml", "text/xml") or media_type.endswith("+xml")


class DecodedBody(NamedTuple):
    """A request body decoded: the value, what is wrong with it and the status for that (400 or 415).

    ``plain`` says the value holds only what orjson reads — dicts with str keys, lists, str, 64-bit ints, finite
    floats, bools, None — so ``orjson.dumps`` writes it as ``json`` would (the journal's fast path).
    """

    value: Any
    errors: list[Violation]
    status: int
    plain: bool = False


_new_tuple = tuple.__new__


def _coerce(raw: str | list[str] | None, param: _Param) -> Any:
    if raw is None:
        return None
    if param.kind == "array":
        items = raw if isinstance(raw, list) else raw.split(",")
        if param.item_kind == "union":
            return [read_form_value(item, subschema(param.schema, None)) for item in items]
        return [coerce_one(item, param.item_kind) for item in items]
    value = raw[-1] if isinstance(raw, list) else raw
    if param.kind == "union":
        return read_form_value(value, param.schema)
    return coerce_one(value, param.kind)


def _schema_kind(schema: Mapping[str, Any]) -> str:
    if "type" not in schema and any(key in schema for key in ("anyOf", "oneOf", "allOf")):
        return "union"  # Stripe's created: an integer or a range object
    kind = schema.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    return str(kind)


def _examples(media: Mapping[str, Any], parts: Parts, refs: References) -> tuple[tuple[Any, str | None], ...]:
    """(value, name) of a media type's examples: ``example``, then ``examples`` by name, else the schema's."""
    found: list[tuple[Any, str | None]] = []
    if "example" in media:
        found.append((media["example"], None))
    for name, example in (media.get("examples") or {}).items():
        example, _ = refs.follow(example, (*parts, "examples", name))
        if isinstance(example, Mapping) and "value" in example:
            found.append((example["value"], str(name)))
    schema, _ = refs.follow(media.get("schema"), (*parts, "schema"))
    if not found and isinstance(schema, Mapping):
        if "examples" in schema and isinstance(schema["examples"], list):
            found.extend((value, None) for value in schema["examples"])
        elif "example" in schema:
            found.append((schema["example"], None))
    return tuple(found)


def _media(content: Mapping[str, Any], root: str, parts: Parts, refs: References) -> dict[str, MediaSpec]:
    specs = {}
    for content_type, written in content.items():
        media, media_parts = refs.follow(written or {}, (*parts, content_type))
        media = media or {}
        schema = media.get("schema")
        schema_parts = (*media_parts, "schema")
        validator = None
        if isinstance(schema, Mapping) and schema:
            if len(schema) == 1 and "$ref" in schema:  # one validator for every use of a component
                schema_parts = refs.follow(schema, schema_parts)[1]
            validator = _shared_validator(refs, schema_parts, root)
        examples = _examples(media, media_parts, refs)
        specs[content_type.lower()] = MediaSpec(
            content_type.lower(),
            schema if isinstance(schema, Mapping) else None,
            tuple(value for value, _ in examples),
            validator,
            refs,
            tuple(name for _, name in examples),
        )
    return specs


def _required_headers(headers: Any, parts: Parts, refs: References) -> tuple[tuple[str, Mapping[str, Any]], ...]:
    found = []
    for name, written in headers.items() if isinstance(headers, Mapping) else ():
        header, _ = refs.follow(written, (*parts, "headers", name))
        if isinstance(header, Mapping) and header.get("required") is True and name.lower() != "content-type":
            schema = refs.linked(header.get("schema") or {"type": "string"})
            found.append((str(name), schema if isinstance(schema, Mapping) else {"type": "string"}))
    return tuple(found)


def _shared_validator(refs: References, parts: Parts, root: str) -> _Validator:
    """The validator of the schema at ``parts`` reporting at ``root``, one for every operation that uses it."""
    schema = refs.ref(parts)
    key = (schema["$ref"], root)
    found = refs.shared.get(key)
    if found is None:
        found = refs.shared[key] = _Validator(schema, root, refs)
    assert isinstance(found, _Validator)
    return found


def build_operation(
    partner: str,
    method: str,
    path: str,
    spec: Mapping[str, Any],
    shared_params: Iterable[Mapping[str, Any]],
    refs: References,
    where: Parts,
) -> Operation:
    """Build one operation from its OpenAPI object (``$ref``s as written) at key path ``where`` of the document;
    its path item's ``parameters`` are ``shared_params`` (at ``where[:-1] + ("parameters",)``)."""
    if not isinstance(spec, Mapping):
        raise ContractError(f"{method.upper()} {path} must be an operation object (a mapping)")
    operation_id = spec.get("operationId") or re.sub(r"\W+", "_", f"{method}_{path}").strip("_")
    merged: dict[tuple[str, str], tuple[Mapping[str, Any], Parts]] = {}
    listed = [
        *((param, (*where[:-1], "parameters", i)) for i, param in enumerate(shared_params)),
        *((param, (*where, "parameters", i)) for i, param in enumerate(spec.get("parameters") or [])),
    ]
    for written, written_parts in listed:
        param, param_parts = refs.follow(written, written_parts)
        if not isinstance(param, Mapping) or "name" not in param or "in" not in param:
            raise ContractError(
                f"a parameter of {operation_id!r} lacks 'name' or 'in': {param!r}", pointer="/parameters"
            )
        merged[(param["in"], param["name"])] = (param, param_parts)
    params: list[_Param] = []
    schemas: dict[str, dict[str, Any]] = {}
    for (location, name), (param, param_parts) in merged.items():
        if location == "cookie":
            continue
        written_schema = param.get("schema")
        schema, _ = refs.follow(written_schema or {}, (*param_parts, "schema"))
        schema = schema if isinstance(schema, Mapping) else {}
        kind = _schema_kind(schema)
        item_kind = _schema_kind(refs.follow(schema.get("items") or {}, ())[0] or {}) if kind == "array" else kind
        required = bool(param.get("required", location == "path"))
        params.append(_Param(name, location, required, kind, item_kind, refs.linked(schema)))
        group = schemas.setdefault(location, {"type": "object", "properties": {}, "required": []})
        group["properties"][name] = refs.ref((*param_parts, "schema")) if written_schema else {}
        if required:
            group["required"].append(name)
    for name in re.findall(r"{([^}]+)}", path):
        if ("path", name) not in merged:
            raise ContractError(
                f"path parameter {name!r} of {path!r} is not declared in 'parameters'", pointer="/parameters"
            )
    validators = {location: _Validator(schema, location, refs) for location, schema in schemas.items()}

    body_spec, body_parts = refs.follow(spec.get("requestBody") or {}, (*where, "requestBody"))
    body_spec = body_spec or {}
    body = _media(body_spec.get("content") or {}, "body", (*body_parts, "content"), refs)
    responses: dict[str, ResponseSpec] = {}
    for status, written in (spec.get("responses") or {}).items():
        status = str(status)
        response, response_parts = refs.follow(written or {}, (*where, "responses", status))
        response = response or {}
        responses[status] = ResponseSpec(
            status=status,
            description=str(response.get("description", "")),
            content=_media(response.get("content") or {}, "response", (*response_parts, "content"), refs),
            headers=frozenset(h.lower() for h in (response.get("headers") or {})),
            required_headers=_required_headers(response.get("headers"), response_parts, refs),
        )
    return Operation(
        partner=partner,
        operation_id=str(operation_id),
        method=method.upper(),
        path=path,
        summary=str(spec.get("summary", "")),
        description=str(spec.get("description", "")),
        tags=tuple(spec.get("tags", ())),
        params=tuple(params),
        body_required=bool(body_spec.get("required", False)),
        body=body,
        responses=responses,
        _validators=validators,
        security=requirements(
            spec.get("security", refs.document.get("security")),
            (refs.document.get("components") or {}).get("securitySchemes") or {},
            lambda node: refs.follow(node, ())[0],
        ),
    )


class OperationIndex:
    """Operations by operationId and by (method, path). A request's path picks one path of the contract — a literal
    one before any template, then the template with the most literal segments (OpenAPI 3.1, "Paths Object":
    concrete paths match before templated ones) — and its method one operation of that path; a method the path
    does not serve is a 405 naming that path's methods, never another path's operation."""

    __slots__ = ("_literal", "_operations", "_templated", "by_id")

    def __init__(self, operations: Iterable[Operation]) -> None:
        self._operations = list(operations)
        self.by_id: dict[str, Operation] = {}
        self._literal: dict[str, dict[str, Operation]] = {}
        templated: dict[str, tuple[int, re.Pattern[str], list[str], dict[str, Operation]]] = {}
        for operation in self._operations:
            if operation.operation_id in self.by_id:
                raise ContractError(
                    f"operationId {operation.operation_id!r} is used twice; operationIds must be unique"
                )
            self.by_id[operation.operation_id] = operation
            names = re.findall(r"{([^}]+)}", operation.path)
            if not names:
                self._literal.setdefault(operation.path, {})[operation.method] = operation
                continue
            if operation.path not in templated:
                pattern = "^" + re.sub(r"\\{[^}]+\\}", "([^/]+)", re.escape(operation.path)) + "$"
                literal_segments = sum(1 for s in operation.path.split("/") if s and "{" not in s)
                templated[operation.path] = (literal_segments, re.compile(pattern), names, {})
            templated[operation.path][3][operation.method] = operation
        self._templated = sorted(templated.values(), key=lambda t: -t[0])  # stable: document order on ties

    def __iter__(self) -> Iterator[Operation]:
        return iter(self._operations)

    def __len__(self) -> int:
        return len(self._operations)

    def _path(self, path: str) -> tuple[dict[str, Operation], dict[str, str]] | None:
        """The operations of the contract's path that ``path`` matches, by method, and its path parameters."""
        literal = self._literal.get(path)
        if literal is not None:
            return literal, {}
        for _, regex, names, by_method in self._templated:
            hit = regex.match(path)
            if hit is not None:
                return by_method, {name: unquote(value) for name, value in zip(names, hit.groups(), strict=True)}
        return None

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        found = self._path(path)
        if found is None:
            return None
        by_method, params = found
        operation = by_method.get(method)
        return None if operation is None else (operation, params)

    def allowed_methods(self, path: str) -> list[str]:
        """The methods of the contract's path that ``path`` matches (for a 405's Allow header)."""
        found = self._path(path)
        return sorted(found[0]) if found is not None else []

    def closest(self, method: str, path: str) -> Operation | None:
        """The operation whose path looks most like ``path`` (for "did you mean" on a 404)."""
        if not self._operations:
            return None
        candidates = {f"{op.method} {op.path}": op for op in self._operations}
        close = closest(f"{method} {path}", candidates, cutoff=0.0)
        return candidates[close[0]] if close else None
