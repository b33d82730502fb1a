"""The behaviour of any operation without a built-in one: answer like the contract says.

Which answer, as Stoplight Prism chooses it:

* the status: ``Prefer: code=N`` if the operation declares N; else its first 2xx; else its first 3xx (a
  redirect-only operation answers its own code); else its lowest declared status (no status at all: 204);
* the media type: the first declared one the ``Accept`` header takes (406 when it takes none of them), JSON first
  without one;
* the body: the contract's first example its schema accepts (``Prefer: example=NAME`` picks a named one, valid or
  not), otherwise a value generated from its schema (always generated with ``Prefer: dynamic=true``). Generation
  is seeded by the request (operation, parameters, body) and the run's seed, so the same request gets the same
  answer; a path or query parameter is echoed into the top-level field it names (the same name up to case, ``_`` and
  ``-``; the path's last parameter into ``id``) when the answer stays valid;
* a non-JSON media type (text, a PDF, bytes) is answered raw, not as a JSON string;
* headers the answer requires (``required: true``) are sent, generated from their schemas.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from simulator.core._messages import Call, Reply, problem

if TYPE_CHECKING:
    from simulator.openapi import MediaSpec, Operation, ResponseSpec
    from simulator.openapi._synth import Synthesizer

__all__ = ["GenericMock", "default_locale", "is_json"]

_LAST_PARAM: Final = re.compile(r"/\{([^{}/]+)\}(?:\.[A-Za-z0-9]+)?/?$")
_NONE_VALID: Any = object()  # no example of an answer that its schema accepts: the answer is generated

#: The locale of people, places and words generated for lendsim's own partners (mainland lending).
HOME_LOCALE = "zh_CN"


def default_locale(document: Mapping[str, Any]) -> str:
    """The locale a contract's generated people get: ``zh_CN`` for a Chinese partner (a server under ``.cn``, a
    title in Chinese), ``en_US`` otherwise."""
    servers = document.get("servers")
    for server in servers if isinstance(servers, list) else ():
        url = server.get("url", "") if isinstance(server, Mapping) else ""
        host = str(url).split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower()
        if host.endswith((".cn", ".中国")):
            return "zh_CN"
    info = document.get("info")
    title = str(info.get("title", "")) if isinstance(info, Mapping) else ""
    return "zh_CN" if any("\u4e00" <= char <= "\u9fff" for char in title) else "en_US"


def is_json(content_type: str) -> bool:
    base = content_type.split(";", 1)[0].strip().lower()
    return base == "application/json" or base.endswith("+json")


def _prefer(headers: Mapping[str, str]) -> dict[str, str]:
    """``Prefer: code=404, example=bad`` → {"code": "404", "example": "bad"}."""
    found: dict[str, str] = {}
    for part in headers.get("prefer", "").replace(";", ",").split(","):
        key, sep, value = part.partition("=")
        if sep:
            found[key.strip().lower()] = value.strip().strip('"')
    return found


def _accepted(accept: str, declared: list[str]) -> list[str]:
    """The declared media types ``accept`` takes, best first (``q=0`` refuses one)."""
    ranges: list[tuple[float, int, str]] = []
    for index, item in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in item.split(";"))
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        if media:
            ranges.append((quality, index, media.lower()))
    ranges.sort(key=lambda r: (-r[0], r[1]))
    out: list[str] = []
    for quality, _, media in ranges:
        if quality <= 0:
            continue
        kind = media.split("/", 1)[0]
        for content_type in declared:
            takes = media in ("*/*", content_type) or (media == f"{kind}/*" and content_type.startswith(f"{kind}/"))
            if takes and content_type not in out:
                out.append(content_type)
    return out


def _status_of(operation: Operation, preferred: str | None) -> tuple[int, ResponseSpec | None] | Reply:
    declared = operation.responses
    if preferred is not None:
        spec = operation.response(int(preferred)) if preferred.isdigit() else None
        if spec is None:
            return problem(
                422,
                "Unprocessable Preference",
                f"Prefer: code={preferred} is not a status {operation.operation_id} declares; "
                f"declared: {', '.join(sorted(declared)) or 'none'}",
                operation=operation.operation_id,
            )
        return int(preferred), spec
    numeric = sorted(s for s in declared if s.isdigit())
    for family in ("2", "3"):
        for status in numeric:
            if status.startswith(family):
                return int(status), declared[status]
    if numeric:
        return int(numeric[0]), declared[numeric[0]]
    if "default" in declared:
        return 200, declared["default"]
    return 204, None


_ANSWERS = 256


class GenericMock:
    """``locales``: the Faker locale of each partner's generated values (HOME_LOCALE for a partner not named)."""

    __slots__ = ("_answers", "_errors", "_examples", "_locales", "_seed", "_synths")

    def __init__(self, seed: int = 0, locales: Mapping[str, str] | None = None) -> None:
        self._seed = seed
        self._locales = dict(locales or {})
        self._synths: dict[str, Synthesizer] = {}  # by locale, built on first need: Faker costs ~0.5 s to import
        #: The last answers, by request: the same request gets the same answer, so it is generated once (a list of
        #: Stripe charges takes ~100 ms to generate).
        self._answers: OrderedDict[str, Reply] = OrderedDict()
        self._examples: dict[tuple[str, int, str], Any] = {}  # the example each answer sends (see _valid_example)
        #: The last error bodies generated, by operation and status: a refusal's reason goes into a copy, so a
        #: fuzzer's refused requests cost a lookup (one of Stripe's error bodies takes ~100 ms to generate).
        self._errors: OrderedDict[tuple[str, str, int], Any] = OrderedDict()

    def reseed(self, seed: int) -> None:
        self._seed = seed
        self._answers.clear()
        self._errors.clear()

    def __call__(self, call: Call) -> Reply:
        operation = call.operation
        headers = call.headers
        key = repr(
            (
                operation.partner,
                operation.operation_id,
                sorted(call.params.items()),
                call.body,
                headers.get("prefer"),
                headers.get("accept"),
            )
        )
        answers = self._answers
        known = answers.get(key)
        if known is None:
            known = answers[key] = self._answer(call)
            if len(answers) > _ANSWERS:
                answers.popitem(last=False)
        else:
            answers.move_to_end(key)
        return Reply(known.status, known.body, dict(known.headers), known.content_type)

    def _answer(self, call: Call) -> Reply:
        operation = call.operation
        prefer = _prefer(call.headers)
        chosen = _status_of(operation, prefer.get("code"))
        if isinstance(chosen, Reply):
            return chosen
        status, spec = chosen
        if spec is None:
            return Reply(status)
        headers = self._headers(spec, call)
        if not spec.content:
            return Reply(status, headers=headers)
        declared = list(spec.content)
        accept = call.headers.get("accept")
        if accept:
            acceptable = _accepted(accept, declared)
            if not acceptable:
                return problem(
                    406,
                    "Not Acceptable",
                    f"Accept: {accept} takes none of what {operation.operation_id} answers {status} with: "
                    f"{', '.join(declared)}",
                    operation=operation.operation_id,
                )
            media = spec.content[acceptable[0]]
        else:
            media = spec.content.get("application/json") or spec.content[declared[0]]
        body = self._body(call, status, media, prefer)
        if isinstance(body, Reply):
            return body
        return Reply(status, body, headers=headers, content_type=media.content_type)

    def _body(self, call: Call, status: int, media: MediaSpec, prefer: Mapping[str, str]) -> Any:
        operation = call.operation
        name = prefer.get("example")
        if name is not None:
            if name not in media.example_names:
                named = [n for n in media.example_names if n is not None]
                return problem(
                    422,
                    "Unprocessable Preference",
                    f"Prefer: example={name} is not an example of {operation.operation_id}'s {status} "
                    f"{media.content_type} answer; its examples: {', '.join(named) or 'none named'}",
                    operation=operation.operation_id,
                )
            return self._raw(media, media.examples[media.example_names.index(name)])
        value: Any = _NONE_VALID
        if media.examples and prefer.get("dynamic", "false").lower() != "true":
            value = self._valid_example(operation, status, media)
        if value is _NONE_VALID:
            if media.schema is None:
                return self._raw(media, None) if not is_json(media.content_type) else None
            value = self._synthesizer(call).value(media.schema)
        if not is_json(media.content_type):
            return self._raw(media, value)
        if isinstance(value, dict) and media.schema is not None:
            echoed = self._echo(call, value, media.schema)
            if echoed is not value and not operation.validate_response(status, echoed, media.content_type):
                value = echoed
        return value

    def _valid_example(self, operation: Operation, status: int, media: MediaSpec) -> Any:
        """The first of ``media``'s examples its schema accepts, or :data:`_NONE_VALID`: a contract's examples can
        break its own schema (Twilio's relative URIs under ``format: uri``), and a client that validates answers
        would fail on the mock's, not on the partner's. Found once per answer."""
        key = (operation.operation_id, status, media.content_type)
        if key not in self._examples:
            checked = is_json(media.content_type)
            self._examples[key] = next(
                (
                    example
                    for example in media.examples
                    if not checked or not operation.validate_response(status, example, media.content_type)
                ),
                _NONE_VALID,
            )
        return self._examples[key]

    @staticmethod
    def _raw(media: MediaSpec, value: Any) -> Any:
        """A body of a non-JSON media type as the text it is sent as (bytes the schema does not describe: a
        short placeholder of that type)."""
        if is_json(media.content_type):
            return value
        if isinstance(value, str):
            return value
        if value is None:
            return f"lendsim mock {media.content_type} body"
        return str(value)

    def declared_error(self, operation: Operation, refused: Reply) -> Reply:
        """The answer to a request the core refused (400, 401, 415…) as the contract declares that status: its JSON
        example, else a body generated from its JSON schema with the refusal's reason in its message-like fields
        (Plaid's ``error_message``, Stripe's ``error.message``), the refusal's headers kept; the refusal itself
        (problem+json) when the contract declares no JSON answer for it."""
        spec = operation.response(refused.status)
        media = spec.media("application/json") if spec is not None else None
        if media is None or (not media.examples and media.schema is None):
            return refused
        if media.examples:
            return Reply(refused.status, media.examples[0], headers=refused.headers, content_type=media.content_type)
        assert media.schema is not None
        key = (operation.partner, operation.operation_id, refused.status)
        errors = self._errors
        value = errors.get(key, _NONE_VALID)
        if value is _NONE_VALID:
            value = errors[key] = self._synth(operation, repr(key[1:])).value(media.schema)
            if len(errors) > _ANSWERS:
                errors.popitem(last=False)
        else:
            errors.move_to_end(key)
        if isinstance(value, dict):
            told = _told(value, media.schema, _reason(refused.body))
            if told is not value and not operation.validate_response(refused.status, told, media.content_type):
                value = told
        return Reply(refused.status, value, headers=refused.headers, content_type=media.content_type)

    def _synthesizer(self, call: Call) -> Synthesizer:
        """The synthesizer, reseeded by the run's seed and the request: the same request, the same answer."""
        operation = call.operation
        return self._synth(operation, repr((operation.operation_id, sorted(call.params.items()), call.body)))

    def _synth(self, operation: Operation, key: str) -> Synthesizer:
        """The synthesizer of the operation's partner's locale, reseeded by the run's seed and ``key``."""
        locale = self._locales.get(operation.partner, HOME_LOCALE)
        synth = self._synths.get(locale)
        if synth is None:
            from simulator.openapi._synth import Synthesizer

            synth = self._synths[locale] = Synthesizer(self._seed, locale=locale)
        seeded = repr((self._seed, operation.partner, key))
        synth.reseed(int.from_bytes(hashlib.blake2b(seeded.encode(), digest_size=8).digest(), "big"))
        return synth

    @staticmethod
    def _echo(call: Call, value: dict[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
        """``value`` with the request's path and query parameters in the top-level fields they name.

        A parameter names the field of its own name, else the one that differs only in case, ``_`` and ``-``
        (Twilio's ``{AccountSid}`` is ``account_sid``); the path parameter the path ends with names the resource,
        so it fills ``id`` when nothing else is its field (Adyen's ``/paymentLinks/{linkId}``, Stripe's
        ``/v1/customers/{customer}``)."""
        properties = _top_level_fields(schema)
        if not properties:
            return value
        own = schema.get("properties") or {}
        folded = {_folded(name): name for name in reversed(properties)}
        resource = _resource_param(call.operation.path)
        echoed = value
        for param in call.operation.params:
            if param.location not in ("path", "query") or param.name not in call.params:
                continue
            field = param.name if param.name in properties else folded.get(_folded(param.name))
            if field is None and param.location == "path" and param.name == resource and "id" in properties:
                field = "id"
            sent = call.params[param.name]
            if field is None or (field not in value and field not in own):
                continue  # a field only a union's other branch has is not added
            if sent is not None and echoed.get(field) != sent:
                echoed = {**echoed, field: sent}
        return echoed

    def _headers(self, spec: ResponseSpec, call: Call) -> dict[str, str]:
        if not spec.required_headers:
            return {}
        synth = self._synthesizer(call)
        out: dict[str, str] = {}
        for name, schema in spec.required_headers:
            value = synth.value(schema, name=name)
            out[name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
        return out


#: Top-level fields of an error body that carry its reason, as partners name them.
_MESSAGES: Final = frozenset({"message", "error_message", "errorMessage", "detail", "description", "error_description"})


def _told(value: dict[str, Any], schema: Mapping[str, Any], reason: str, *, depth: int = 1) -> dict[str, Any]:
    """A copy of the error body ``value`` with ``reason`` in its message-like string fields, at its top level or,
    when it has none there, in the objects it holds (Stripe's ``{"error": {"message": …}}``); ``value`` itself when
    it has none of them."""
    properties = schema.get("properties")
    if not isinstance(properties, Mapping) or not reason:
        return value
    fields = [
        str(name)
        for name, sub in properties.items()
        if name in _MESSAGES and isinstance(sub, Mapping) and sub.get("type") == "string"
    ]
    if fields:
        return {**value, **dict.fromkeys(fields, reason)}
    told = value
    for name, sub in properties.items() if depth > 0 else ():
        inner = value.get(name)
        if isinstance(inner, dict) and isinstance(sub, Mapping):
            nested = _told(inner, sub, reason, depth=depth - 1)
            if nested is not inner:
                told = {**told, name: nested}
    return told


def _reason(body: Any) -> str:
    """What a problem body says was wrong: its errors (field: message), else its detail, else its title."""
    if not isinstance(body, Mapping):
        return ""
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        return "; ".join(
            f"{error.get('field')}: {error.get('message')}" for error in errors if isinstance(error, Mapping)
        )
    return str(body.get("detail") or body.get("title") or "")


def _folded(name: str) -> str:
    """A field or parameter name without case, ``_`` or ``-``: ``AccountSid``, ``account_sid`` → ``accountsid``."""
    return name.replace("_", "").replace("-", "").casefold()


def _resource_param(path: str) -> str | None:
    """The parameter a path template ends with (``/messages/{Sid}.json`` → ``Sid``): the resource it names."""
    match = _LAST_PARAM.search(path)
    return match.group(1) if match else None


def _top_level_fields(schema: Mapping[str, Any]) -> list[str]:
    """The names of the fields an object of ``schema`` may have at its top level, its ``allOf``/``anyOf``/``oneOf``
    branches' included (Stripe answers a customer or a deleted one)."""
    names: dict[str, None] = {}
    for node in (schema, *(branch for key in ("allOf", "anyOf", "oneOf") for branch in schema.get(key) or ())):
        properties = node.get("properties") if isinstance(node, Mapping) else None
        if isinstance(properties, Mapping):
            names.update(dict.fromkeys(properties))
    return list(names)
