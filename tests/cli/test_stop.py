"""SIGINT and SIGTERM stop every long-running command promptly, as a user (or a CI runner cancelling a job) sees it.

Each command runs as a real process with a request held open — by a fault of the simulator, an upstream that never
answers, or a platform that never answers — when the signal comes. It must end within 2 s, by that signal (a shell
reports 130 or 143; ``subprocess`` shows -2 or -15: ``simulator/cli/_stop.py``), with what it had acknowledged in
its journal, and for ``lendsim run`` with no report that could pass for a verdict.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from simulator.journal import Journal
from tests.partners.bank.helpers import LOAN_NO, loan_body, repayment

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
#: How soon after the signal the process must be gone.
PROMPTLY = 2.0
SIGNALS = [pytest.param(signal.SIGTERM, id="SIGTERM"), pytest.param(signal.SIGINT, id="SIGINT")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Command:
    """A ``lendsim`` process, its output in a file."""

    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_until(self, ready: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + 30
        while not ready():
            assert self.process.poll() is None, f"{what}: exited {self.process.returncode}\n{self.output()}"
            assert time.monotonic() < deadline, f"{what}: not within 30 s\n{self.output()}"
            time.sleep(0.05)

    def stop(self, signum: int) -> float:
        """Send ``signum``; the seconds until the process was gone (it is killed after 10 s, and the test fails)."""
        sent = time.monotonic()
        self.process.send_signal(signum)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"still running 10 s after {signal.Signals(signum).name}\n{self.output()}")
        return time.monotonic() - sent


@contextmanager
def lendsim(tmp: Path, *args: str) -> Iterator[Command]:
    log = tmp / f"{args[0]}-{time.monotonic_ns()}.log"
    with log.open("wb") as out:
        process = subprocess.Popen([str(BIN / "lendsim"), *args], stdout=out, stderr=subprocess.STDOUT)
    command = Command(process, log)
    try:
        yield command
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def answers(url: str) -> Callable[[], bool]:
    def ready() -> bool:
        try:
            httpx.get(url, timeout=1)
        except httpx.TransportError:
            return False
        return True

    return ready


@dataclass
class Exchange:
    """A request sent on a thread; ``outcome`` once it ended (an answer's status or the exception's name)."""

    thread: threading.Thread
    outcome: list[str] = field(default_factory=list)


def send_in_background(method: str, url: str, **kwargs: Any) -> Exchange:
    exchange = Exchange(threading.Thread(daemon=True))

    def send() -> None:
        try:
            exchange.outcome.append(str(httpx.request(method, url, timeout=60, **kwargs).status_code))
        except httpx.HTTPError as exc:
            exchange.outcome.append(type(exc).__name__)

    exchange.thread = threading.Thread(target=send, daemon=True)
    exchange.thread.start()
    return exchange


# -- a server in this process that holds what it is asked to hold -----------------------------------------------


class Held:
    """An HTTP server on a loopback port: ``answer(method, path, body)`` gives ``(status, json)``, or None to hold
    the request (no answer) until the test ends. ``seen`` lists the requests as they arrive."""

    def __init__(self, answer: Callable[[str, str, Any], tuple[int, Any] | None]) -> None:
        self.answer = answer
        self.seen: list[str] = []
        self.released = threading.Event()
        held = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                held.seen.append(f"{self.command} {self.path}")
                answer = held.answer(self.command, self.path, json.loads(raw) if raw else None)
                if answer is None:
                    held.released.wait(120)
                    return
                payload = json.dumps(answer[1]).encode()
                self.send_response(answer[0])
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _any

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Held:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, request: str) -> None:
        deadline = time.monotonic() + 30
        while not any(seen.startswith(request) for seen in self.seen):
            assert time.monotonic() < deadline, f"no {request} within 30 s; seen: {self.seen}"
            time.sleep(0.05)


# -- lendsim serve ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("signum", SIGNALS)
def test_serve_lets_go_of_held_requests_flushes_its_journal_and_ends_by_the_signal(tmp_path: Path, signum: int) -> None:
    """Three requests held when the signal comes: a repayment under a PT1H latency fault (beyond the client's
    declared 30-minute timeout: held until it gives up), a loan query under a drop fault, and the bank's callback to
    a platform that never answers it."""
    journal = tmp_path / "journal.sqlite"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with (
        Held(lambda method, path, body: None) as platform,
        lendsim(
            tmp_path,
            *("serve", "--port", str(port), "--journal", str(journal), "--platform", platform.url),
            *("--client-timeout", "PT30M"),
        ) as serve,
    ):
        serve.wait_until(answers(f"{url}/_sim/clock"), "lendsim serve")
        assert httpx.post(f"{url}/bank/loans", json=loan_body()).status_code == 201
        assert httpx.post(f"{url}/bank/repayments", json=repayment("RP-1", 1, "1000.00", "18.00")).status_code == 200
        assert httpx.post(f"{url}/_sim/clock/advance", json={"by": "P1D"}).status_code == 200
        platform.wait_for("POST /callbacks/bank/repay-result")  # held by the platform
        for fault in ({"at": "bank.repayApply", "latency": {"delay": "PT1H"}}, {"at": "bank.getLoan", "drop": {}}):
            assert httpx.post(f"{url}/_sim/faults", json=fault).is_success
        delayed = send_in_background("POST", f"{url}/bank/repayments", json=repayment("RP-2", 2, "1000.00", "12.00"))
        dropped = send_in_background("GET", f"{url}/bank/loans/{LOAN_NO}")
        serve.wait_until(lambda: _journaled(url, "repayApply") == 2 and _journaled(url, "getLoan") == 1, "both held")
        assert delayed.outcome == dropped.outcome == []  # neither answered nor cut off yet

        seconds = serve.stop(signum)

    assert seconds < PROMPTLY, f"{seconds:.2f} s"
    assert serve.process.returncode == -signum
    assert f"stopped by {signal.Signals(signum).name}" in serve.output()
    assert "Traceback" not in serve.output()
    for held in (delayed, dropped):
        held.thread.join(timeout=5)
        assert held.outcome in (["RemoteProtocolError"], ["ReadError"])  # the connection closed, no answer
    with Journal(journal) as read:
        kept = [(entry.kind, entry.operation, entry.serial) for entry in read.iter() if entry.kind != "event"]
    assert {("request", "registerLoan", None), ("response", "registerLoan", None)} <= {
        (kind, operation, None) for kind, operation, _ in kept
    }
    assert ("response", "repayApply", "RP-1") in kept  # acknowledged before the signal
    assert ("request", "repayApply", "RP-2") in kept  # held when it came
    assert sum(1 for kind, operation, _ in kept if (kind, operation) == ("fault", "faultAdded")) == 2


def _journaled(url: str, operation: str) -> int:
    """How many requests of ``operation`` the server journaled."""
    page = httpx.get(f"{url}/_sim/journal", params={"operation": operation, "kind": "request"}).json()
    return len(page["items"])


# -- lendsim proxy ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("signum", SIGNALS)
def test_proxy_waiting_on_a_silent_upstream_stops_promptly_with_the_exchanges_it_answered_journaled(
    tmp_path: Path, signum: int
) -> None:
    journal = tmp_path / "proxy.sqlite"
    port = free_port()
    url = f"http://127.0.0.1:{port}"

    def upstream(method: str, path: str, body: Any) -> tuple[int, Any] | None:
        return None if path == "/repayments" else (404, {"title": "Not Found", "status": 404})

    with (
        Held(upstream) as bank,
        lendsim(
            tmp_path,
            "proxy",
            "--contract",
            str(ROOT / "contracts" / "bank.yaml"),
            "--upstream",
            bank.url,
            "--port",
            str(port),
            "--journal",
            str(journal),
        ) as proxy,
    ):
        proxy.wait_until(answers(url), "lendsim proxy")
        answered = httpx.get(f"{url}/loans/{LOAN_NO}")
        held = send_in_background("POST", f"{url}/repayments", json=repayment("RP-HELD", 1, "1000.00", "18.00"))
        bank.wait_for("POST /repayments")
        assert held.outcome == []

        seconds = proxy.stop(signum)

    assert answered.status_code == 404
    assert seconds < PROMPTLY, f"{seconds:.2f} s"
    assert proxy.process.returncode == -signum
    assert "Traceback" not in proxy.output()
    held.thread.join(timeout=5)
    assert held.outcome and held.outcome != ["ReadTimeout"]
    with Journal(journal) as read:
        kept = [(entry.kind, entry.operation) for entry in read.iter()]
    assert ("request", "getLoan") in kept and ("response", "getLoan") in kept
    assert ("request", "repayApply") in kept


# -- lendsim example-platform ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("signum", SIGNALS)
def test_example_platform_waiting_on_a_silent_bank_stops_promptly(tmp_path: Path, signum: int) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with (
        Held(lambda method, path, body: None) as partners,
        lendsim(tmp_path, "example-platform", "resilient", "--port", str(port)) as platform,
    ):
        platform.wait_until(answers(url), "lendsim example-platform")
        setup = {
            "runId": "stop-1",
            "start": "2019-05-01T00:00:00+08:00",
            "partners": {name: f"{partners.url}/{name}" for name in ("bank", "bureau", "sms")},
            "borrowers": [
                {
                    "borrowerId": "B000123",
                    "name": "张伟",
                    "certNo": "110105199003071239",
                    "phone": "13912345678",
                    "bankCardNo": "6222020200112345679",
                }
            ],
            "loans": [
                {
                    key: loan_body()[key]
                    for key in (
                        "loanOuterNo",
                        "borrowerId",
                        "principal",
                        "term",
                        "dueDay",
                        "disburseDate",
                        "annualRate",
                    )
                }
            ],
        }
        held = send_in_background("POST", f"{url}/harness/setup", json=setup)
        partners.wait_for("GET /bank/loans/")  # the platform reads the loan's schedule from the bank: held
        assert held.outcome == []

        seconds = platform.stop(signum)

    assert seconds < PROMPTLY, f"{seconds:.2f} s"
    assert platform.process.returncode == -signum
    held.thread.join(timeout=5)
    assert held.outcome and held.outcome != ["ReadTimeout"]


# -- lendsim run ----------------------------------------------------------------------------------------------------

SCENARIO = """\
name: stopped
seed: 7
start: 2019-05-01
duration: 10 days
population: {borrowers: 2, loan: {principal: 3000, term: 3, due_day: 10}}
faults:
  - at: bank.repayPlanQuery       # the platform's first call to the bank: never answered
    timeout_after_commit: {}
expect:
  ledgers_reconcile: {}
"""


@pytest.mark.parametrize("signum", SIGNALS)
def test_run_over_http_stopped_while_platform_and_simulator_hold_requests_writes_no_passing_report(
    tmp_path: Path, signum: int
) -> None:
    """The runner waits for the platform's setupRun; the platform waits for the simulator's bank, whose fault holds
    the answer (for up to a minute). The signal must cut both short."""
    scenario = tmp_path / "stopped.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    reports, junit = tmp_path / "reports", tmp_path / "junit.xml"
    bank_calls: list[tuple[str, float]] = []

    def platform(method: str, path: str, body: Any) -> tuple[int, Any] | None:
        if path == "/harness/setup":
            loan = body["loans"][0]["loanOuterNo"]
            sent = time.monotonic()
            try:
                httpx.get(f"{body['partners']['bank']}/loans/{loan}/schedule", timeout=60)
                bank_calls.append(("answered", time.monotonic() - sent))
            except httpx.HTTPError as exc:
                bank_calls.append((type(exc).__name__, time.monotonic() - sent))
        return None  # the runner never hears back

    with (
        Held(platform) as served,
        lendsim(
            tmp_path,
            "run",
            str(scenario),
            "--platform",
            served.url,
            "--report-dir",
            str(reports),
            "--junit",
            str(junit),
        ) as run,
    ):
        served.wait_for("POST /harness/setup")
        time.sleep(0.5)  # the platform's call reaches the simulator's bank, and is held there

        seconds = run.stop(signum)
        deadline = time.monotonic() + 5
        while not bank_calls and time.monotonic() < deadline:
            time.sleep(0.05)

    name = signal.Signals(signum).name
    assert seconds < PROMPTLY, f"{seconds:.2f} s\n{run.output()}"
    assert run.process.returncode == -signum
    assert f"interrupted by {name}: stopped [{served.url}] was not judged and has no report" in run.output()
    assert bank_calls and bank_calls[0][0] != "answered" and bank_calls[0][1] < 10, bank_calls  # let go, not answered
    assert not list(reports.glob("*.json"))
    cases = ET.parse(junit).getroot().findall("testsuite/testcase")
    assert [case.get("name") for case in cases] == ["O4 ledgers_reconcile"]
    assert all(case.find("error") is not None for case in cases)
    assert f"interrupted by {name}" in (cases[0].find("error").get("message") or "")  # type: ignore[union-attr]


def test_run_in_process_stopped_by_sigint_ends_by_it_without_a_report(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    with lendsim(
        tmp_path,
        "run",
        "xiaomi-minsheng-2019",
        "--platform",
        "resilient",
        "--borrowers",
        "1000",
        "--report-dir",
        str(reports),
    ) as run:
        run.wait_until(lambda: "xiaomi-minsheng-2019 [resilient]" in run.output(), "the run under way")

        seconds = run.stop(signal.SIGINT)

    assert seconds < PROMPTLY, f"{seconds:.2f} s"
    assert run.process.returncode == -signal.SIGINT
    assert "interrupted by SIGINT: xiaomi-minsheng-2019 [resilient] was not judged" in run.output()
    assert "Traceback" not in run.output()
    assert not reports.exists() or not list(reports.glob("*.json"))


def _children(pid: int) -> list[int]:
    """The processes ``pid`` started (Linux: /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with suppress(OSError):
            found += [int(child) for child in (task / "children").read_text().split()]
    return found


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads a process's children from /proc")
def test_runs_on_workers_stopped_by_sigterm_end_by_it_with_the_workers_gone_and_no_run_passed(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    with lendsim(
        tmp_path, "run", "xiaomi-minsheng-2019", "--platform", "resilient", "--borrowers", "1000", "--seeds", "1..4",
        "--workers", "2", "--junit", str(junit),
    ) as run:  # fmt: skip
        run.wait_until(lambda: "4 runs on 2 local processes" in run.output(), "the runs under way")
        run.wait_until(lambda: len(_children(run.process.pid)) >= 2, "the workers started")
        workers = _children(run.process.pid)

        seconds = run.stop(signal.SIGTERM)

    assert seconds < PROMPTLY, f"{seconds:.2f} s"
    assert run.process.returncode == -signal.SIGTERM
    assert "interrupted by SIGTERM: xiaomi-minsheng-2019 [resilient] was not judged" in run.output()
    assert "Traceback" not in run.output()
    deadline = time.monotonic() + 5
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()], "a worker outlived the command"
    cases = ET.parse(junit).getroot().iter("testcase")
    assert all(case.find("failure") is None for case in cases)
    assert "interrupted by SIGTERM" in junit.read_text(encoding="utf-8")
