"""HTTP section: ``lendsim serve`` answering a validated, stateful ``repayApply`` against the same JSON from a raw
ASGI app on the same uvicorn settings, WireMock (warm and cold) and Prism — all loaded by wrk on loopback.

Every request carries a fresh ``repayOuterNo`` (bench/repay.lua) for one of :data:`LOANS` loans registered first,
so lendsim validates, checks the loan, records the repayment, journals both sides to an SQLite file
(``--journal``) and — virtual time running at ``--speed 60`` — posts it two virtual seconds later and journals
the callback it could not deliver. A second run with virtual time standing still (no ``--speed``) shows what the
postings cost. Servers are pinned to CPU 0 and wrk to CPU 1 (taskset), when there are two.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench._report import Row, not_available
from bench._tools import Unavailable, ensure_npm_tool, ensure_wrk
from simulator.population import Population

__all__ = ["Load", "Server", "Settings", "loan_body", "measure", "run_wrk"]

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).resolve().parent / "repay.lua"
LOANS = 1000
FLAT_GROWTH = 0.05  # RSS grown by less than this fraction over the long run counts as flat
START = "2019-05-01T10:00:00+08:00"
SECTION = "http"


@dataclass(frozen=True, slots=True)
class Settings:
    seconds: float = 20.0  # each measured load
    warmup: float = 5.0  # load before a warm measurement (lendsim, raw ASGI, Prism)
    wiremock_warmup: float = 60.0
    cold: float = 5.0  # the first seconds after start
    long: float = 60.0  # the RSS run
    connections: int = 16

    @classmethod
    def quick(cls) -> Settings:
        return cls(seconds=5.0, warmup=2.0, wiremock_warmup=15.0, cold=5.0, long=10.0)


@dataclass(frozen=True, slots=True)
class Load:
    """What wrk saw."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


# -- processes ----------------------------------------------------------------------------------------------


def _cpus() -> tuple[list[str], list[str]]:
    """taskset prefixes for the server and for the load generator (none on a single core or without taskset)."""
    if shutil.which("taskset") is None or (os.cpu_count() or 1) < 2:
        return [], []
    return ["taskset", "-c", "0"], ["taskset", "-c", "1"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """A server process (and its children) in its own session, so it can be stopped as a group."""

    def __init__(self, name: str, command: Sequence[str], port: int, log: Path) -> None:
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.started = time.perf_counter()
        self._log = log.open("w")
        self.process = subprocess.Popen(
            [*_cpus()[0], *command], stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT
        )

    def wait_ready(self, timeout: float = 120.0) -> float:
        """Seconds from start to the first HTTP answer (any status)."""
        deadline = self.started + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self._log.name}")
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(self.url + "/", timeout=1.0)
                return time.perf_counter() - self.started
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s; see {self._log.name}")

    def rss(self) -> int:
        """Resident memory of the process and its children, in bytes (WireMock's node wrapper runs java)."""
        return sum(_rss(pid) for pid in _tree(self.process.pid))

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
        self._log.close()


def _tree(pid: int) -> list[int]:
    found = [pid]
    with contextlib.suppress(OSError):
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            found.extend(_tree(int(child)))
    return found


def _rss(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


@contextlib.contextmanager
def _running(name: str, command: Sequence[str], port: int, workdir: Path) -> Iterator[Server]:
    server = Server(name, command, port, workdir / f"{name.split()[0].lower()}.log")
    try:
        yield server
    finally:
        server.stop()


# -- load -------------------------------------------------------------------------------------------------


def run_wrk(
    wrk: str,
    url: str,
    path: str,
    tag: str,
    seconds: float,
    connections: int,
    *,
    script: Path = LUA,
    arguments: Sequence[str] | None = None,
    headers: Sequence[str] = (),
) -> Load:
    """Load ``url`` for ``seconds`` with one wrk thread and ``connections`` connections.

    By default each request is a unique repayApply (bench/repay.lua: ``path``, ``tag`` and :data:`LOANS`); another
    ``script`` gets ``arguments`` after ``--`` and ``headers`` ("Name: value") as ``-H``. Every script ends by
    printing the JSON line read here.
    """
    command = [
        *_cpus()[1],
        wrk,
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        *(flag for header in headers for flag in ("-H", header)),
        "-s",
        str(script),
        url,
        "--",
        *([path, tag, str(LOANS)] if arguments is None else arguments),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({done.returncode}): {(done.stderr or done.stdout)[-300:]}")
    figures = json.loads(lines[-1])
    return Load(
        requests=figures["requests"],
        seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        errors=figures["status_errors"] + figures["socket_errors"],
    )


# -- the servers ------------------------------------------------------------------------------------------


def _lendsim_command(port: int, journal: Path, *, realtime: bool = True) -> list[str]:
    """``lendsim serve`` with the journal on disk; virtual time at 60× real time (so repayments get posted) unless
    ``realtime`` is off (then time stands still and every repayment stays accepted, its posting pending)."""
    lendsim = str(Path(sys.executable).parent / "lendsim")
    command = [lendsim, "serve", "--port", str(port), "--journal", str(journal), "--start", START]
    return [*command, "--speed", "60"] if realtime else command


def loan_body(index: int, population: Population) -> dict[str, object]:
    """The registerLoan body of bench loan ``index``: 20,000.00 over 12 months, a synthetic borrower."""
    person = population.borrower(index)
    return {
        "loanOuterNo": f"LNBENCH{index:05d}",
        "borrowerId": person.borrower_id,
        "creditContractNo": f"CCBENCH{index:05d}",
        "principal": "20000.00",
        "annualRate": "0.0720",
        "term": 12,
        "dueDay": 10,
        "disburseDate": "2019-04-10",
        "repayMethod": "EQUAL_INSTALLMENT",
        "name": person.name,
        "certType": "ID_CARD",
        "certNo": person.id_number,
        "phone": person.phone,
    }


def _register_loans(url: str) -> None:
    """Register :data:`LOANS` loans (:func:`loan_body`)."""
    population = Population(7, LOANS)
    with httpx.Client(base_url=url, timeout=30) as client:
        for index in range(LOANS):
            body = loan_body(index, population)
            response = client.post("/bank/loans", json=body)
            if response.status_code not in (200, 201):
                raise RuntimeError(f"registerLoan answered {response.status_code}: {response.text[:300]}")


def _sample_answer(url: str) -> bytes:
    """One real repayApply answer from lendsim: the body the baselines serve."""
    body = {
        "reqNo": "REQSAMPLE",
        "repayOuterNo": "RPSAMPLE0000000001",
        "loanOuterNo": "LNBENCH00000",
        "repayAmount": "0.01",
        "repayMode": "PARTNER_COLLECT",
        "repayType": "NORMAL_REPAY",
        "actualRepayDate": "2019-05-01T10:00:00+08:00",
        "repayList": [{"installmentNo": 1, "paidPrincipal": "0.01", "paidInterest": "0.00", "paidFee": "0.00"}],
    }
    response = httpx.post(url + "/bank/repayments", json=body, timeout=30)
    if response.status_code != 200 or response.json().get("repayStatus") not in ("PROCESSING", "SUCCESS"):
        raise RuntimeError(f"repayApply answered {response.status_code}: {response.text[:300]}")
    return response.content


@dataclass
class _Figures:
    warm: Load | None = None
    cold: Load | None = None
    rss_before: int = 0
    rss_after: int = 0
    startup: float = 0.0


def _lendsim(wrk: str, settings: Settings, workdir: Path) -> tuple[_Figures, bytes]:
    figures = _Figures()
    port = _free_port()
    with _running("lendsim serve", _lendsim_command(port, workdir / "journal.sqlite"), port, workdir) as server:
        figures.startup = server.wait_ready()
        _register_loans(server.url)
        answer = _sample_answer(server.url)
        figures.cold = run_wrk(wrk, server.url, "/bank/repayments", "C", settings.cold, settings.connections)
        run_wrk(wrk, server.url, "/bank/repayments", "W", settings.warmup, settings.connections)
        figures.rss_before = server.rss()
        figures.warm = run_wrk(wrk, server.url, "/bank/repayments", "M", settings.seconds, settings.connections)
        figures.rss_after = server.rss()
    return figures, answer


def _lendsim_manual_clock(wrk: str, settings: Settings, workdir: Path) -> Load:
    """The same load with virtual time standing still: validation, the bank's checks, the journal — no postings."""
    port = _free_port()
    command = _lendsim_command(port, workdir / "manual.sqlite", realtime=False)
    with _running("lendsim manual", command, port, workdir) as server:
        server.wait_ready()
        _register_loans(server.url)
        run_wrk(wrk, server.url, "/bank/repayments", "W", settings.warmup, settings.connections)
        return run_wrk(wrk, server.url, "/bank/repayments", "M", settings.seconds, settings.connections)


def _raw(wrk: str, settings: Settings, workdir: Path, answer: bytes) -> _Figures:
    figures = _Figures()
    body_file = workdir / "answer.json"
    body_file.write_bytes(answer)
    port = _free_port()
    command = [sys.executable, "-m", "bench._raw_asgi", "--port", str(port), "--body-file", str(body_file)]
    with _running("raw ASGI", command, port, workdir) as server:
        figures.startup = server.wait_ready()
        run_wrk(wrk, server.url, "/bank/repayments", "W", settings.warmup, settings.connections)
        figures.rss_before = server.rss()
        figures.warm = run_wrk(wrk, server.url, "/bank/repayments", "M", settings.seconds, settings.connections)
        figures.rss_after = server.rss()
    return figures


@dataclass
class _Soak:
    samples: list[tuple[float, int]]  # (seconds, RSS bytes)
    load: Load
    journal_bytes: int


def _soak(wrk: str, settings: Settings, workdir: Path) -> _Soak:
    """lendsim under load for ``settings.long`` seconds, its RSS sampled every second, the journal on disk."""
    port = _free_port()
    journal = workdir / "soak.sqlite"
    with _running("lendsim soak", _lendsim_command(port, journal), port, workdir) as server:
        server.wait_ready()
        _register_loans(server.url)
        run_wrk(wrk, server.url, "/bank/repayments", "W", settings.warmup, settings.connections)
        samples: list[tuple[float, int]] = []
        stop = threading.Event()

        def sample() -> None:
            started = time.perf_counter()
            while not stop.is_set():
                samples.append((time.perf_counter() - started, server.rss()))
                stop.wait(1.0)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        load = run_wrk(wrk, server.url, "/bank/repayments", "S", settings.long, settings.connections)
        stop.set()
        sampler.join()
        samples.append((settings.long, server.rss()))
    size = sum(path.stat().st_size for path in workdir.glob("soak.sqlite*"))
    return _Soak(samples, load, size)


def _wiremock(wrk: str, settings: Settings, workdir: Path, answer: bytes) -> _Figures:
    binary = ensure_npm_tool("wiremock")
    root = workdir / "wiremock"
    (root / "mappings").mkdir(parents=True, exist_ok=True)
    stub = {
        "request": {"method": "POST", "urlPath": "/bank/repayments"},
        "response": {
            "status": 200,
            "body": answer.decode(),
            "headers": {"Content-Type": "application/json", "X-Lendsim-Virtual-Time": START},
        },
    }
    (root / "mappings" / "repay.json").write_text(json.dumps(stub))
    figures = _Figures()
    port = _free_port()
    command = [
        binary,
        "--port",
        str(port),
        "--root-dir",
        str(root),
        "--no-request-journal",
        "--async-response-enabled",
        "true",
        "--disable-banner",
    ]
    with _running("WireMock", command, port, workdir) as server:
        figures.startup = server.wait_ready()
        figures.cold = run_wrk(wrk, server.url, "/bank/repayments", "C", settings.cold, settings.connections)
        run_wrk(wrk, server.url, "/bank/repayments", "W", settings.wiremock_warmup, settings.connections)
        figures.rss_before = server.rss()
        figures.warm = run_wrk(wrk, server.url, "/bank/repayments", "M", settings.seconds, settings.connections)
        figures.rss_after = server.rss()
    return figures


def _prism(wrk: str, settings: Settings, workdir: Path) -> _Figures:
    binary = ensure_npm_tool("prism")
    figures = _Figures()
    port = _free_port()
    command = [binary, "mock", str(ROOT / "contracts" / "bank.yaml"), "-p", str(port), "-h", "127.0.0.1"]
    with _running("Prism", command, port, workdir) as server:
        figures.startup = server.wait_ready()
        # Prism serves the contract's paths without the /bank server prefix.
        run_wrk(wrk, server.url, "/repayments", "W", settings.warmup, settings.connections)
        figures.rss_before = server.rss()
        figures.warm = run_wrk(wrk, server.url, "/repayments", "M", settings.seconds, settings.connections)
        figures.rss_after = server.rss()
    return figures


# -- rows -------------------------------------------------------------------------------------------------


def _mib(value: int) -> str:
    return f"{value / 2**20:.0f} MiB"


def _rate(load: Load) -> str:
    return f"{load.rate:,.0f} req/s"


def measure(settings: Settings) -> tuple[list[Row], list[str]]:
    """The HTTP rows and the details printed under the table."""
    try:
        wrk = ensure_wrk()
    except Unavailable as exc:
        why = f"wrk: {exc}"
        return [not_available(SECTION, "lendsim serve repayApply vs raw ASGI", why, "≥ 0.7×")], []
    rows: list[Row] = []
    details: list[str] = []
    with tempfile.TemporaryDirectory(prefix="lendsim-bench-") as temp:
        workdir = Path(temp)
        lendsim, answer = _lendsim(wrk, settings, workdir)
        raw = _raw(wrk, settings, workdir, answer)
        manual = _lendsim_manual_clock(wrk, settings, workdir)
        assert lendsim.warm is not None and raw.warm is not None and lendsim.cold is not None
        ratio = lendsim.warm.rate / raw.warm.rate
        manual_ratio = manual.rate / raw.warm.rate
        rows += [
            Row(
                SECTION,
                "repayApply throughput, lendsim serve vs raw ASGI",
                _rate(lendsim.warm),
                _rate(raw.warm),
                ratio,
                "≥ 0.7×",
                ratio >= 0.7,
                _errors_note(lendsim.warm, raw.warm),
            ),
            Row(
                SECTION,
                "repayApply throughput, virtual time standing still (no postings) vs raw ASGI",
                _rate(manual),
                _rate(raw.warm),
                manual_ratio,
                "≥ 0.7×",
                manual_ratio >= 0.7,
                "what the posting two virtual seconds later costs is the difference to the row above",
            ),
            Row(
                SECTION,
                "p50 latency, lendsim vs raw ASGI",
                f"{lendsim.warm.p50_ms:.2f} ms",
                f"{raw.warm.p50_ms:.2f} ms",
                lendsim.warm.p50_ms / raw.warm.p50_ms,
            ),
            Row(
                SECTION,
                "p99 latency, lendsim vs raw ASGI",
                f"{lendsim.warm.p99_ms:.2f} ms",
                f"{raw.warm.p99_ms:.2f} ms",
                lendsim.warm.p99_ms / raw.warm.p99_ms,
            ),
            Row(
                SECTION,
                "RSS before → after the measured load, lendsim vs raw ASGI",
                f"{_mib(lendsim.rss_before)} → {_mib(lendsim.rss_after)}",
                f"{_mib(raw.rss_before)} → {_mib(raw.rss_after)}",
            ),
        ]
        soak = _soak(wrk, settings, workdir)
        rows.append(_soak_row(soak, settings))
        details.append(_soak_details(soak))
        rows += _peer_rows(wrk, settings, workdir, answer, lendsim)
        details.append(
            f"Load: wrk, 1 thread, {settings.connections} connections, {settings.seconds:.0f} s per measurement after "
            f"{settings.warmup:.0f} s of warm-up (WireMock: {settings.wiremock_warmup:.0f} s); cold = the first "
            f"{settings.cold:.0f} s of load after the server first answered. "
            f"Start to first answer: lendsim {lendsim.startup:.1f} s, raw ASGI {raw.startup:.1f} s. "
            + ("Servers pinned to CPU 0, wrk to CPU 1." if _cpus()[0] else "No CPU pinning (one core or no taskset).")
        )
    return rows, details


def _errors_note(*loads: Load) -> str:
    errors = sum(load.errors for load in loads)
    return f"{errors} requests answered non-2xx or failed at the socket" if errors else ""


def _soak_row(soak: _Soak, settings: Settings) -> Row:
    first, last = soak.samples[0][1], soak.samples[-1][1]
    per_request = (last - first) / max(1, soak.load.requests)
    # Flat is flat: grown by under 5 % over the run. (It once read "under 2 KiB a request", what the bank then kept
    # per repayment; a server that grows 2.4× in a minute is not flat, whatever it keeps the memory for.)
    return Row(
        SECTION,
        f"RSS over a {settings.long:.0f} s run ({soak.load.requests:,} requests), journal on disk",
        f"{_mib(first)} → {_mib(last)}",
        target="flat (< 5 % growth)",
        met=last - first < FLAT_GROWTH * first,
        note=f"{per_request:,.0f} bytes per request held in memory; see the details below the table",
    )


def _soak_details(soak: _Soak) -> str:
    points = ", ".join(
        f"{seconds:.0f} s {rss / 2**20:.0f}" for seconds, rss in soak.samples[:: max(1, len(soak.samples) // 8)]
    )
    return (
        f"RSS run: {soak.load.rate:,.0f} req/s for {soak.load.seconds:.0f} s; RSS (MiB) at {points}; journal file "
        f"{soak.journal_bytes / 2**20:.0f} MiB on disk after {soak.load.requests:,} requests."
    )


def _peer_rows(wrk: str, settings: Settings, workdir: Path, answer: bytes, lendsim: _Figures) -> list[Row]:
    assert lendsim.warm is not None and lendsim.cold is not None
    rows: list[Row] = []
    try:
        wiremock = _wiremock(wrk, settings, workdir, answer)
    except (Unavailable, RuntimeError) as exc:
        why = f"WireMock: {exc}"
        rows += [
            not_available(SECTION, "throughput vs WireMock warm", why, "≥ 1.0×"),
            not_available(SECTION, "throughput cold vs WireMock cold", why, "≥ 5×"),
            not_available(SECTION, "p99 vs WireMock warm p99", why, "≤ 0.1×"),
        ]
    else:
        assert wiremock.warm is not None and wiremock.cold is not None
        warm = lendsim.warm.rate / wiremock.warm.rate
        cold = lendsim.cold.rate / wiremock.cold.rate
        p99 = lendsim.warm.p99_ms / wiremock.warm.p99_ms
        rows += [
            Row(
                SECTION,
                "throughput, lendsim vs WireMock warm (static stub)",
                _rate(lendsim.warm),
                _rate(wiremock.warm),
                warm,
                "≥ 1.0×",
                warm >= 1.0,
                _errors_note(wiremock.warm),
            ),
            Row(
                SECTION,
                f"throughput in the first {settings.cold:.0f} s, lendsim vs WireMock cold",
                _rate(lendsim.cold),
                _rate(wiremock.cold),
                cold,
                "≥ 5×",
                cold >= 5.0,
                f"start to first answer: lendsim {lendsim.startup:.1f} s, WireMock {wiremock.startup:.1f} s",
            ),
            Row(
                SECTION,
                "p99 latency, lendsim vs WireMock warm",
                f"{lendsim.warm.p99_ms:.2f} ms",
                f"{wiremock.warm.p99_ms:.2f} ms",
                p99,
                "≤ 0.1×",
                p99 <= 0.1,
            ),
            Row(SECTION, "RSS after load, lendsim vs WireMock", _mib(lendsim.rss_after), _mib(wiremock.rss_after)),
        ]
    try:
        prism = _prism(wrk, settings, workdir)
    except (Unavailable, RuntimeError) as exc:
        rows.append(not_available(SECTION, "throughput vs Prism", f"Prism: {exc}"))
    else:
        assert prism.warm is not None
        rows.append(
            Row(
                SECTION,
                "throughput, lendsim vs Prism (validating mock of bank.yaml)",
                _rate(lendsim.warm),
                _rate(prism.warm),
                lendsim.warm.rate / prism.warm.rate,
                note=_errors_note(prism.warm),
            )
        )
    return rows
