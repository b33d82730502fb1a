"""The reference platforms over HTTP (``lendsim_examples.asgi``): the routes of contracts/platform.yaml, answers that
keep to the contract, problems for bad requests, and the incident giving the same verdict as in-process."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import pytest

from lendsim_examples import Platform, PlatformApp, app_for, create_app, naive, resilient
from simulator._resources import bundled_contracts_dir
from simulator.openapi import load_contract
from tests.examples.helpers import LOAN_NO, at, incident, run_platform

CONTRACT = load_contract(bundled_contracts_dir() / "platform.yaml", name="platform")
NEGATIVE = {"1", "2", "3", "4", "5", "6", "7"}


def request(
    app: PlatformApp,
    method: str,
    path: str,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    *,
    runner: asyncio.Runner | None = None,
) -> tuple[int, dict[str, str], Any]:
    """One request through the ASGI app, without a server: (status, headers, decoded JSON body)."""

    async def exchange() -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []
        inbox: list[dict[str, Any]] = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict[str, Any]:
            return inbox.pop(0) if inbox else {"type": "http.disconnect"}

        async def send(message: Any) -> None:
            sent.append(dict(message))

        scope = {
            "type": "http",
            "method": method,
            "path": path,
            "query_string": b"",
            "headers": [(key.lower().encode(), value.encode()) for key, value in (headers or {}).items()],
        }
        await app(scope, receive, send)
        return sent

    start, *rest = runner.run(exchange()) if runner is not None else asyncio.run(exchange())
    answer_headers = {key.decode(): value.decode() for key, value in start["headers"]}
    payload = b"".join(message.get("body", b"") for message in rest)
    return int(start["status"]), answer_headers, json.loads(payload)


class OverHttp:
    """The in-process platform interface, spoken over HTTP to the app; every answer is checked against the
    platform contract."""

    def __init__(self, app: PlatformApp) -> None:
        self.app = app
        self.runner = asyncio.Runner()  # one event loop (and worker thread) for every request

    def close(self) -> None:
        self.runner.close()

    def _call(self, method: str, path: str, body: Any = None, *, expect: int = 200) -> dict[str, Any]:
        payload = json.dumps(body).encode() if body is not None else b""
        headers = {"content-type": "application/json"} if body is not None else {}
        status, answer_headers, answer = request(self.app, method, path, payload, headers, runner=self.runner)
        assert status == expect, answer
        matched = CONTRACT.operations.match(method, path)
        assert matched is not None
        spec = matched[0].response(status)
        assert spec is not None
        media = spec.media(answer_headers["content-type"])
        assert media is not None and media.errors(answer) == [], (path, answer)
        assert "x-lendsim-virtual-time" in answer_headers or path == "/harness/reset"
        return dict(answer)

    def setup_run(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "/harness/setup", body)

    def reset_run(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._call("POST", "/harness/reset")

    def tick(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "/harness/tick", body)

    def borrower_repay(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "/app/repayments", body, expect=202)

    def platform_ledger(self) -> dict[str, Any]:
        return self._call("GET", "/harness/ledger")

    def repay_result_notify(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "/callbacks/bank/repay-result", body)

    def bank_notice(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "/callbacks/bank/notices", body)

    def sms_report(self, body: list[dict[str, Any]]) -> dict[str, Any]:
        return self._call("POST", "/callbacks/sms/reports", body)


@pytest.mark.parametrize(
    ("make", "overdue"), [(resilient.create, False), (naive.create, True)], ids=["resilient", "naive"]
)
def test_the_incident_over_http_gives_the_same_verdict_as_in_process(make: Any, overdue: bool) -> None:
    over_http = OverHttp(create_app(make()))
    assert isinstance(over_http, Platform)
    try:
        with run_platform(over_http) as run:
            incident(run)

            assert (run.schedule()[2]["status"] == "OVERDUE") is overdue
            assert (run.bureau_month("2019-05")["RpyStatus"] in NEGATIVE) is overdue
            assert run.platform_paid() == run.bank_paid()
    finally:
        over_http.close()


@pytest.fixture
def app() -> PlatformApp:
    return app_for("resilient")


def test_a_bad_body_is_a_problem_naming_the_field(app: PlatformApp) -> None:
    status, headers, answer = request(
        app, "POST", "/harness/tick", b'{"now": "yesterday"}', {"content-type": "application/json"}
    )

    assert status == 400 and headers["content-type"] == "application/problem+json"
    assert answer["operation"] == "tick"
    # "yesterday" breaks both rules of the contract's DateTime: its format and its pattern (years 1970-2099)
    assert sorted((error["field"], error["rule"]) for error in answer["errors"]) == [
        ("body.now", "format"),
        ("body.now", "pattern"),
    ]


@pytest.mark.parametrize(
    ("method", "path", "body", "content_type", "status"),
    [
        ("POST", "/harness/tick", b"{not json", "application/json", 400),
        ("POST", "/harness/tick", b"now=1", "application/x-www-form-urlencoded", 415),
        ("POST", "/harness/nowhere", b"", None, 404),
        ("GET", "/harness/setup", b"", None, 405),
        ("POST", "/harness/setup", b"[" + b" " * (1024 * 1024) + b"]", "application/json", 413),
    ],
    ids=["malformed-json", "not-json", "no-such-path", "wrong-method", "too-large"],
)
def test_bad_requests_are_answered_as_problems(
    app: PlatformApp, method: str, path: str, body: bytes, content_type: str | None, status: int
) -> None:
    headers = {"content-type": content_type} if content_type else {}

    answered, answer_headers, answer = request(app, method, path, body, headers)

    assert answered == status
    assert answer_headers["content-type"] == "application/problem+json"
    assert answer["status"] == status and answer["detail"]


def test_a_repayment_for_an_unknown_loan_is_404_and_time_follows_the_header(app: PlatformApp) -> None:
    body = {
        "borrowerId": "B1",
        "loanOuterNo": LOAN_NO,
        "amount": "1.00",
        "repayType": "NORMAL_REPAY",
        "paidAt": "2019-05-10T20:15:00+08:00",
    }
    stamp = {"content-type": "application/json", "x-lendsim-virtual-time": at(5, 10, 20, 16).isoformat()}

    status, headers, answer = request(app, "POST", "/app/repayments", json.dumps(body).encode(), stamp)

    assert status == 404 and answer["operation"] == "borrowerRepay"
    assert headers["x-lendsim-virtual-time"] == "2019-05-10T20:16:00+08:00"


def test_reset_is_harmless_without_a_run(app: PlatformApp) -> None:
    assert request(app, "POST", "/harness/reset")[::2] == (200, {"reset": True})
    assert request(app, "GET", "/harness/ledger")[::2] == (200, {"loans": []})


def test_only_the_two_reference_platforms_are_served_by_name() -> None:
    with pytest.raises(ValueError, match="naive or resilient"):
        app_for("clever")


@pytest.mark.parametrize("name", ["naive", "resilient"])
def test_the_reference_platforms_accept_every_time_zone_their_contract_admits(name: str) -> None:
    app = app_for(name)
    zones = CONTRACT.document["components"]["schemas"]["TimeZone"]["enum"]
    refused = []

    with asyncio.Runner() as runner:
        for zone in zones:
            body = {"runId": "tz", "start": "2019-05-01T00:00:00+08:00", "timezone": zone, "borrowers": [], "loans": []}
            body["partners"] = {partner: f"http://127.0.0.1:9/{partner}" for partner in ("bank", "bureau", "sms")}
            status, _, answer = request(
                app,
                "POST",
                "/harness/setup",
                json.dumps(body).encode(),
                {"content-type": "application/json"},
                runner=runner,
            )
            if status != 200:
                refused.append((zone, status, answer.get("detail")))

    assert len(zones) > 500 and {"Asia/Shanghai", "UTC"} <= set(zones)
    assert refused == []


@pytest.mark.parametrize("name", ["naive", "resilient"])
def test_a_signing_key_that_cannot_be_a_header_is_refused_at_setup_naming_the_field(name: str) -> None:
    """Found by lendsim check on a fresh clone: an appId such as '放贷' passed setupRun and the platform's first
    signed request failed building its X-App-Id header (a 500). The contract keeps key names printable ASCII."""
    app = app_for(name)
    key = {"appId": "放贷", "keyId": "p1", "secret": "s", "algorithm": "HMAC-SHA256"}
    body = {
        "runId": "k",
        "start": "2019-05-01T00:00:00+08:00",
        "timezone": "Asia/Shanghai",
        "borrowers": [],
        "loans": [],
    }
    body["partners"] = {partner: f"http://127.0.0.1:9/{partner}" for partner in ("bank", "bureau", "sms")}
    body["signing"] = {"window": "PT5M", "key": key, "bankKeys": [{**key, "appId": "bank"}]}

    status, _, answer = request(
        app, "POST", "/harness/setup", json.dumps(body).encode(), {"content-type": "application/json"}
    )

    assert status == 400
    assert "body.signing.key.appId" in json.dumps(answer)
