"""HTTP replay section: the incident (scenarios/xiaomi-minsheng-2019.yaml) at 1,000 borrowers as a user runs it —
``lendsim run`` against ``lendsim example-platform resilient`` over HTTP, side by side with the same run in-process
(``--platform resilient``), and against the Node platform (examples/node_platform) — and the real time a timeout
fault costs: requests held by ``lendsim serve --client-timeout`` until each client gives up, all at once.

Each run is the command a user types, in its own process, timed from start to exit (start-up included); the
platforms are served in their own processes (pinned to CPU 0 when there are two, as the http section does).

    python -m bench._http_replay         # the section alone, the table printed
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench._http import Server, _free_port
from bench._report import Row, format_table, not_available

__all__ = ["Held", "Replay", "Settings", "measure", "parse_summary"]

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "xiaomi-minsheng-2019.yaml"
NODE_SERVER = ROOT / "examples" / "node_platform" / "server.js"
SECTION = "http-replay"
TARGET_RATIO = 3.0
PATIENCE = 10.0  # seconds a client that does not keep to its declared timeout would wait
HOLD_MARGIN = 0.5  # seconds: simulator.http's HOLD_MARGIN, the most a held request outlives its client's timeout

_SUMMARY = re.compile(
    r"^(?P<scenario>\S+) against (?P<platform>\S+): (?P<outcome>passed|failed|error) \(seed \d+, "
    r"(?P<borrowers>[\d,]+) borrowers, (?P<days>\d+) virtual days, (?P<events>[\d,]+) events, (?P<seconds>[\d.]+) s\)",
    re.MULTILINE,
)


@dataclass(frozen=True, slots=True)
class Settings:
    borrowers: int = 1_000
    held: int = 32  # requests held at once by the timeout measurement
    client_timeout: float = 1.0  # seconds, declared with lendsim serve --client-timeout

    @classmethod
    def quick(cls) -> Settings:
        return cls(borrowers=200)


@dataclass(frozen=True, slots=True)
class Replay:
    """One ``lendsim run``: its wall time (start to exit) and what its summary line says."""

    platform: str
    wall: float
    outcome: str
    borrowers: int
    events: int
    run_seconds: float  # the run itself, as the command reports it (no start-up)


@dataclass(frozen=True, slots=True)
class Held:
    """Requests a timeout fault held: how long each client waited, and the wall time for all of them at once."""

    waits: tuple[float, ...]
    wall: float
    timed_out: int  # of them, how many saw their own timeout fire (not a closed connection)


def parse_summary(output: str) -> tuple[str, int, int, float]:
    """Outcome, borrowers, events and seconds from the first summary line of ``lendsim run``'s output."""
    found = _SUMMARY.search(output)
    if found is None:
        raise RuntimeError(f"no run summary in lendsim run's output: {output[-500:]!r}")
    number = found.group
    return (
        number("outcome"),
        int(number("borrowers").replace(",", "")),
        int(number("events").replace(",", "")),
        float(number("seconds")),
    )


def _lendsim() -> str:
    return str(Path(sys.executable).parent / "lendsim")


def replay(platform: str, borrowers: int, label: str | None = None) -> Replay:
    """``lendsim run`` of the incident against ``platform``, timed from start to exit."""
    command = [_lendsim(), "run", str(SCENARIO), "--platform", platform, "--borrowers", str(borrowers)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False, timeout=3600)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {(done.stderr or done.stdout)[-500:]}")
    outcome, count, events, seconds = parse_summary(done.stdout)
    return Replay(label or platform, wall, outcome, count, events, seconds)


@contextlib.contextmanager
def _serving(name: str, command: Sequence[str], port: int, workdir: Path) -> Iterator[Server]:
    server = Server(name, command, port, workdir / f"{name}.log")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def hold(settings: Settings, workdir: Path, patience: float | None = None) -> Held:
    """``lendsim serve --client-timeout``, a latency fault of an hour at ``bank.getLoan``, and ``settings.held``
    clients asking at once, each giving up after the timeout it declared (or, with ``patience``, waiting that long:
    the server lets it go first)."""
    port = _free_port()
    timeout = f"PT{settings.client_timeout:g}S"
    command = [_lendsim(), "serve", "--port", str(port), "--client-timeout", timeout]
    with _serving("serve", command, port, workdir) as server:
        fault = json.dumps({"at": "bank.getLoan", "latency": {"delay": "PT1H"}})
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request("POST", "/_sim/faults", fault, {"content-type": "application/json"})
        answer = connection.getresponse()
        if answer.status != 201:
            raise RuntimeError(f"the fault was refused: {answer.status} {answer.read()[:300]!r}")
        connection.close()
        waits: list[float] = [0.0] * settings.held
        fired = [False] * settings.held
        go = threading.Barrier(settings.held + 1)

        def ask(index: int) -> None:
            wait = settings.client_timeout if patience is None else patience
            client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=wait)
            client.connect()
            go.wait()
            started = time.perf_counter()
            try:
                client.request("GET", f"/bank/loans/LN-HELD-{index}")
                client.getresponse().read()
            except TimeoutError:
                fired[index] = True
            except (http.client.HTTPException, OSError):
                pass
            waits[index] = time.perf_counter() - started
            client.close()

        threads = [threading.Thread(target=ask, args=(index,)) for index in range(settings.held)]
        for thread in threads:
            thread.start()
        go.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
    return Held(tuple(waits), wall, sum(fired))


def measure(settings: Settings) -> tuple[list[Row], list[str]]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="lendsim-bench-") as folder:
        workdir = Path(folder)
        print(f"  in-process, {settings.borrowers:,} borrowers ...", flush=True)
        base = replay("resilient", settings.borrowers, "in-process")
        rows.append(_replay_row(base, None, "in-process (`--platform resilient`)"))
        port = _free_port()
        command = [_lendsim(), "example-platform", "resilient", "--port", str(port)]
        print(f"  over HTTP, lendsim example-platform resilient, {settings.borrowers:,} borrowers ...", flush=True)
        with _serving("resilient", command, port, workdir) as server:
            over = replay(server.url, settings.borrowers, "resilient over HTTP")
        rows.append(_replay_row(over, base, "over HTTP, `lendsim example-platform resilient`", TARGET_RATIO))
        node = shutil.which("node")
        what = "over HTTP, the Node platform (examples/node_platform)"
        if node is None:
            rows.append(not_available(SECTION, what, "node is not installed (Node 18 or later)"))
        else:
            port = _free_port()
            print(f"  over HTTP, the Node platform, {settings.borrowers:,} borrowers ...", flush=True)
            with _serving("node", [node, str(NODE_SERVER), "--port", str(port)], port, workdir) as server:
                rows.append(_replay_row(replay(server.url, settings.borrowers, "node over HTTP"), base, what))
        print(f"  a timeout fault, {settings.held} requests at once ...", flush=True)
        rows.append(_held_row(hold(settings, workdir), settings))
        rows.append(_let_go_row(hold(settings, workdir, patience=PATIENCE), settings))
    details = [
        f"`lendsim run {SCENARIO.relative_to(ROOT)} --borrowers {settings.borrowers}` (the whole scenario, "
        "70 virtual days, `--concurrency` at its default) as a user types it, each in its own process, timed from "
        "start to exit; the figure in brackets is the run alone as the command reports it. Its `latency` fault "
        "(2 s at `sms.sendSms`) is below the platforms' declared client timeouts (5 s), so it costs virtual time "
        "only. Both reference platforms take one request at a time (the Python one behind a lock, the Node one "
        "in a queue): the runner's concurrency keeps them busy, it does not make them parallel.",
        f"The timeout row: `lendsim serve --client-timeout PT{settings.client_timeout:g}S`, a `latency` fault of "
        f"PT1H at `bank.getLoan`, {settings.held} clients asking at once, each with the read timeout it declared. "
        f"Each request is held until its client gives up ({HOLD_MARGIN:g} s longer at most); the wall time for "
        "all of them is about one timeout, not one per request. The second timeout row: clients that wait longer "
        "than they declared are let go (the connection closed) at the declared timeout plus the margin.",
        "Before #16 (a latency slept in real seconds, one request at a time) the incident over HTTP took 774.8 s "
        "for 100 borrowers, over 150× the run in-process.",
    ]
    return rows, details


def _replay_row(run: Replay, base: Replay | None, what: str, target: float | None = None) -> Row:
    ratio = run.wall / base.wall if base is not None else None
    return Row(
        SECTION,
        f"incident, {run.borrowers:,} borrowers, {what}",
        f"{run.wall:,.1f} s ({run.run_seconds:,.1f} s)",
        "—" if base is None else f"{base.wall:,.1f} s",
        ratio,
        f"≤ {target:g}× in-process" if target is not None else ("—" if base is None else "reported"),
        (ratio <= target) if target is not None and ratio is not None else None,
        note=f"{run.outcome}, {run.events:,} clock events",
    )


def _held_row(held: Held, settings: Settings) -> Row:
    most = max(held.waits)
    limit = settings.client_timeout + HOLD_MARGIN
    return Row(
        SECTION,
        f"a timeout fault, {settings.held} requests at once (client timeout {settings.client_timeout:g} s)",
        f"{held.wall:.2f} s for all, {min(held.waits):.2f}–{most:.2f} s each",
        f"{settings.client_timeout * settings.held:g} s one after another",
        held.wall / settings.client_timeout,
        f"≤ {limit:g} s each, overlapped",
        most <= limit and held.wall <= limit,
        note=f"{held.timed_out} of {settings.held} clients saw their own timeout fire",
    )


def _let_go_row(held: Held, settings: Settings) -> Row:
    return Row(
        SECTION,
        f"the same, clients waiting {PATIENCE:g} s though they declared {settings.client_timeout:g} s",
        f"{held.wall:.2f} s for all, {min(held.waits):.2f}–{max(held.waits):.2f} s each",
        target=f"let go at {settings.client_timeout + HOLD_MARGIN:g} s (timeout + margin)",
        note=f"{held.timed_out} of {settings.held} clients reached their own {PATIENCE:g} s (the server let go of "
        "the others first)",
    )


def main(argv: Sequence[str] | None = None) -> None:
    arguments = sys.argv[1:] if argv is None else list(argv)
    rows, details = measure(Settings.quick() if "--quick" in arguments else Settings())
    print(format_table(rows))
    for line in details:
        print(f"\n{line}")


if __name__ == "__main__":
    main()
