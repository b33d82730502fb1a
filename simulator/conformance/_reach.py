"""Did the check reach the contract's operations, or only whatever answers in front of them?

A wrong base path (``--url http://host/sms`` for the bank) still gets answers: a router's 404 "no such path"
or 405 "no such method", from lendsim or any web server. Counted as answers of the operation, they would
pass it (a 404 is an acceptable answer to a made-up loan number). So each answer is judged by where it came
from (:func:`from_operation`): anything but a 404 or a 405 came from the service's operation; a 404 or 405 did
only when the contract documents that status for the operation, the answer matches the documented response
(content type and body schema), and, when it is a problem naming the operation it was routed to (lendsim's
``operation`` member), it names this one. An operation no answer came from has not been checked.

When none came from any operation, :func:`suggest_base_url` tries the base URLs the user may have meant with
one GET each and names the one where the contract's operation answers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from simulator.conformance._target import Target, server_path
from simulator.masking import mask_text
from simulator.openapi import Operation

__all__ = ["describe_answer", "from_operation", "suggest_base_url"]

#: Statuses a router answers for a request that matched no operation.
ROUTER_STATUSES = frozenset({404, 405})
#: Seconds each probe of :func:`suggest_base_url` waits.
PROBE_TIMEOUT = 3.0
#: At most this many other base URLs are tried.
MAX_PROBES = 6


def from_operation(operation: Operation, status: int, content_type: str | None, content: bytes | None) -> bool:
    """Whether an answer came from ``operation`` itself rather than from something in front of it.

    ``content`` is the body, or None when only part of it was kept (then the body is not judged).
    """
    if status not in ROUTER_STATUSES:
        return True
    if operation.response(status) is None:
        return False  # a status the operation never gives: the router's
    body = None
    if content is not None and _is_json(content_type):
        body = _json(content_type, content)
        if body is _NOT_JSON:
            return False  # JSON by its content type, yet no JSON (or empty)
    if operation.validate_response(status, body, content_type, declared_type=True):
        return False  # not the answer the contract documents
    if isinstance(body, dict) and "operation" in body:
        return bool(body["operation"] == operation.operation_id)  # lendsim's problems say where they were routed
    return True


def describe_answer(status: int, content_type: str | None, content: bytes) -> str:
    """``404 application/problem+json "no operation of 'sms' matches …"``: an answer in one masked line."""
    media = (content_type or "no content type").split(";", 1)[0].strip()
    body = _json(content_type, content)
    said = ""
    if isinstance(body, dict):
        said = next((str(body[key]) for key in ("detail", "title", "message", "error") if body.get(key)), "")
    elif content and not _is_json(content_type):
        said = " ".join(content[:200].decode("utf-8", "replace").split())
    said = mask_text(said)
    if len(said) > 160:
        said = said[:159] + "…"
    return f"{status} {media}" + (f" {json.dumps(said, ensure_ascii=False)}" if said else "")


def suggest_base_url(target: Target, headers: Mapping[str, str]) -> str | None:
    """A base URL near ``target.base_url`` where one of the contract's GET operations answers, or None.

    Tried: each shorter prefix of the base URL's path, alone and followed by the contract's server path
    (``http://host/sms/bank`` → ``http://host/sms``, ``http://host``, ``http://host/bank``). One GET each, with
    path parameters filled in with ``0``; only GET is sent, so that probing changes nothing on the service.
    """
    probe = next((operation for operation in target.contract if operation.method == "GET"), None)
    if probe is None:
        return None
    path = probe.path
    for name in _path_params(path):
        path = path.replace("{" + name + "}", "0")
    with httpx.Client(headers=dict(headers), timeout=PROBE_TIMEOUT, follow_redirects=False) as client:
        for candidate in _candidates(target):
            try:
                answer = client.get(candidate + path)
            except httpx.HTTPError:
                continue
            if from_operation(probe, answer.status_code, answer.headers.get("content-type"), answer.content):
                return candidate
    return None


def _candidates(target: Target) -> list[str]:
    parts = urlsplit(target.base_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    segments = [segment for segment in parts.path.split("/") if segment]
    own = server_path(target.contract.document)
    found: list[str] = []
    for keep in range(len(segments) - 1, -1, -1):
        prefix = origin + "".join(f"/{segment}" for segment in segments[:keep])
        for candidate in (prefix, prefix + own):
            if candidate != target.base_url.rstrip("/") and candidate not in found:
                found.append(candidate)
    return found[:MAX_PROBES]


def _path_params(path: str) -> list[str]:
    return [piece.split("}", 1)[0] for piece in path.split("{")[1:]]


_NOT_JSON: Any = object()


def _is_json(content_type: str | None) -> bool:
    base = (content_type or "").split(";", 1)[0].strip().lower()
    return base == "application/json" or base.endswith("+json")


def _json(content_type: str | None, content: bytes) -> Any:
    if not content or not _is_json(content_type):
        return _NOT_JSON
    try:
        return json.loads(content)
    except ValueError:
        return _NOT_JSON
