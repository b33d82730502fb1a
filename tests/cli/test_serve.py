"""`lendsim serve` as a user runs it: a real process on a loopback port, checked by schemathesis' own CLI."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from simulator._resources import bundled_contracts_dir
from simulator.cli import main
from tests.core.helpers import REPAYMENT

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def taken_port() -> Iterator[int]:
    """A loopback port something else listens on for the duration."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def start(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``lendsim ARGS`` as a user would, for a command expected to stop by itself."""
    return subprocess.run([str(BIN / "lendsim"), *args], capture_output=True, text=True, timeout=120, check=False)


class Served:
    def __init__(self, url: str) -> None:
        self.url = url
        self.output = ""  # what the server printed, once it has stopped


@contextmanager
def serving(*args: str) -> Iterator[Served]:
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "lendsim"), "serve", "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    served = Served(f"http://127.0.0.1:{port}")
    url = served.url
    try:
        deadline = time.monotonic() + 60  # a cold start (imports, contracts compiled) on a busy machine
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            try:
                httpx.get(f"{url}/", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "lendsim serve did not start"
                time.sleep(0.1)
        yield served
    finally:
        process.terminate()
        served.output = process.communicate(timeout=10)[0]


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with serving() as server:
        yield server


@pytest.mark.slow  # over 7 s: processes started as a user starts them; scripts/test runs it after the default suite
@pytest.mark.parametrize("partner", ["bank", "bureau", "sms"])
def test_schemathesis_cli_with_its_defaults_finds_nothing_in_a_served_contract(served: Served, partner: str) -> None:
    # As docs/contract-testing.md tells a user: the contract from the server, schemathesis' default phases (examples,
    # coverage, fuzzing, stateful), checks and health checks; only the examples per operation are bounded here.
    result = subprocess.run(
        [
            str(BIN / "schemathesis"),
            "run",
            f"{served.url}/{partner}/openapi.json",
            "--max-examples",
            "5",
            "--seed",
            "1",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )

    assert result.returncode == 0, result.stdout[-3000:]
    assert re.search(r"(No issues found|\d+ warnings?) in [\d.]+s", result.stdout), result.stdout[-3000:]
    assert re.search(r"\b([1-9]\d*) generated, \1 passed", result.stdout), result.stdout[-3000:]


def test_beyond_loopback_the_control_api_needs_the_printed_token() -> None:
    with serving("--host", "0.0.0.0") as served:
        refused = httpx.get(f"{served.url}/_sim/clock")
        partner = httpx.get(f"{served.url}/bank/openapi.json")

    token = re.search(r"Bearer (\S+)'", served.output)
    assert token is not None, served.output
    assert refused.status_code == 401
    assert partner.status_code == 200


TOKEN = "a-control-token-for-tests"


def test_a_page_of_another_site_cannot_reset_the_server_nor_read_its_journal() -> None:
    with serving() as served, httpx.Client(base_url=served.url) as http:
        http.post("/_sim/clock/advance", json={"by": "P1D"}).raise_for_status()
        # fetch(url, {method: "POST", mode: "no-cors", body: "{}"}) sends text/plain; a form, urlencoded
        no_cors = http.post("/_sim/reset", content=b"{}", headers={"content-type": "text/plain;charset=UTF-8"})
        form = http.post("/_sim/reset", data={"seed": "1"})
        # a page of evil.example whose name now resolves to 127.0.0.1 (DNS rebinding)
        rebound = http.get("/_sim/journal", headers={"host": "evil.example:" + served.url.rsplit(":", 1)[1]})
        clock = http.get("/_sim/clock").json()
        refusals = http.get("/_sim/journal", params={"kind": "response", "partner": "_sim"}).json()["items"]

    assert (no_cors.status_code, form.status_code, rebound.status_code) == (415, 415, 403)
    assert no_cors.headers["content-type"] == rebound.headers["content-type"] == "application/problem+json"
    assert no_cors.json()["errors"][0]["rule"] == "contentType" and rebound.json()["errors"][0]["rule"] == "host"
    assert clock["now"] == "2019-05-02T00:00:00+08:00"  # not reset
    assert [entry["status"] for entry in refusals] == [415, 415, 403]


def test_the_token_is_taken_with_the_bearer_scheme_in_any_case() -> None:
    with serving("--control-token", TOKEN) as served:
        lower = httpx.get(f"{served.url}/_sim/clock", headers={"authorization": f"bearer {TOKEN}"})
        upper = httpx.get(f"{served.url}/_sim/clock", headers={"authorization": f"BEARER {TOKEN}"})
        wrong = httpx.get(f"{served.url}/_sim/clock", headers={"authorization": f"Bearer {TOKEN[:-1]}"})

    assert (lower.status_code, upper.status_code, wrong.status_code) == (200, 200, 401)


def test_a_team_serves_its_own_partner_contract(tmp_path: Path) -> None:
    contract = tmp_path / "acme-pay.yaml"
    contract.write_text(
        "openapi: 3.1.0\ninfo: {title: Acme Pay, version: '1'}\npaths:\n  /charges:\n    post:\n"
        "      operationId: createCharge\n      requestBody:\n        required: true\n        content:\n"
        "          application/json:\n            schema: {type: object, required: [amount],"
        " properties: {amount: {type: string}}, additionalProperties: false}\n"
        "      responses:\n        '201':\n          description: created\n          content:\n"
        "            application/json:\n              schema: {type: object, required: [id],"
        " properties: {id: {type: string, pattern: '^ch_[a-z0-9]{8}$'}}}\n",
        encoding="utf-8",
    )

    with serving("--contract", str(contract)) as served:
        url = served.url
        created = httpx.post(f"{url}/acme_pay/charges", json={"amount": "9.99"})
        refused = httpx.post(f"{url}/acme_pay/charges", json={"amount": 9.99})
        journal = httpx.get(f"{url}/_sim/journal", params={"partner": "acme_pay"}).json()

    assert created.status_code == 201 and re.fullmatch(r"ch_[a-z0-9]{8}", created.json()["id"])
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "body.amount"
    assert [(e["kind"], e["status"]) for e in journal["items"]] == [
        ("request", None),
        ("response", 201),
        ("request", None),
        ("response", 400),
    ]


def test_a_port_in_use_is_one_line_and_exit_2_before_any_banner() -> None:
    with taken_port() as port:
        result = start("serve", "--port", str(port))

    assert result.returncode == 2
    assert result.stderr == f"error: port {port} on 127.0.0.1 is in use; choose another with --port\n"
    assert result.stdout == ""  # no banner claiming it started


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--host", "192.0.2.1"), "error: 192.0.2.1 is not an address of this machine; use 127.0.0.1"),
        (("--host", "no-such-host.invalid"), "error: cannot listen on host 'no-such-host.invalid' ("),
        (("--platform", "127.0.0.1:9000"), "error: --platform '127.0.0.1:9000' is not an http(s) URL with a host"),
        (("--journal", "/no/such/folder/journal.sqlite"), "error: cannot open the journal file"),
        (("--control-token", "s3cret"), "error: --control-token is 6 characters; it must be at least 16"),
        (("--host", "0.0.0.0", "--control-token", "x" * 15), "error: --control-token is 15 characters;"),
        (("--credential", "AC1:t"), "error: --credential applies to the operations of a --contract, and none was"),
        (
            ("--contract", str(bundled_contracts_dir() / "bank.yaml"), "--credential", "k", "--no-auth"),
            "error: --credential names the only credentials to accept, --no-auth accepts requests without any",
        ),
    ],
)
def test_a_start_up_error_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], expected: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--port", "0", *args])

    captured = capsys.readouterr()
    assert exit_.value.code == 2
    assert captured.err.startswith(expected) and captured.err.count("\n") == 1, captured.err
    assert captured.out == ""


def test_a_broken_extra_contract_is_one_line_naming_file_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    contract = tmp_path / "partner.yaml"
    contract.write_text("openapi: 3.1.0\npaths: [\n", encoding="utf-8")

    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--port", "0", "--contract", str(contract)])

    captured = capsys.readouterr()
    assert exit_.value.code == 2 and captured.out == ""
    assert captured.err.startswith(f"error: {contract}:3: invalid YAML") and captured.err.count("\n") == 1


def test_a_fault_targets_any_operation_of_a_served_contract_whatever_its_id_and_partner_name(tmp_path: Path) -> None:
    """Adyen's operationIds have hyphens (post-payments) and a contract's file name may have digits: a fault at
    such a point was refused by the control API's pattern."""
    contract = tmp_path / "pay2go.yaml"
    contract.write_text(
        "openapi: 3.1.0\ninfo: {title: Pay, version: '1'}\npaths:\n  /payments:\n    post:\n"
        "      operationId: post-payments\n      responses:\n        '201': {description: created}\n",
        encoding="utf-8",
    )

    with serving("--contract", str(contract)) as served:
        added = httpx.post(f"{served.url}/_sim/faults", json={"at": "pay2go.post-payments", "outage": {"status": 503}})
        answered = httpx.post(f"{served.url}/pay2go/payments")
        journal = httpx.get(
            f"{served.url}/_sim/journal", params={"partner": "pay2go", "operation": "post-payments"}
        ).json()

    assert added.status_code == 201, added.text
    assert answered.status_code == 503
    assert [(e["kind"], e["status"]) for e in journal["items"]] == [("request", None), ("response", 503)]


def test_a_latency_fault_is_answered_at_once_with_the_virtual_time_an_hour_later() -> None:
    with serving() as server:
        httpx.post(f"{server.url}/_sim/faults", json={"at": "bank.repayApply", "latency": {"delay": "PT1H"}})

        response = httpx.post(f"{server.url}/bank/repayments", json=REPAYMENT, timeout=20)  # not an hour
        answer = httpx.get(f"{server.url}/_sim/journal", params={"kind": "response", "operation": "repayApply"})

    assert response.headers["x-lendsim-virtual-time"] == "2019-05-01T01:00:00+08:00"
    assert [entry["virtualTime"] for entry in answer.json()["items"]] == ["2019-05-01T01:00:00+08:00"]


def test_with_a_client_timeout_a_longer_latency_is_a_timeout_the_client_gives_up_on() -> None:
    with serving("--client-timeout", "PT0.3S") as server:
        httpx.post(f"{server.url}/_sim/faults", json={"at": "bank.repayApply", "latency": {"delay": "PT1H"}})

        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{server.url}/bank/repayments", json=REPAYMENT, timeout=0.3)
        answer = httpx.get(f"{server.url}/_sim/journal", params={"kind": "response", "operation": "repayApply"})

    (entry,) = answer.json()["items"]
    assert entry["data"]["transportFault"] == "timeout" and entry["data"]["clientTimeout"] == 0.3


def test_a_client_timeout_that_is_no_duration_is_refused_naming_the_forms() -> None:
    result = start("serve", "--port", str(free_port()), "--client-timeout", "soon")

    assert result.returncode == 2
    assert "--client-timeout" in result.stderr and "'soon'" in result.stderr and "PT6H" in result.stderr
