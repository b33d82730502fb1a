"""Generic mock section: ``lendsim serve --no-auth --contract FILE`` against ``prism mock FILE`` on the real-world
corpus of ../shared/reference/real-contracts/, one typical operation per contract (docs/mock-your-partner.md).

For each server and contract: wall time from process start to the first 2xx answer of the operation, the server's
CPU seconds by then (user + system of its process tree, from /proc), RSS at that moment, then requests/s under
wrk on that operation and RSS after that load. Prism is installed as the http section installs it (npm, into
bench/.cache) and loaded by the same wrk runner. A server that fails to start, or never answers 2xx within the
time allowed, is a row saying so with its error. Servers are pinned to CPU 0 and wrk to CPU 1, when there are two.
"""

from __future__ import annotations

import base64
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench._http import Load, Server, _cpus, _free_port, _tree, run_wrk
from bench._report import Row, not_available
from bench._tools import Unavailable, ensure_npm_tool, ensure_wrk

__all__ = ["CORPUS", "OPERATIONS", "Operation", "Outcome", "Settings", "cpu_seconds", "measure", "rows_for"]

ROOT = Path(__file__).resolve().parent.parent
#: ../shared/reference/real-contracts beside the clone (or LENDSIM_REAL_CONTRACTS), as tests/openapi reads it.
CORPUS = Path(os.environ.get("LENDSIM_REAL_CONTRACTS") or ROOT.parent / "shared" / "reference" / "real-contracts")
LUA = Path(__file__).resolve().parent / "generic.lua"
SECTION = "generic"


@dataclass(frozen=True, slots=True)
class Settings:
    seconds: float = 60.0  # the load, and so the RSS "after 60 s of load"
    first_answer: float = 180.0  # how long a server may take to give its first 2xx
    connections: int = 8

    @classmethod
    def quick(cls) -> Settings:
        return cls(seconds=10.0, first_answer=90.0)


@dataclass(frozen=True, slots=True)
class Operation:
    """A contract of the corpus and its typical operation, with the credentials Prism asks for.

    ``lendsim serve`` mounts a contract at ``/<file stem>`` (its servers' base path dropped); Prism serves its
    paths at the root. lendsim runs with ``--no-auth``; the headers are sent to both.
    """

    contract: str
    operations: int
    method: str
    path: str
    headers: tuple[str, ...] = ()
    body: str = ""
    shown: str = ""  # the path as the contract writes it, when ``path`` fills in its parameters

    @property
    def label(self) -> str:
        return f"{self.method} {self.shown or self.path.split('?', 1)[0]}"

    @property
    def mount(self) -> str:
        return "/" + Path(self.contract).stem.replace("-", "_")


_TWILIO_SID = "AC" + "0123456789abcdef" * 2
_TWILIO_AUTH = base64.b64encode(f"{_TWILIO_SID}:bench-token".encode()).decode()

OPERATIONS = (
    Operation("petstore.yaml", 19, "GET", "/pet/findByStatus?status=available", ("Authorization: Bearer bench",)),
    Operation(
        "twilio.json",
        197,
        "GET",
        f"/2010-04-01/Accounts/{_TWILIO_SID}/Messages.json",
        (f"Authorization: Basic {_TWILIO_AUTH}",),
        shown="…/Messages.json",
    ),
    Operation(
        "adyen_checkout.json",
        28,
        "GET",
        "/paymentLinks/PLBENCH0123456789",
        ("X-API-Key: bench",),
        shown="/paymentLinks/{linkId}",
    ),
    Operation(
        "plaid.yml",
        329,
        "POST",
        "/categories/get",
        ("Content-Type: application/json", "PLAID-CLIENT-ID: bench", "PLAID-SECRET: bench"),
        "{}",
    ),
    Operation("stripe.yaml", 468, "GET", "/v1/charges", ("Authorization: Bearer sk_test_bench",)),
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One server on one contract: its figures, or why there are none (``error``)."""

    server: str
    first_wall: float = 0.0
    first_cpu: float = 0.0
    first_rss: int = 0
    load: Load | None = None
    rss_after: int = 0
    error: str = ""


# -- /proc ------------------------------------------------------------------------------------------------


def cpu_seconds(stat: str, ticks: int) -> float:
    """User + system CPU seconds of a process and its waited-for children, from the text of ``/proc/PID/stat``.

    The command name (field 2) may hold spaces and parentheses, so the fields are counted after its last ``)``.
    """
    fields = stat[stat.rindex(")") + 2 :].split()
    # fields[0] is the state (field 3); utime, stime, cutime, cstime are fields 14-17.
    return sum(int(value) for value in fields[11:15]) / ticks


def _tree_cpu(pid: int) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for member in _tree(pid):
        with contextlib.suppress(OSError, ValueError):
            total += cpu_seconds(Path(f"/proc/{member}/stat").read_text(), ticks)
    return total


# -- one server on one contract ---------------------------------------------------------------------------


def _first_answer(server: Server, operation: Operation, path: str, timeout: float) -> tuple[float, float, int]:
    """Poll the operation until it answers 2xx: (wall seconds since start, CPU seconds, RSS) at that moment."""
    headers = dict(header.split(": ", 1) for header in operation.headers)
    deadline = server.started + timeout
    last = "no answer (connection refused)"
    while (left := deadline - time.perf_counter()) > 0:
        if server.process.poll() is not None:
            raise RuntimeError(f"exited with {server.process.returncode} before answering: {_log_tail(server)}")
        try:
            response = httpx.request(
                operation.method, server.url + path, headers=headers, content=operation.body or None, timeout=left
            )
        except httpx.HTTPError as exc:
            if not isinstance(exc, httpx.ConnectError):
                last = f"{type(exc).__name__}: {exc}"
        else:
            if 200 <= response.status_code < 300:
                return time.perf_counter() - server.started, _tree_cpu(server.process.pid), server.rss()
            last = f"{response.status_code} {response.text[:160]!r}"
        time.sleep(0.05)
    cpu, rss = _tree_cpu(server.process.pid), server.rss()
    raise RuntimeError(
        f"no 2xx answer within {timeout:.0f} s (by then {cpu:.0f} s CPU, {rss / 2**20:.0f} MiB RSS); last: {last}"
    )


def _log_tail(server: Server) -> str:
    with contextlib.suppress(OSError):
        lines = [line for line in Path(server._log.name).read_text().splitlines() if line.strip()]
        return " / ".join(lines[-3:])[-300:] or "no output"
    return "no log"


def _measure_one(
    name: str, command: Sequence[str], path: str, operation: Operation, wrk: str, settings: Settings, workdir: Path
) -> Outcome:
    port = _free_port()
    log = workdir / f"{name.split()[0].lower()}-{Path(operation.contract).stem}.log"
    server = Server(name, [*command, *_port_flags(name, port)], port, log)
    try:
        wall, cpu, rss = _first_answer(server, operation, path, settings.first_answer)
        load = run_wrk(
            wrk,
            server.url,
            path,
            "G",
            settings.seconds,
            settings.connections,
            script=LUA,
            arguments=[operation.method, path, operation.body],
            headers=operation.headers,
        )
        return Outcome(name, wall, cpu, rss, load, server.rss())
    except RuntimeError as exc:
        return Outcome(name, error=str(exc))
    finally:
        server.stop()


def _port_flags(name: str, port: int) -> list[str]:
    if name == "Prism":
        return ["-p", str(port), "-h", "127.0.0.1"]
    return ["--port", str(port)]


# -- rows -------------------------------------------------------------------------------------------------


def _mib(value: int) -> str:
    return f"{value / 2**20:.0f} MiB"


def rows_for(operation: Operation, lendsim: Outcome, prism: Outcome, seconds: float) -> list[Row]:
    """The five side-by-side rows of one contract: lendsim the figure, Prism the baseline, ratio lendsim / Prism."""
    name = f"{operation.contract} ({operation.operations} ops), {operation.label}"
    measures: list[tuple[str, str]] = [
        ("first 2xx from start (wall)", "wall"),
        ("CPU to first answer", "cpu"),
        ("RSS at first answer", "rss"),
        (f"wrk {seconds:.0f} s", "rate"),
        (f"RSS after {seconds:.0f} s of load", "after"),
    ]
    rows: list[Row] = []
    for index, (what, key) in enumerate(measures):
        figure, mine = _cell(lendsim, key)
        baseline, theirs = _cell(prism, key)
        notes = [f"{out.server}: {out.error}" for out in (lendsim, prism) if out.error and index == 0]
        if key == "rate":
            notes += [
                f"{out.server}: {out.load.errors:,} of {out.load.requests:,} answers non-2xx or failed"
                for out in (lendsim, prism)
                if out.load is not None and out.load.errors
            ]
        ratio = mine / theirs if mine is not None and theirs else None
        rows.append(Row(SECTION, f"{name}: {what}", figure, baseline, ratio, note="; ".join(notes)))
    return rows


def _cell(outcome: Outcome, key: str) -> tuple[str, float | None]:
    if outcome.error:
        return ("failed" if key == "wall" else "—"), None
    assert outcome.load is not None
    value: float = {
        "wall": outcome.first_wall,
        "cpu": outcome.first_cpu,
        "rss": outcome.first_rss,
        "rate": outcome.load.rate,
        "after": outcome.rss_after,
    }[key]
    if key in ("wall", "cpu"):
        return f"{value:.1f} s", value
    if key == "rate":
        return f"{value:,.0f} req/s", value
    return _mib(int(value)), value


def _load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


def measure(settings: Settings) -> tuple[list[Row], list[str]]:
    """Every corpus contract under lendsim and under Prism, and the details printed under the table."""
    what = "generic mock vs Prism on the real-contract corpus"
    if not CORPUS.is_dir():
        return [not_available(SECTION, what, f"no corpus at {CORPUS}")], []
    try:
        wrk = ensure_wrk()
    except Unavailable as exc:
        return [not_available(SECTION, what, f"wrk: {exc}")], []
    prism_binary = ""
    prism_missing = ""
    try:
        prism_binary = ensure_npm_tool("prism")
    except Unavailable as exc:
        prism_missing = f"not available: {exc}"
    lendsim = str(Path(sys.executable).parent / "lendsim")
    load_before = _load_average()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="lendsim-bench-generic-") as temp:
        workdir = Path(temp)
        for operation in OPERATIONS:
            contract = str(CORPUS / operation.contract)
            print(f"   {operation.contract}: lendsim ...", flush=True)
            mine = _measure_one(
                "lendsim serve",
                [lendsim, "serve", "--no-auth", "--contract", contract],
                operation.mount + operation.path,
                operation,
                wrk,
                settings,
                workdir,
            )
            print(f"   {operation.contract}: Prism ...", flush=True)
            if prism_missing:
                theirs = Outcome("Prism", error=prism_missing)
            else:
                theirs = _measure_one(
                    "Prism", [prism_binary, "mock", contract], operation.path, operation, wrk, settings, workdir
                )
            rows += rows_for(operation, mine, theirs, settings.seconds)
    details = [
        "Corpus: ../shared/reference/real-contracts/ or $LENDSIM_REAL_CONTRACTS (its README names the sources). "
        "lendsim: `lendsim serve --no-auth --contract FILE` (the contract at `/<file stem>`); Prism: "
        "`prism mock FILE` (@stoplight/prism-cli from npm, its default logging on); each started fresh per "
        "contract. First answer: from process start to the first 2xx of the operation, polled every 50 ms (at most "
        f"{settings.first_answer:.0f} s); CPU = user + system seconds of the server's process tree by then. Load: "
        f"wrk, 1 thread, {settings.connections} connections, {settings.seconds:.0f} s on that operation, right after "
        "the first answer. Ratio = lendsim / Prism. "
        + ("Servers pinned to CPU 0, wrk to CPU 1." if _cpus()[0] else "No CPU pinning (one core or no taskset).")
        + f" Load average (1, 5, 15 min) at the start {load_before}, at the end {_load_average()}: on a machine "
        "shared with other work, wall times and rates are pessimistic; CPU seconds vary least.",
    ]
    return rows, details
