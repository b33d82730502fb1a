"""In-process section: ``repayApply`` through the pytest plugin's respx routing and through ``lendsim.transport``,
each against the bare httpx mechanism it rides on answering a constant response, plus the core alone.

Every call sends a fresh ``repayOuterNo`` (bodies made up front, the same bytes for subject and baseline) to a
registered loan; the simulator validates it, checks the loan, records the repayment, schedules its posting and
journals request and response. Subject and baseline alternate in rounds and each figure is the median of the
rounds, so a change in the machine's load hits both sides alike.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import respx

from bench._report import Row
from simulator.core import Reply, Request
from simulator.testing import Lendsim, mock_router
from simulator.world import Simulator

__all__ = ["Settings", "measure"]

SECTION = "inprocess"
LOAN = {
    "loanOuterNo": "LNBENCH00001",
    "borrowerId": "B00001",
    "creditContractNo": "CCBENCH00001",
    "principal": "20000.00",
    "annualRate": "0.0720",
    "term": 12,
    "dueDay": 10,
    "disburseDate": "2019-04-10",
    "repayMethod": "EQUAL_INSTALLMENT",
    "name": "测试",
    "certType": "ID_CARD",
    "certNo": "110101199003070016",
    "phone": "13800138000",
}
HEADERS = {"content-type": "application/json"}
BARE_URL = "http://bank.example/repayments"  # where the bare respx route answers

# The rows, shared with the instructions section (which counts the same paths in instructions).
RESPX_ROW = "repayApply via the plugin's respx routing vs a bare respx route"
RESPX_HTTPX_ROW = "the same vs a bare respx route at httpx's level (respx.mock(using='httpx'))"
RESPX_HTTPX_NOTE = (
    "the plugin answers a client on httpx's own transport at httpx's level; the row above compares it with respx's "
    "default, httpcore's level, which this row leaves out"
)
TRANSPORT_ROW = "repayApply via lendsim.transport('bank') vs a bare httpx.MockTransport"
CORE_ROW = "core alone: Simulator.handle(repayApply)"
STUBBED_ROW = "core with the bank's repayApply stubbed (engine only: route, validate, journal, respond)"
STUBBED_NOTE = "the difference to the row above is the bank's behaviour"

Send = Callable[[bytes], object]


@dataclass(frozen=True, slots=True)
class Settings:
    calls: int = 2000  # per round and side
    rounds: int = 7

    @classmethod
    def quick(cls) -> Settings:
        return cls(calls=500, rounds=3)


def _bodies(tag: str) -> Iterator[bytes]:
    number = 0
    while True:
        number += 1
        serial = f"RP{tag}{number:010d}"
        yield json.dumps(
            {
                "reqNo": f"REQ{serial}",
                "repayOuterNo": serial,
                "loanOuterNo": LOAN["loanOuterNo"],
                "repayAmount": "0.01",
                "repayMode": "PARTNER_COLLECT",
                "repayType": "NORMAL_REPAY",
                "actualRepayDate": "2019-05-01T10:00:00+08:00",
                "repayList": [{"installmentNo": 1, "paidPrincipal": "0.01", "paidInterest": "0.00", "paidFee": "0.00"}],
            },
            separators=(",", ":"),
        ).encode()


def _per_call(calls: int, send: Callable[[bytes], object], bodies: Iterator[bytes]) -> float:
    """CPU seconds per call of ``send`` over ``calls`` fresh bodies (made before the clock starts).

    CPU time of this process, not wall time: on a shared machine another process taking the core would
    otherwise count against whichever side happened to be running.
    """
    batch = [next(bodies) for _ in range(calls)]
    started = time.process_time()
    for body in batch:
        send(body)
    return (time.process_time() - started) / calls


@dataclass(frozen=True, slots=True)
class Pair:
    subject: float  # seconds per call, median of the rounds
    baseline: float
    ratio: float  # median of the per-round ratios


def _compare(settings: Settings, subject: Callable[[bytes], object], baseline: Callable[[bytes], object]) -> Pair:
    subject_bodies, baseline_bodies = _bodies("S"), _bodies("B")
    return _alternate(
        settings,
        lambda calls: _per_call(calls, subject, subject_bodies),
        lambda calls: _per_call(calls, baseline, baseline_bodies),
    )


def _alternate(settings: Settings, subject: Callable[[int], float], baseline: Callable[[int], float]) -> Pair:
    """Warm both sides up, then run them in alternating rounds (each ``f(calls)`` → CPU seconds per call)."""
    subject(max(50, settings.calls // 10))
    baseline(max(50, settings.calls // 10))
    subjects, baselines = [], []
    for _ in range(settings.rounds):
        subjects.append(subject(settings.calls))
        baselines.append(baseline(settings.calls))
    ratios = [s / b for s, b in zip(subjects, baselines, strict=True)]
    return Pair(statistics.median(subjects), statistics.median(baselines), statistics.median(ratios))


def _answer(sim: Simulator) -> httpx.Response:
    """The constant the baselines answer: a real repayApply answer of the simulator, status, headers and body."""
    response = sim.handle(Request("POST", "/bank/repayments", "", HEADERS, next(_bodies("K"))))
    return httpx.Response(response.status, headers=response.headers, content=response.body)


def _harness() -> Lendsim:
    harness = Lendsim(seed=1)
    registered = harness.sim.call("bench", "bank", "registerLoan", LOAN)
    if registered.status not in (200, 201):
        raise RuntimeError(f"registerLoan answered {registered.status}: {registered.body[:300]!r}")
    return harness


def _post(client: httpx.Client, url: str) -> Send:
    """POST a body to ``url`` (absolute, or relative to the client's base URL) as the platform would."""
    return lambda body: client.post(url, content=body, headers=HEADERS)


def _handle(sim: Simulator) -> Send:
    """The core alone: ``Simulator.handle`` of a repayApply with the body."""
    return lambda body: sim.handle(Request("POST", "/bank/repayments", "", HEADERS, body))


@contextmanager
def _bare_respx(answer: httpx.Response, using: str = "httpcore") -> Iterator[None]:
    """A bare respx route at :data:`BARE_URL` answering ``answer`` (respx clones it per call), active inside;
    ``using`` is respx's mocker (its default is httpcore's level)."""
    with respx.mock(assert_all_called=False, using=using) as router:
        router.post(BARE_URL).mock(return_value=answer)
        yield


def _simulator(*, stubbed: bool = False) -> Simulator:
    """A simulator with the bench loan registered; ``stubbed``: the bank's repayApply answers a constant."""
    sim = Simulator(seed=1)
    sim.call("bench", "bank", "registerLoan", LOAN)
    if stubbed:
        constant = json.loads(_answer(sim).content)

        def behaviour(call: object) -> Reply:
            return Reply(200, dict(constant), borrower=str(LOAN["borrowerId"]), loan=str(LOAN["loanOuterNo"]))

        sim.behaviours[("bank", "repayApply")] = behaviour
    return sim


def _constant(answer: httpx.Response) -> Callable[[httpx.Request], httpx.Response]:
    status, headers, content = answer.status_code, dict(answer.headers), answer.content

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        return httpx.Response(status, headers=headers, content=content)

    return handler


def measure(settings: Settings) -> tuple[list[Row], list[str]]:
    harness = _harness()
    answer = _answer(harness.sim)
    rows: list[Row] = []

    # Through the plugin's respx routing (what the `lendsim` fixture does) vs a bare respx route.
    routed_pair = _compare_respx(settings, harness, answer)
    rows.append(
        Row(
            SECTION,
            RESPX_ROW,
            _us(routed_pair.subject),
            _us(routed_pair.baseline),
            routed_pair.ratio,
            "≤ 1.2×",
            routed_pair.ratio <= 1.2,
        )
    )
    same_level = _compare_respx(settings, harness, answer, using="httpx")
    rows.append(
        Row(
            SECTION,
            RESPX_HTTPX_ROW,
            _us(same_level.subject),
            _us(same_level.baseline),
            same_level.ratio,
            note=RESPX_HTTPX_NOTE,
        )
    )

    transport = httpx.Client(transport=harness.transport("bank"), base_url="http://bank")
    mock = httpx.Client(transport=httpx.MockTransport(_constant(answer)), base_url="http://bank")
    pair = _compare(settings, _post(transport, "/repayments"), _post(mock, "/repayments"))
    rows.append(
        Row(
            SECTION,
            TRANSPORT_ROW,
            _us(pair.subject),
            _us(pair.baseline),
            pair.ratio,
            "≤ 1.3×",
            pair.ratio <= 1.3,
        )
    )
    rows += _core_rows(settings, pair.baseline)
    harness.sim.journal.close()
    return rows, [
        f"CPU time per call; {settings.rounds} rounds of {settings.calls:,} calls per side, alternating; figures "
        "are medians of the rounds, ratios the median of the per-round ratios. One loan, a fresh repayOuterNo per "
        "call, virtual time not advanced (each repayment is accepted, recorded and its posting scheduled)."
    ]


def _compare_respx(settings: Settings, harness: Lendsim, answer: httpx.Response, using: str = "httpcore") -> Pair:
    """The plugin's routing and a bare respx route (respx's mocker ``using``), each active only while its own side
    runs."""
    subject_bodies, baseline_bodies = _bodies("R"), _bodies("Q")
    client = httpx.Client()
    url = harness.base_url("bank") + "/repayments"

    def subject(calls: int) -> float:
        with mock_router(harness.sim):  # what the plugin's fixture enters for each test
            return _per_call(calls, _post(client, url), subject_bodies)

    def baseline(calls: int) -> float:
        with _bare_respx(answer, using):
            return _per_call(calls, _post(client, BARE_URL), baseline_bodies)

    return _alternate(settings, subject, baseline)


def _core_rows(settings: Settings, mock_transport: float) -> list[Row]:
    """``Simulator.handle`` alone, and with the bank's behaviour replaced by a constant (the engine's own share)."""
    sim, stub = _simulator(), _simulator(stubbed=True)
    pair = _compare(settings, _handle(sim), _handle(stub))
    sim.journal.close()
    stub.journal.close()
    return [
        Row(
            SECTION,
            CORE_ROW,
            _us(pair.subject),
            note=f"{pair.subject / mock_transport:.2f}× a bare MockTransport call",
        ),
        Row(
            SECTION,
            STUBBED_ROW,
            _us(pair.baseline),
            note=STUBBED_NOTE,
        ),
    ]


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:,.1f} µs/call"
