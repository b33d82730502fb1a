"""A corpus of hostile requests over a real socket: each is a 4xx ``application/problem+json`` naming its rule, in
the journal, never a 5xx, never a hang (issue #17: "Never a 500, never a hang"; docs/serving.md).

The server is what ``lendsim serve`` runs — the app with its control-API guard for 127.0.0.1 and uvicorn with the
problem protocol — in a thread, with body and head deadlines of 1 s instead of 10 so the requests that never finish
are quick to test. Requests are written byte by byte on a socket: an HTTP client would refuse to send most.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from simulator import Simulator
from simulator.core import PROBLEM_JSON
from simulator.http import create_app, make_server
from simulator.http._parser import problem_protocol
from simulator.journal import Entry

DEADLINE = 1.0  # the server's body and head deadlines here (10 s in lendsim serve)
HANG = 15.0  # a socket waiting this long for an answer has met a hang

REPAYMENT: dict[str, Any] = {
    "reqNo": "REQ-1",
    "repayOuterNo": "RP-0001",
    "loanOuterNo": "LN-0001",
    "repayAmount": "1050.00",
    "repayMode": "PARTNER_COLLECT",
    "repayType": "NORMAL_REPAY",
    "actualRepayDate": "2019-05-10T20:15:00+08:00",
    "repayList": [{"installmentNo": 1, "paidPrincipal": "1000.00", "paidInterest": "50.00", "paidFee": "0.00"}],
}
TEXT = json.dumps(REPAYMENT)


@dataclass
class Served:
    engine: Simulator
    port: int


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    closed: bool | None  # the server closed the connection after answering (None: not asked)

    def problem(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.body)
        return value


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    engine = Simulator(seed=7, wall_clock=time.time)
    app = create_app(engine, host="127.0.0.1", body_deadline=DEADLINE)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = make_server(
        app,
        host="127.0.0.1",
        port=0,
        log_level="critical",
        release=app.release,
        http=problem_protocol(engine, app.lock, head_deadline=DEADLINE),
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    try:
        yield Served(engine, sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def send(port: int, raw: bytes, *, until_closed: bool = False) -> Answer:
    """Write ``raw`` on a new connection and read one answer (up to its content-length); ``until_closed``: then wait
    for the server to close the connection (``closed`` False if it does not within the hang limit)."""
    with socket.create_connection(("127.0.0.1", port), timeout=HANG) as conn:
        conn.sendall(raw)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            assert chunk, f"the connection closed without an answer: {data!r}"
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = conn.recv(65536)
            assert chunk, "the connection closed in the middle of the answer"
            body += chunk
        closed = None
        if until_closed:
            try:
                closed = conn.recv(1) == b""
            except TimeoutError:
                closed = False
    return Answer(int(status_line.split()[1]), headers, body, closed)


def request(
    method: str,
    path: str,
    body: bytes | str | None = None,
    *,
    content_type: str | None = "application/json",
    host: str = "127.0.0.1",
    headers: str = "",
) -> bytes:
    payload = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n"
    if payload is not None:
        if content_type is not None:
            head += f"Content-Type: {content_type}\r\n"
        head += f"Content-Length: {len(payload)}\r\n"
    head += headers + "\r\n"
    return head.encode("latin-1") + (payload or b"")


def post(path: str, body: bytes | str, **kwargs: Any) -> bytes:
    return request("POST", path, body, **kwargs)


def repayment(replace: str, by: str) -> str:
    assert replace in TEXT
    return TEXT.replace(replace, by, 1)


def nested(levels: int, *, objects: bool = False) -> str:
    return ('{"a":' * levels + "1" + "}" * levels) if objects else ("[" * levels + "]" * levels)


_INSTALLMENT = '"installmentNo": 1'
_FIRST = "body.repayList[0].installmentNo"
# (id, raw request, status, field, rule): field and rule those of the problem's first error (None: it has none)
CORPUS: list[tuple[str, bytes, int, str | None, str | None]] = [
    # nesting
    *(
        (f"depth-{kind}-{levels}", post(path, nested(levels, objects=kind == "objects")), 400, "body", "depth")
        for kind in ("arrays", "objects")
        for levels in (65, 256, 1025, 100_000)
        for path in ("/bank/repayments",)
    ),
    (
        "depth-in-a-field",
        post("/bank/repayments", repayment(_INSTALLMENT, '"installmentNo": ' + nested(70))),
        400,
        "body",
        "depth",
    ),
    ("depth-mixed", post("/bureau/submissions", '{"a":[' * 40 + "1" + "]}" * 40), 400, "body", "depth"),
    ("depth-sms", post("/sms/send", nested(300)), 400, "body", "depth"),
    ("depth-control", post("/_sim/faults", nested(300, objects=True)), 400, "body", "depth"),
    # numbers that are not finite
    *(
        (
            f"finite-{name}",
            post("/bank/repayments", repayment(_INSTALLMENT, f'"installmentNo": {text}')),
            400,
            _FIRST,
            "finite",
        )
        for name, text in (
            ("NaN", "NaN"),
            ("Infinity", "Infinity"),
            ("-Infinity", "-Infinity"),
            ("1e400", "1e400"),
            ("-1e400", "-1e400"),
            ("1e999999999", "1e999999999"),
            ("long-mantissa", "1" + "0" * 400 + ".5"),
        )
    ),
    ("finite-amount", post("/bank/repayments", repayment('"1050.00"', "NaN")), 400, "body.repayAmount", "finite"),
    ("finite-bureau", post("/bureau/submissions", '{"records": [Infinity]}'), 400, "body.records[0]", "finite"),
    ("finite-control-advance", post("/_sim/clock/advance", '{"by": NaN}'), 400, "body.by", "finite"),
    ("finite-control-reset", post("/_sim/reset", '{"seed": 1e400}'), 400, "body.seed", "finite"),
    # integers past 4,300 digits
    *(
        (
            f"digits-{digits}",
            post("/bank/repayments", repayment(_INSTALLMENT, f'"installmentNo": {number}')),
            400,
            _FIRST,
            "digits",
        )
        for digits, number in (
            ("4301", "9" * 4301),
            ("5000", "1" * 5000),
            ("negative", "-" + "9" * 4400),
            ("500k", "7" * 500_000),
        )
    ),
    ("digits-control-seed", post("/_sim/reset", '{"seed": ' + "9" * 5000 + "}"), 400, "body.seed", "digits"),
    ("digits-sms", post("/sms/send", '{"PhoneNumbers": ' + "1" * 4500 + "}"), 400, "body.PhoneNumbers", "digits"),
    # text that is not Unicode
    *(
        (
            f"unicode-{field}",
            post("/bank/repayments", repayment(f'"{value}"', '"\\udc00"')),
            400,
            f"body.{field}",
            "unicode",
        )
        for field, value in (
            ("repayOuterNo", "RP-0001"),
            ("loanOuterNo", "LN-0001"),
            ("reqNo", "REQ-1"),
            ("repayAmount", "1050.00"),
        )
    ),
    (
        "unicode-high-alone",
        post("/bank/repayments", repayment('"RP-0001"', '"RP-\\ud800-1"')),
        400,
        "body.repayOuterNo",
        "unicode",
    ),
    (
        "unicode-pair-reversed",
        post("/bank/repayments", repayment('"RP-0001"', '"\\ude00\\ud83d"')),
        400,
        "body.repayOuterNo",
        "unicode",
    ),
    (
        "unicode-raw-surrogate",
        post("/bank/repayments", repayment('"RP-0001"', '"\udc00"')),
        400,
        "body.repayOuterNo",
        "unicode",
    ),
    ("unicode-key", post("/bank/repayments", repayment('"reqNo"', '"\\udc00"')), 400, "body (a key)", "unicode"),
    (
        "unicode-nested",
        post("/bank/repayments", repayment('"0.00"', '"\\ud834"')),
        400,
        "body.repayList[0].paidFee",
        "unicode",
    ),
    ("unicode-register", post("/bank/loans", '{"name": "\\udc00"}'), 400, "body.name", "unicode"),
    ("unicode-not-utf8", post("/bank/repayments", b'{"reqNo": "\xff\xfe"}'), 400, "body", "unicode"),
    ("unicode-overlong", post("/bank/repayments", b'{"reqNo": "\xc0\xaf"}'), 400, "body", "unicode"),
    ("unicode-control", post("/_sim/faults", '{"at": "\\udc00"}'), 400, "body.at", "unicode"),
    # keys named twice
    (
        "duplicate-repayOuterNo",
        post("/bank/repayments", TEXT[:-1] + ', "repayOuterNo": "RP-0002"}'),
        400,
        "body.repayOuterNo",
        "duplicateKey",
    ),
    (
        "duplicate-first-two",
        post("/bank/repayments", '{"reqNo": "A", "reqNo": "B"}'),
        400,
        "body.reqNo",
        "duplicateKey",
    ),
    (
        "duplicate-nested",
        post("/bank/repayments", repayment('"paidFee": "0.00"', '"paidFee": "0.00", "paidFee": "1.00"')),
        400,
        "body.repayList[0].paidFee",
        "duplicateKey",
    ),
    (
        "duplicate-with-colons",
        post("/bank/repayments", repayment('"actualRepayDate"', '"actualRepayDate": "1:2", "actualRepayDate"')),
        400,
        "body.actualRepayDate",
        "duplicateKey",
    ),
    (
        "duplicate-escaped-key",
        post("/bank/repayments", TEXT[:-1] + ', "repay\\u004futerNo": "RP-0002"}'),
        400,
        "body.repayOuterNo",
        "duplicateKey",
    ),
    (
        "duplicate-with-big-number",
        post("/bank/repayments", '{"n": 12345678901234567890123, "n": 1}'),
        400,
        "body.n",
        "duplicateKey",
    ),
    ("duplicate-thrice", post("/sms/send", '{"a": 1, "a": 2, "a": 3}'), 400, "body.a", "duplicateKey"),
    ("duplicate-control-reset", post("/_sim/reset", '{"seed": 1, "seed": 2}'), 400, "body.seed", "duplicateKey"),
    (
        "duplicate-control-fault",
        post("/_sim/faults", '{"at": "bank.repayApply", "at": "bank.getLoan", "drop": {}}'),
        400,
        "body.at",
        "duplicateKey",
    ),
    # malformed JSON
    *(
        (f"json-{name}", post("/bank/repayments", text), 400, "body", "json")
        for name, text in (
            ("truncated", TEXT[:40]),
            ("trailing-comma", TEXT[:-1] + ",}"),
            ("single-quotes", "{'reqNo': 'x'}"),
            ("comment", "/* hi */ " + TEXT),
            ("two-values", TEXT + " " + TEXT),
            ("bare-word", "undefined"),
            ("nul", "\x00"),
            ("hex", '{"n": 0x10}'),
            ("leading-zero", '{"n": 01}'),
            ("unterminated", '{"reqNo": "x'),
            ("bad-escape", '{"reqNo": "\\x41"}'),
            ("control-char", '{"reqNo": "a\nb"}'),
        )
    ),
    # the contract
    ("contract-missing", post("/bank/repayments", "{}"), 400, "body.reqNo", "required"),
    ("contract-type", post("/bank/repayments", repayment('"1050.00"', "1050")), 400, "body.repayAmount", "type"),
    (
        "contract-pattern",
        post("/bank/repayments", repayment('"RP-0001"', '"RP 0001 <script>"')),
        400,
        "body.repayOuterNo",
        "pattern",
    ),
    ("contract-array-body", post("/bank/repayments", "[]"), 400, "body", "type"),
    ("contract-null-body", post("/bank/repayments", "null"), 400, "body", "type"),
    (
        "contract-utf16",
        post("/bank/repayments", '{"reqNo": "x"}'.encode("utf-16")),
        400,
        "body.repayOuterNo",
        "required",
    ),
    # content types and sizes
    *(
        (
            f"content-type-{name}",
            post("/bank/repayments", TEXT, content_type=value),
            415,
            "header.content-type",
            "contentType",
        )
        for name, value in (
            ("text-plain", "text/plain"),
            ("form", "application/x-www-form-urlencoded"),
            ("multipart", "multipart/form-data; boundary=x"),
            ("xml", "application/xml"),
        )
    ),
    (
        "content-type-missing",
        post("/bank/repayments", TEXT, content_type=None),
        415,
        "header.content-type",
        "contentType",
    ),
    ("body-too-large", post("/bank/repayments", b"[" * (1024 * 1024 + 1)), 413, None, None),
    (
        "body-too-large-declared",
        request(
            "POST", "/bank/repayments", headers="Content-Type: application/json\r\nContent-Length: 99999999999\r\n"
        ),
        413,
        None,
        None,
    ),
    ("body-too-large-control", post("/_sim/reset", b" " * (1024 * 1024 + 1)), 413, None, None),
    # parameters
    ("param-long-id", request("GET", "/bank/repayments/" + "R" * 5000), 400, "path.repayOuterNo", "maxLength"),
    ("param-digits", request("GET", "/_sim/journal?after=" + "9" * 5000), 400, "query.after", "type"),
    ("param-1e400", request("GET", "/_sim/journal?limit=1e400"), 400, "query.limit", "type"),
    ("param-nan", request("GET", "/_sim/journal?limit=NaN"), 400, "query.limit", "type"),
    ("param-unknown", request("GET", "/_sim/journal?limt=5"), 400, "query.limt", "additionalProperties"),
    ("param-percent-junk", request("GET", "/bank/repayments/%ff%fe"), 400, "path.repayOuterNo", "pattern"),
    # routing
    ("route-unknown-partner", request("GET", "/bnak/loans"), 404, None, None),
    ("route-unknown-path", request("GET", "/bank/lones"), 404, None, None),
    ("route-method", request("PUT", "/bank/repayments", TEXT), 405, None, None),
    ("route-control-path", request("GET", "/_sim/nothing"), 404, None, None),
    ("route-control-method", request("PUT", "/_sim/reset", "{}"), 405, None, None),
    (
        "route-options-preflight",
        request(
            "OPTIONS", "/_sim/reset", headers="Origin: http://evil.example\r\nAccess-Control-Request-Method: POST\r\n"
        ),
        405,
        None,
        None,
    ),
    # the control API and web pages
    (
        "control-text-plain-reset",
        post("/_sim/reset", "{}", content_type="text/plain"),
        415,
        "header.content-type",
        "contentType",
    ),
    (
        "control-empty-text-plain-reset",
        post("/_sim/reset", "", content_type="text/plain"),
        415,
        "header.content-type",
        "contentType",
    ),
    (
        "control-form-advance",
        post("/_sim/clock/advance", "by=P1D", content_type="application/x-www-form-urlencoded"),
        415,
        "header.content-type",
        "contentType",
    ),
    ("control-no-content-type", request("POST", "/_sim/reset"), 415, "header.content-type", "contentType"),
    (
        "control-multipart-fault",
        post("/_sim/faults", "--x--", content_type="multipart/form-data; boundary=x"),
        415,
        "header.content-type",
        "contentType",
    ),
    ("control-rebinding-read", request("GET", "/_sim/journal", host="evil.example"), 403, "header.host", "host"),
    ("control-rebinding-reset", post("/_sim/reset", "{}", host="evil.example:8080"), 403, "header.host", "host"),
    (
        "control-rebinding-lookalike",
        request("GET", "/_sim/state", host="127.0.0.1.evil.example"),
        403,
        "header.host",
        "host",
    ),
    (
        "control-rebinding-ipv6-public",
        request("GET", "/_sim/clock", host="[2001:db8::1]:80"),
        403,
        "header.host",
        "host",
    ),
    ("control-advance-word", post("/_sim/clock/advance", '{"by": "tomorrow"}'), 400, None, None),
    ("control-advance-backwards", post("/_sim/clock/advance", '{"to": "2000-01-01T00:00:00+08:00"}'), 409, None, None),
    ("control-fault-unknown-point", post("/_sim/faults", '{"at": "bank.nothing", "drop": {}}'), 400, "body.at", "enum"),
    ("control-fault-delete-unknown", request("DELETE", "/_sim/faults/f999"), 404, None, None),
    # not HTTP at all: uvicorn's parser refuses, the problem protocol answers
    ("http-garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400, "request", "http"),
    ("http-request-line", b"GET\r\n\r\n", 400, "request", "http"),
    (
        "http-header-no-colon",
        b"GET /_sim/health HTTP/1.1\r\nHost: 127.0.0.1\r\nBroken header\r\n\r\n",
        400,
        "request",
        "http",
    ),
    (
        "http-content-length-word",
        b"POST /bank/repayments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ten\r\n\r\n",
        400,
        "request",
        "http",
    ),
    (
        "http-two-lengths",
        b"POST /bank/repayments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n{}",
        400,
        "request",
        "http",
    ),
    (
        "http-bad-chunk",
        b"POST /bank/repayments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
        400,
        "request",
        "http",
    ),
    ("http-nul-in-path", b"GET /bank/\x00 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400, "request", "http"),
    # a body that never comes
    (
        "deadline-partner",
        request("POST", "/bank/repayments", headers="Content-Type: application/json\r\nContent-Length: 500\r\n")
        + TEXT[:100].encode(),
        408,
        None,
        None,
    ),
    (
        "deadline-nothing-sent",
        request("POST", "/bank/loans", headers="Content-Type: application/json\r\nContent-Length: 10\r\n"),
        408,
        None,
        None,
    ),
    (
        "deadline-control",
        request("POST", "/_sim/reset", headers="Content-Type: application/json\r\nContent-Length: 1000\r\n") + b"{",
        408,
        None,
        None,
    ),
    ("deadline-head", b"GET /_sim/health HTTP/1.1\r\nHost: 127.0.0.1\r\n", 408, None, None),
    ("deadline-request-line", b"POST /bank/repa", 408, None, None),
    (
        "deadline-chunked",
        request("POST", "/bank/repayments", headers="Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n")
        + b'4\r\n{"a"\r\n',
        408,
        None,
        None,
    ),
]


def test_the_corpus_is_large_and_its_ids_are_unique() -> None:
    assert len(CORPUS) >= 80
    assert len({case[0] for case in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize(("raw", "status", "field", "rule"), [pytest.param(*case[1:], id=case[0]) for case in CORPUS])
def test_a_hostile_request_is_a_journaled_problem_naming_its_rule(
    served: Served, raw: bytes, status: int, field: str | None, rule: str | None
) -> None:
    before = len(served.engine.journal)

    answer = send(served.port, raw, until_closed=status == 408)

    assert answer.status == status, answer.body[:500]
    assert answer.headers["content-type"] == PROBLEM_JSON
    problem = answer.problem()
    assert problem["status"] == status
    if rule is None:
        assert "errors" not in problem or problem["errors"][0]["rule"] not in ("", None)
    else:
        assert (problem["errors"][0]["field"], problem["errors"][0]["rule"]) == (field, rule), problem
    answered = _journaled_answer(served, before, status)
    assert answered.data["body"] == problem
    if status == 408:
        assert answer.closed is True  # the connection (and its file descriptor) is let go


def test_a_body_that_never_comes_is_answered_within_the_deadline(served: Served) -> None:
    raw = request("POST", "/bank/repayments", headers="Content-Type: application/json\r\nContent-Length: 500\r\n")
    started = time.monotonic()

    answer = send(served.port, raw, until_closed=True)

    assert answer.status == 408 and answer.closed
    assert time.monotonic() - started < HANG  # not held for ever: the socket's own timeout would have fired


def test_a_connection_that_sends_nothing_is_closed(served: Served) -> None:
    with socket.create_connection(("127.0.0.1", served.port), timeout=HANG) as conn:
        assert conn.recv(1) == b""  # closed by the server, no answer (a TimeoutError here would be the hang)


def test_the_corpus_leaves_the_server_answering_and_the_journal_readable(served: Served) -> None:
    answer = send(served.port, request("GET", "/_sim/state"))

    assert answer.status == 200
    assert answer.problem()["journal"]["entries"] == len(served.engine.journal)
    assert served.engine.journal.last(operation="internalError") is None


def _journaled_answer(served: Served, before: int, status: int) -> Entry:
    """The response journaled for the request just sent (after ``before`` entries), with ``status``."""
    deadline = time.monotonic() + 5  # the parser's refusal is journaled as the answer is written
    while True:
        page = served.engine.journal.query(after=before, kind="response", limit=100)
        found = [entry for entry in page.items if entry.status == status]
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert len(found) == 1, [(e.seq, e.status, e.partner, e.operation) for e in page.items]
    return found[0]
