"""An operation's security requirements (OpenAPI "Security Requirement Object") and whether a request meets them.

A mock cannot know the partner's secrets, so it checks what it can: that the request carries credentials of a kind
the contract asks for (``Authorization: Basic …`` of the form ``user:password`` in base64, ``Bearer …``, an API key
in its header, query parameter or cookie) — and, when it is given the secrets to accept (``serve --credential``),
that each one sent is among them: ``user:password`` for Basic, the token for Bearer, the key for an API key.
Alternatives are OR-ed, the schemes of one requirement AND-ed, as the specification says; an empty requirement
(``security: [{}]``) makes credentials optional.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

__all__ = ["Denial", "Scheme", "check", "requirements"]


@dataclass(frozen=True, slots=True)
class Scheme:
    name: str
    kind: str  # "http", "apiKey", "oauth2", "openIdConnect", "mutualTLS"
    scheme: str = ""  # http: "basic", "bearer", "digest", …
    location: str = ""  # apiKey: "header", "query", "cookie"
    key: str = ""  # apiKey: the header, parameter or cookie name

    @property
    def challenge(self) -> str:
        if self.kind == "http":
            return f'{self.scheme.capitalize()} realm="{self.name}"'
        if self.kind in ("oauth2", "openIdConnect"):
            return f'Bearer realm="{self.name}"'
        return f'ApiKey realm="{self.name}", {self.location}="{self.key}"'

    def secret(self, headers: Mapping[str, str], query: str) -> str | bool | None:
        """The secret sent for this scheme (``user:password``, a token, a key); True when the scheme has none to
        read (mutual TLS: the transport's business); None: nothing sent; False: something of the wrong form."""
        authorization = headers.get("authorization", "")
        if self.kind == "http":
            word, _, credentials = authorization.partition(" ")
            if not authorization:
                return None
            if word.lower() != self.scheme.lower() or not credentials.strip():
                return False
            if self.scheme.lower() == "basic":
                try:
                    decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
                except (binascii.Error, ValueError):
                    return False
                return decoded if ":" in decoded else False
            return credentials.strip()
        if self.kind in ("oauth2", "openIdConnect"):
            if not authorization:
                return None
            word, _, token = authorization.partition(" ")
            return token.strip() if word.lower() == "bearer" and token.strip() else False
        if self.kind == "apiKey":
            if self.location == "header":
                value = headers.get(self.key.lower())
            elif self.location == "query":
                value = dict(parse_qsl(query, keep_blank_values=True)).get(self.key)
            else:
                cookies = dict(
                    part.strip().partition("=")[::2] for part in headers.get("cookie", "").split(";") if part.strip()
                )
                value = cookies.get(self.key)
            return None if value is None else value or False
        return True


@dataclass(frozen=True, slots=True)
class Denial:
    status: int  # 401: no credentials; 403: credentials of a form the contract does not take
    detail: str
    challenge: str  # the WWW-Authenticate header


def requirements(written: Any, schemes: Mapping[str, Any], follow: Any) -> tuple[tuple[Scheme, ...], ...]:
    """The alternatives of an operation's ``security`` (its own or the document's), each a tuple of schemes;
    ``follow(node)`` resolves a scheme's ``$ref``. A requirement naming an undeclared scheme is left out."""
    if not isinstance(written, list):
        return ()
    out: list[tuple[Scheme, ...]] = []
    for requirement in written:
        if not isinstance(requirement, Mapping):
            continue
        found: list[Scheme] = []
        for name in requirement:
            node = follow(schemes.get(name))
            if not isinstance(node, Mapping):
                break
            found.append(
                Scheme(
                    str(name),
                    str(node.get("type", "")),
                    str(node.get("scheme", "")),
                    str(node.get("in", "")),
                    str(node.get("name", "")),
                )
            )
        else:
            out.append(tuple(found))
    return tuple(out)


def check(
    alternatives: tuple[tuple[Scheme, ...], ...],
    headers: Mapping[str, str],
    query: str,
    accepted: frozenset[str] | None = None,
) -> Denial | None:
    """None when the request meets one alternative; else why not, as 401 (nothing usable, or a secret not among
    ``accepted`` when that is given) or 403 (credentials of another form)."""
    if not alternatives or any(not schemes for schemes in alternatives):
        return None
    wrong_form = unknown = False
    for schemes in alternatives:
        secrets = [scheme.secret(headers, query) for scheme in schemes]
        if all(secret is not None and secret is not False for secret in secrets):
            if accepted is None or all(secret is True or secret in accepted for secret in secrets):
                return None
            unknown = True
        wrong_form = wrong_form or any(secret is False for secret in secrets)
    wanted = " or ".join(" and ".join(_describe(s) for s in schemes) for schemes in alternatives)
    challenge = ", ".join(dict.fromkeys(s.challenge for schemes in alternatives for s in schemes))
    if unknown:
        return Denial(
            401,
            f"the credentials sent are not among those this mock accepts (serve --credential); send {wanted} "
            "with one of them",
            challenge,
        )
    if wrong_form:
        return Denial(403, f"the credentials sent are not of a form this operation takes; send {wanted}", challenge)
    return Denial(401, f"this operation requires credentials; send {wanted} (or serve with --no-auth)", challenge)


def _describe(scheme: Scheme) -> str:
    if scheme.kind == "http":
        return f"'Authorization: {scheme.scheme.capitalize()} …' ({scheme.name})"
    if scheme.kind in ("oauth2", "openIdConnect"):
        return f"'Authorization: Bearer …' ({scheme.name})"
    if scheme.kind == "apiKey":
        return f"the {scheme.location} {scheme.key!r} ({scheme.name})"
    return scheme.name
