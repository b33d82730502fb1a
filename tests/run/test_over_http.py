"""Runs over HTTP: latency in virtual time, the client timeouts a platform declares, and borrowers sent at once."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from lendsim_examples import app_for
from simulator._resources import bundled_scenario
from simulator.cli import cli
from simulator.run import HttpDriver, RunResult, run_scenario
from simulator.scenario import Scenario, load_scenario
from tests.http.conftest import running

SLOW_BANK = """\
name: slow-schedules
seed: 1
start: 2019-05-01
duration: 1 day
population: {borrowers: 2, loan: {principal: 1000..2000, term: 3, due_day: 10}}
borrowers: {on_time: 100%}
faults:
  - at: bank.repayPlanQuery
    latency: {delay: DELAY}
expect:
  ledgers_reconcile: {}
"""


class Asking:
    """A platform that, at its first tick, asks the bank for a loan's schedule with its own read timeout, and keeps
    what its client saw. Its setupRun answer declares ``declares`` as its client timeouts (nothing when None)."""

    def __init__(self, *, timeout: float, declares: dict[str, Any] | None = None) -> None:
        self.timeout = timeout
        self.declares = declares
        self.bank = ""
        self.loan = ""
        self.saw: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        raw = (await receive())["body"]
        body = json.loads(raw) if raw else None
        answer: Any = {}
        if scope["path"] == "/harness/setup":
            self.bank, self.loan = body["partners"]["bank"], body["loans"][0]["loanOuterNo"]
            answer = {"ready": True} if self.declares is None else {"ready": True, "clientTimeouts": self.declares}
        elif scope["path"] == "/harness/tick":
            if not self.saw:
                await self._ask()
            answer = {"now": body["now"]}
        elif scope["path"] == "/harness/ledger":
            answer = {"loans": []}
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": json.dumps(answer).encode()})

    async def _ask(self) -> None:
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            try:
                response = await client.get(f"{self.bank}/loans/{self.loan}/schedule")
            except httpx.ReadTimeout:
                self.saw.append("timeout")
            else:
                self.saw.append(f"{response.status_code} at {response.headers['x-lendsim-virtual-time']}")


def slow_bank(tmp_path: Path, delay: str) -> Scenario:
    path = tmp_path / "slow-schedules.yaml"
    path.write_text(SLOW_BANK.replace("DELAY", delay), encoding="utf-8")
    return load_scenario(str(path))


def schedule_answer(result: RunResult) -> Any:
    answer = result.sim.journal.last(kind="response", operation="repayPlanQuery", loan=None)
    assert answer is not None
    return answer


def test_a_latency_below_the_declared_client_timeout_is_answered_at_once_stamped_that_much_later(
    tmp_path: Path,
) -> None:
    platform = Asking(timeout=10, declares={"bank": "PT10S"})

    with running(platform) as url:
        result = run_scenario(slow_bank(tmp_path, "PT5S"), HttpDriver(url))

    # The first tick is an hour in; the answer comes 5 s after it, in virtual time only.
    assert platform.saw == ["200 at 2019-05-01T01:00:05+08:00"]
    answer = schedule_answer(result)
    assert answer.virtual_time.isoformat() == "2019-05-01T01:00:05+08:00" and answer.data["delay"] == 5
    assert "transportFault" not in answer.data


def test_a_latency_at_or_beyond_the_declared_client_timeout_is_a_timeout_the_client_gives_up_on(
    tmp_path: Path,
) -> None:
    platform = Asking(timeout=0.3, declares={"bank": "PT0.3S", "sms": "PT3S"})

    with running(platform) as url:
        result = run_scenario(slow_bank(tmp_path, "PT1H"), HttpDriver(url))

    assert platform.saw == ["timeout"]
    answer = schedule_answer(result)
    assert answer.data["transportFault"] == "timeout" and answer.data["clientTimeout"] == 0.3
    declared = result.sim.journal.last(operation="clientTimeouts")
    assert declared is not None
    assert declared.data == {"declared": {"bank": "PT0.3S", "sms": "PT3S"}, "default": "PT10S"}


@pytest.mark.parametrize(("option", "saw"), [((), "200 at 2019-05-01T01:00:05+08:00"), (("PT1S",), "timeout")])
def test_for_a_platform_that_declares_nothing_lendsim_run_client_timeout_stands_in(
    tmp_path: Path, option: tuple[str, ...], saw: str
) -> None:
    platform = Asking(timeout=1)  # its client waits a second, and it does not say so
    scenario = tmp_path / "slow.yaml"
    scenario.write_text(SLOW_BANK.replace("DELAY", "PT5S"), encoding="utf-8")

    with running(platform) as url:
        arguments = ["run", str(scenario), "--platform", url, *(("--client-timeout", *option) if option else ())]
        CliRunner().invoke(cli, arguments)

    # Without the option lendsim assumes 10 s: the 5 s latency is answered (this client would have given up).
    assert platform.saw == [saw]


@pytest.mark.parametrize(
    ("declares", "message"),
    [
        ({"bnak": "PT1S"}, "clientTimeouts names 'bnak', which is no partner of this run; did you mean 'bank'?"),
        ({"sms": "soon"}, "clientTimeouts.sms is 'soon', not a duration; write an ISO 8601 duration"),
        ({"sms": "PT2H"}, "clientTimeouts.sms is 'PT2H', outside the range"),
        ("PT1S", "clientTimeouts is 'PT1S', not a mapping of partner to duration"),
    ],
)
def test_a_declaration_lendsim_cannot_read_is_an_error_naming_the_field(
    tmp_path: Path, declares: Any, message: str
) -> None:
    scenario = tmp_path / "slow.yaml"
    scenario.write_text(SLOW_BANK.replace("DELAY", "PT5S"), encoding="utf-8")

    with running(Asking(timeout=1, declares=declares)) as url:
        result = CliRunner().invoke(cli, ["run", str(scenario), "--platform", url])

    assert result.exit_code == 2
    assert f"the platform failed setupRun: {message}" in " ".join(result.output.split())


@pytest.mark.parametrize("value", ["soon", "PT0S", "PT2H"])
def test_a_client_timeout_option_that_is_no_duration_up_to_an_hour_is_refused(value: str) -> None:
    result = CliRunner().invoke(cli, ["run", "sms-retry-storm", "--platform", "naive", "--client-timeout", value])

    assert result.exit_code == 2 and "--client-timeout" in result.output and repr(value) in result.output


# -- borrowers at once -----------------------------------------------------------------------------------------------


class Counting:
    """An ASGI app in front of another, counting the requests in flight at once."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.in_flight = 0
        self.most = 0
        self._lock = threading.Lock()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with self._lock:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        try:
            await self.app(scope, receive, send)
        finally:
            with self._lock:
                self.in_flight -= 1


@contextmanager
def resilient_over_http() -> Iterator[tuple[Counting, str]]:
    app = Counting(app_for("resilient"))
    with running(app) as url:
        yield app, url


def judged(result: RunResult) -> tuple[list[tuple[str, bool, int, int]], Counter[tuple[str, str | None, str | None]]]:
    """What the invariants said, and how many journal entries of each kind, partner and operation the run made."""
    verdicts = [(v.invariant, v.held, v.checked, len(v.violations)) for v in result.verdicts]
    return verdicts, Counter((entry.kind, entry.partner, entry.operation) for entry in result.sim.journal)


@pytest.mark.parametrize("name", ["xiaomi-minsheng-2019", "out-of-order-callback"])
def test_borrowers_sent_at_once_get_the_verdicts_and_journal_of_a_run_one_request_at_a_time(name: str) -> None:
    scenario = load_scenario(str(bundled_scenario(name)))

    with resilient_over_http() as (serial, url):
        one_at_a_time = run_scenario(scenario, HttpDriver(url), borrowers=8, concurrency=1)
    with resilient_over_http() as (concurrent, url):
        at_once = run_scenario(scenario, HttpDriver(url), borrowers=8, concurrency=8)

    assert serial.most == 1 and concurrent.most > 1
    assert one_at_a_time.passed and at_once.passed
    assert judged(at_once) == judged(one_at_a_time)


def test_the_replay_line_of_a_run_over_http_with_faults_by_chance_asks_for_one_request_at_a_time() -> None:
    with running(app_for("naive")) as url:
        result = CliRunner().invoke(cli, ["run", "bank-api-flaky", "--platform", url, "--borrowers", "3"])

    assert result.exit_code == 1, result.output
    replay = next(line for line in result.output.splitlines() if "replay:" in line).split("replay: ", 1)[1]
    assert replay == f"lendsim run bank-api-flaky --platform {url} --seed 31 --borrowers 3 --concurrency 1"
