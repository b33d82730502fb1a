"""Durability section: what the promise "every answer is in the journal file before it leaves" costs, and whether
``kill -9`` under load loses anything a client was told, and how a restart on the file answers.

Throughput: wrk loads ``repayApply`` (a fresh ``repayOuterNo`` each, bench/repay.lua, virtual time standing still)
on ``lendsim serve --journal FILE`` three ways, in alternating rounds: answers committed before they leave (group
commit, the default), the same with ``--fsync``, and the journal written in batches of 1,024 rows as before the
promise (bench/_serve_variant.py switches the group commit off) — the baseline.

Kill -9: client threads post repayments (each a fresh key) to ``lendsim serve --journal FILE --speed 60`` and note
every one answered 200; the server's process group is killed with SIGKILL mid-load; a new server on the same file
rebuilds the world from it, and every acknowledged ``repayOuterNo`` is asked for: a 404 ("never received") is an
acknowledged repayment lost.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench._http import LOANS, START, _cpus, _free_port, _register_loans, run_wrk
from bench._report import Row, not_available
from bench._tools import Unavailable, ensure_wrk

__all__ = ["Settings", "measure"]

SECTION = "durability"
ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ("group", "fsync", "batch")


@dataclass(frozen=True, slots=True)
class Settings:
    seconds: float = 15.0  # each measured load
    warmup: float = 3.0
    rounds: int = 3  # of each throughput variant, alternating
    kills: int = 5
    load: float = 20.0  # seconds of client load before the kill
    clients: int = 16
    connections: int = 16

    @classmethod
    def quick(cls) -> Settings:
        return cls(seconds=5.0, warmup=2.0, rounds=1, kills=2, load=5.0, clients=8)


class _Server:
    """``lendsim serve`` (through the variant runner) in its own session, so kill -9 takes all of it."""

    def __init__(self, variant: str, journal: Path, extra: Sequence[str], log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "bench._serve_variant", variant, "serve", "--port", str(self.port)]
        command += ["--journal", str(journal), *extra]
        self._log = log.open("a")
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [*_cpus()[0], *command], stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT
        )

    def wait_ready(self, timeout: float = 600.0) -> float:
        deadline = self.started + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"lendsim serve exited with {self.process.returncode}; see {self._log.name}")
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(self.url + "/", timeout=1.0)
                return time.perf_counter() - self.started
            time.sleep(0.05)
        raise RuntimeError(f"lendsim serve did not answer within {timeout:.0f} s; see {self._log.name}")

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


@contextlib.contextmanager
def _serving(variant: str, journal: Path, extra: Sequence[str], log: Path) -> Iterator[_Server]:
    server = _Server(variant, journal, extra, log)
    try:
        yield server
    finally:
        server.stop()


# -- throughput -----------------------------------------------------------------------------------------------


def _throughput(wrk: str, settings: Settings, workdir: Path) -> dict[str, list[float]]:
    rates: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
    for round_number in range(settings.rounds):
        for variant in VARIANTS:
            journal = workdir / f"{variant}-{round_number}.sqlite"
            extra = ["--start", START, *(["--fsync"] if variant == "fsync" else [])]
            with _serving("batch" if variant == "batch" else "group", journal, extra, workdir / "serve.log") as server:
                server.wait_ready()
                _register_loans(server.url)
                run_wrk(wrk, server.url, "/bank/repayments", "W", settings.warmup, settings.connections)
                load = run_wrk(wrk, server.url, "/bank/repayments", "M", settings.seconds, settings.connections)
            rates[variant].append(load.rate)
    return rates


# -- kill -9 --------------------------------------------------------------------------------------------------


@dataclass
class _Kill:
    acknowledged: int
    lost: int
    untrue: int  # answered, but not as the repayment it acknowledged
    entries: int  # in the journal file when the new server started
    restart: float  # seconds from start to the first answer, rebuilding the world


def _repayment(key: str, loan: int) -> dict[str, Any]:
    return {
        "reqNo": f"REQ{key}",
        "repayOuterNo": key,
        "loanOuterNo": f"LNBENCH{loan:05d}",
        "repayAmount": "0.01",
        "repayMode": "PARTNER_COLLECT",
        "repayType": "NORMAL_REPAY",
        "actualRepayDate": START,
        "repayList": [{"installmentNo": 1, "paidPrincipal": "0.01", "paidInterest": "0.00", "paidFee": "0.00"}],
    }


def _load_until_killed(url: str, settings: Settings, server: _Server, tag: str) -> dict[str, str]:
    """Client threads posting fresh repayments until the server is killed; the keys answered 200 (acknowledged)."""
    acknowledged: dict[str, str] = {}
    killed = threading.Event()

    def client(number: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            count = 0
            while not killed.is_set():
                count += 1
                key = f"RP{tag}C{number:02d}N{count:08d}"
                try:
                    answer = http.post("/bank/repayments", json=_repayment(key, count % LOANS))
                except httpx.HTTPError:
                    return
                if answer.status_code == 200:
                    acknowledged[key] = answer.json()["repayStatus"]

    threads = [threading.Thread(target=client, args=(number,), daemon=True) for number in range(settings.clients)]
    for thread in threads:
        thread.start()
    time.sleep(settings.load)
    server.kill()
    killed.set()
    for thread in threads:
        thread.join(timeout=60)
    return dict(acknowledged)


def _kill_once(settings: Settings, workdir: Path, number: int) -> _Kill:
    journal = workdir / f"killed-{number}.sqlite"
    log = workdir / "kill.log"
    server = _Server("group", journal, ["--start", START, "--speed", "60"], log)
    try:
        server.wait_ready()
        _register_loans(server.url)
        acknowledged = _load_until_killed(server.url, settings, server, f"K{number}")
    finally:
        server.stop()
    entries = _entries(journal)
    lost = untrue = 0
    with _serving("group", journal, [], log) as again:
        restart = again.wait_ready()
        with httpx.Client(base_url=again.url, timeout=30) as http:
            for key in acknowledged:
                answer = http.get(f"/bank/repayments/{key}")
                if answer.status_code == 404:
                    lost += 1
                elif answer.status_code != 200 or answer.json().get("repayOuterNo") != key:
                    untrue += 1
    return _Kill(len(acknowledged), lost, untrue, entries, restart)


def _entries(journal: Path) -> int:
    with contextlib.closing(sqlite3.connect(journal)) as db:
        return int(db.execute("SELECT count(*) FROM entries").fetchone()[0])


def _empty_start(workdir: Path) -> float:
    with _serving("group", workdir / "empty.sqlite", ["--start", START], workdir / "serve.log") as server:
        return server.wait_ready()


# -- rows -----------------------------------------------------------------------------------------------------


def measure(settings: Settings) -> tuple[list[Row], list[str]]:
    """The durability rows and the details printed under the table."""
    rows: list[Row] = []
    details: list[str] = []
    with tempfile.TemporaryDirectory(prefix="lendsim-durability-") as temp:
        workdir = Path(temp)
        try:
            wrk = ensure_wrk()
        except Unavailable as exc:
            rows.append(not_available(SECTION, "repayApply throughput, committed before each answer", f"wrk: {exc}"))
        else:
            rates = _throughput(wrk, settings, workdir)
            group, fsync, batch = (statistics.median(rates[variant]) for variant in VARIANTS)
            rows += [
                Row(
                    SECTION,
                    "repayApply throughput, each answer committed before it leaves vs batches of 1,024",
                    f"{group:,.0f} req/s",
                    f"{batch:,.0f} req/s",
                    group / batch,
                    "≥ 0.8×",
                    group / batch >= 0.8,
                ),
                Row(
                    SECTION,
                    "the same with --fsync (each commit flushed to the disk) vs batches of 1,024",
                    f"{fsync:,.0f} req/s",
                    f"{batch:,.0f} req/s",
                    fsync / batch,
                ),
            ]
            shown = "; ".join(
                f"{variant} " + ", ".join(f"{rate:,.0f}" for rate in rates[variant]) for variant in VARIANTS
            )
            details.append(
                f"Throughput: wrk, 1 thread, {settings.connections} connections, {settings.seconds:.0f} s after "
                f"{settings.warmup:.0f} s of warm-up, virtual time standing still; median of {settings.rounds} "
                f"alternating rounds (req/s: {shown})."
            )
        kills = [_kill_once(settings, workdir, number) for number in range(settings.kills)]
        empty = _empty_start(workdir)
    acknowledged = sum(kill.acknowledged for kill in kills)
    lost = sum(kill.lost for kill in kills)
    untrue = sum(kill.untrue for kill in kills)
    slowest = max(kills, key=lambda kill: kill.restart)
    rows += [
        Row(
            SECTION,
            f"acknowledged repayments lost to kill -9 under load ({len(kills)} runs)",
            f"{lost:,} of {acknowledged:,}",
            target="0",
            met=lost == 0,
        ),
        Row(
            SECTION,
            "acknowledged repayments answered as acknowledged by the restarted server",
            f"{acknowledged - lost - untrue:,} of {acknowledged:,}",
            target="all",
            met=lost == 0 and untrue == 0,
        ),
        Row(
            SECTION,
            f"restart on the killed server's journal ({slowest.entries:,} entries replayed) vs an empty one",
            f"{slowest.restart:.1f} s",
            f"{empty:.1f} s",
            slowest.restart / empty,
        ),
    ]
    details.append(
        f"Kill -9: {settings.clients} client threads, each repayment a fresh key, for {settings.load:.0f} s against "
        "`lendsim serve --journal FILE --speed 60`, then SIGKILL to its process group; per run acknowledged / lost / "
        "entries in the file / restart to first answer: "
        + "; ".join(f"{kill.acknowledged:,} / {kill.lost} / {kill.entries:,} / {kill.restart:.1f} s" for kill in kills)
        + "."
    )
    return rows, details
