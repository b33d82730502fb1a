"""Latency section: ``lendsim serve`` at half its maximum throughput, requests sent at a constant rate (open loop),
its latency, what paused it, and its memory over a long run with the journal on disk (issue #17, item 7).

1. Maximum throughput: wrk against ``lendsim serve --speed 60`` (as the http section loads it: 16 connections, each
   request a fresh ``repayOuterNo`` for one of 1,000 loans, the journal on disk).
2. The floor: a raw ASGI app on the same uvicorn settings (bench/_raw_asgi.py) loaded by bench/_openloop.py at half
   that rate — what the load generator, uvicorn and the machine add to any latency.
3. Where the pauses come from: ``lendsim serve`` under bench/_stall_probe.py at half that rate, every pause in the
   server of 2 ms or more timed from inside (collections, journal commits, the clock's catch-up, the loop's lag) with
   its CPU time beside its wall time, so a pause lendsim caused (CPU) is told apart from one the machine's other work
   caused (wall far above CPU: waiting for a core).
4. The long run: ``lendsim serve`` as shipped at half that rate for ``Settings.long`` seconds (10 minutes), its
   latency and its RSS sampled every few seconds.

Servers are pinned to CPU 0 and the load generators to CPU 1 (taskset), when there are two.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench._http import (
    ROOT,
    _cpus,
    _free_port,
    _lendsim_command,
    _register_loans,
    _running,
    _sample_answer,
    run_wrk,
)
from bench._report import Row, not_available
from bench._tools import Unavailable, ensure_wrk

__all__ = ["Settings", "measure"]

SECTION = "latency"
STALL = 0.050  # seconds: the bound on any one request at half the maximum throughput
FLAT_GROWTH = 0.05
PAUSE_KINDS = ("gc0", "gc1", "gc2", "journal write+commit", "clock catch-up")
PROBE_KINDS = (*PAUSE_KINDS, "clock event", "request")  # what the probe mode prints: the pauses, and their parts


@dataclass(frozen=True, slots=True)
class Settings:
    max_seconds: float = 20.0  # wrk's measured load, after a warm-up as long as ``warmup``
    warmup: float = 5.0
    floor: float = 30.0  # the raw ASGI app at half the rate
    probe: float = 60.0  # lendsim under the stall probe at half the rate
    long: float = 600.0  # lendsim as shipped at half the rate: latency and RSS
    sample: float = 5.0  # seconds between RSS samples
    connections: int = 16

    @classmethod
    def quick(cls) -> Settings:
        return cls(max_seconds=5.0, warmup=2.0, floor=10.0, probe=15.0, long=60.0, sample=2.0)


@dataclass
class OpenLoop:
    """What bench/_openloop.py saw: its summary, and every request's due second and latency."""

    summary: dict[str, Any]
    due: list[float] = field(default_factory=list)
    latency: list[float] = field(default_factory=list)

    def per_second(self) -> list[tuple[int, float, float]]:
        """(second, p50, max) of the requests due in each second of the run, in milliseconds."""
        buckets: dict[int, list[float]] = {}
        for due, latency in zip(self.due, self.latency, strict=True):
            buckets.setdefault(int(due), []).append(latency)
        return [
            (second, 1000 * sorted(values)[len(values) // 2], 1000 * max(values))
            for second, values in sorted(buckets.items())
        ]


def _open_loop(url: str, rate: float, seconds: float, tag: str, workdir: Path) -> OpenLoop:
    out = workdir / f"openloop-{tag}.json"
    port = url.rsplit(":", 1)[1]
    command = [
        *_cpus()[1],
        sys.executable,
        "-m",
        "bench._openloop",
        "--port",
        port,
        "--rate",
        f"{rate:.1f}",
        "--seconds",
        str(seconds),
        "--tag",
        tag,
        "--out",
        str(out),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120, check=False, cwd=ROOT)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"bench._openloop failed ({done.returncode}): {(done.stderr or done.stdout)[-300:]}")
    detail = json.loads(out.read_text())
    return OpenLoop(json.loads(lines[-1]), detail["due"], detail["latency"])


def _load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


# -- the four runs ----------------------------------------------------------------------------------------


def _maximum(wrk: str, settings: Settings, workdir: Path) -> tuple[float, bytes]:
    port = _free_port()
    with _running("lendsim max", _lendsim_command(port, workdir / "max.sqlite"), port, workdir) as server:
        server.wait_ready()
        _register_loans(server.url)
        answer = _sample_answer(server.url)
        run_wrk(wrk, server.url, "/bank/repayments", "W", settings.warmup, settings.connections)
        load = run_wrk(wrk, server.url, "/bank/repayments", "M", settings.max_seconds, settings.connections)
    return load.rate, answer


def _floor(rate: float, settings: Settings, workdir: Path, answer: bytes) -> OpenLoop:
    body_file = workdir / "answer.json"
    body_file.write_bytes(answer)
    port = _free_port()
    command = [sys.executable, "-m", "bench._raw_asgi", "--port", str(port), "--body-file", str(body_file)]
    with _running("raw ASGI", command, port, workdir) as server:
        server.wait_ready()
        return _open_loop(server.url, rate, settings.floor, "F", workdir)


@dataclass
class Probed:
    load: OpenLoop
    pauses: list[tuple[float, str, float, float, str]]  # (second, what, wall ms, CPU ms, detail), in the load
    frozen: int
    frozen_garbage: int


def _probed(rate: float, settings: Settings, workdir: Path, start: str | None = None) -> Probed:
    port = _free_port()
    out = workdir / "probe.json"
    serve = _lendsim_command(port, workdir / "probe.sqlite")
    if start is not None:  # another virtual start instant: a run that crosses the bank's daily jobs
        serve[serve.index("--start") + 1] = start
    command = [sys.executable, "-m", "bench._stall_probe", str(out), *serve[1:]]
    with _running("lendsim probe", command, port, workdir) as server:
        server.wait_ready()
        _register_loans(server.url)
        _open_loop(server.url, rate, settings.warmup, "PW", workdir)
        began = time.time()
        load = _open_loop(server.url, rate, settings.probe, "P", workdir)
    found = json.loads(out.read_text())
    began -= found["started"]  # on the probe's clock: seconds since it started
    pauses = []
    for second, what, wall, detail in found["events"]:
        if second >= began and what in (*PROBE_KINDS, "loop lag"):
            cpu = float(detail.split("cpu ")[1].split()[0]) if "cpu " in detail else 0.0
            pauses.append((second - began, what, wall, cpu, detail))
    return Probed(load, pauses, found["frozen"], found["frozen_garbage"])


@dataclass
class Long:
    load: OpenLoop
    samples: list[tuple[float, int]]  # (seconds, RSS bytes)
    journal_bytes: int
    load_before: str
    load_after: str


def _long(rate: float, settings: Settings, workdir: Path) -> Long:
    port = _free_port()
    with _running("lendsim long", _lendsim_command(port, workdir / "long.sqlite"), port, workdir) as server:
        server.wait_ready()
        _register_loans(server.url)
        _open_loop(server.url, rate, settings.warmup, "LW", workdir)
        samples: list[tuple[float, int]] = []
        stop = threading.Event()

        def sample() -> None:
            started = time.perf_counter()
            while not stop.is_set():
                samples.append((time.perf_counter() - started, server.rss()))
                stop.wait(settings.sample)

        sampler = threading.Thread(target=sample, daemon=True)
        before = _load_average()
        sampler.start()
        load = _open_loop(server.url, rate, settings.long, "L", workdir)
        stop.set()
        sampler.join()
        samples.append((settings.long, server.rss()))
        after = _load_average()
    size = sum(path.stat().st_size for path in workdir.glob("long.sqlite*"))
    return Long(load, samples, size, before, after)


# -- rows -------------------------------------------------------------------------------------------------


def measure(settings: Settings) -> tuple[list[Row], list[str]]:
    """The latency rows and the details printed under the table."""
    try:
        wrk = ensure_wrk()
    except Unavailable as exc:
        return [not_available(SECTION, "latency at half the maximum throughput", f"wrk: {exc}", "≤ 50 ms")], []
    with tempfile.TemporaryDirectory(prefix="lendsim-bench-latency-") as temp:
        workdir = Path(temp)
        maximum, answer = _maximum(wrk, settings, workdir)
        rate = maximum / 2
        floor = _floor(rate, settings, workdir, answer)
        probed = _probed(rate, settings, workdir)
        long = _long(rate, settings, workdir)
    return _rows(settings, maximum, floor, probed, long), _details(settings, rate, floor, probed, long)


def _ms(value: float) -> str:
    return f"{value:,.1f} ms"


def _rows(settings: Settings, maximum: float, floor: OpenLoop, probed: Probed, long: Long) -> list[Row]:
    rate = maximum / 2
    minutes = f"{settings.long / 60:g} min"
    summary, base = long.load.summary, floor.summary
    own = [pause for pause in probed.pauses if pause[1] in PAUSE_KINDS and pause[3] >= STALL * 1000]
    first, last = long.samples[0][1], long.samples[-1][1]
    requests = max(1, summary["requests"])
    return [
        Row(SECTION, "maximum throughput, repayApply (wrk, 16 connections), journal on disk", f"{maximum:,.0f} req/s"),
        Row(
            SECTION,
            f"p99 latency at half of it ({rate:,.0f} req/s, constant rate), {minutes}, vs raw ASGI at that rate",
            _ms(summary["p99_ms"]),
            _ms(base["p99_ms"]),
            summary["p99_ms"] / max(base["p99_ms"], 1e-9),
        ),
        Row(
            SECTION,
            f"max latency at half of it, {minutes}, vs raw ASGI at that rate",
            _ms(summary["max_ms"]),
            _ms(base["max_ms"]),
            summary["max_ms"] / max(base["max_ms"], 1e-9),
            "≤ 50 ms",
            summary["max_ms"] <= STALL * 1000,
            "the raw ASGI app's figures are what the load generator, uvicorn and the shared machine add alone",
        ),
        Row(
            SECTION,
            f"requests over 50 ms at half of it, {minutes}",
            f"{summary['over_50ms']:,} of {summary['requests']:,}",
            f"{base['over_50ms']:,} of {base['requests']:,}",
        ),
        Row(
            SECTION,
            f"pauses lendsim caused over 50 ms of CPU (collections, commits, clock catch-up), {settings.probe:.0f} s",
            f"{len(own)}",
            target="0",
            met=not own,
            note="timed inside the server (bench/_stall_probe.py); see the details below the table",
        ),
        Row(
            SECTION,
            f"RSS over {minutes} at half of it ({summary['requests']:,} requests), journal on disk",
            f"{first / 2**20:.0f} MiB → {last / 2**20:.0f} MiB",
            target="flat (< 5 % growth)",
            met=last - first < FLAT_GROWTH * first,
            note=f"{(last - first) / requests:,.0f} bytes per request held in memory",
        ),
    ]


def _details(settings: Settings, rate: float, floor: OpenLoop, probed: Probed, long: Long) -> list[str]:
    summary = long.load.summary
    points = ", ".join(
        f"{seconds:.0f} s {rss / 2**20:.0f}"
        for seconds, rss in [*long.samples[:: max(1, len(long.samples) // 10)], long.samples[-1]]
    )
    worst = sorted(long.load.per_second(), key=lambda item: -item[2])[:5]
    lines = [
        f"Long run: {summary['requests']:,} requests at {rate:,.0f} a second for {settings.long / 60:g} min "
        f"(p50 {summary['p50_ms']:.1f} ms, p99.9 {summary['p999_ms']:.1f} ms, {summary['errors']} errors, "
        f"{summary['connections']} connections opened); RSS (MiB) at {points}; journal "
        f"{long.journal_bytes / 2**20:,.0f} MiB on disk. Load average (1, 5, 15 min) {long.load_before} before, "
        f"{long.load_after} after. Slowest seconds (second: p50 / max ms): "
        + ", ".join(f"{second}: {p50:.0f} / {top:.0f}" for second, p50, top in worst)
        + "."
    ]
    by_kind: dict[str, list[tuple[float, float]]] = {}
    for _, what, wall, cpu, _detail in probed.pauses:
        by_kind.setdefault(what, []).append((wall, cpu))
    parts = []
    for what in (*PAUSE_KINDS, "loop lag"):
        found = by_kind.get(what, [])
        if not found:
            continue
        walls = sorted(wall for wall, _ in found)
        cpus = sorted(cpu for _, cpu in found)
        parts.append(
            f"{what} {len(found):,} (wall max {walls[-1]:.0f} ms, over 50 ms {sum(w > 50 for w in walls)}; "
            f"CPU max {cpus[-1]:.1f} ms)"
        )
    ps = probed.load.summary
    lines.append(
        f"Pauses of 2 ms or more inside the server over {settings.probe:.0f} s at the same rate "
        f"(bench/_stall_probe.py; p99 {ps['p99_ms']:.1f} ms, max {ps['max_ms']:.1f} ms there): "
        + "; ".join(parts)
        + ". Loop lag is the event loop waking late from a 1 ms sleep: its CPU is the requests it was answering "
        f"meanwhile. Objects frozen by serve's collector settings: {probed.frozen:,}; of them dead cycles never "
        f"collected: {probed.frozen_garbage:,}."
    )
    lines.append(
        f"Load: bench/_openloop.py, a constant {rate:,.0f} requests a second (open loop: each latency from the "
        f"instant the request was due, so a stall counts for every request it delayed), up to 256 keep-alive "
        f"connections; the floor is bench/_raw_asgi.py at the same rate for {settings.floor:.0f} s (p50 "
        f"{floor.summary['p50_ms']:.1f} ms, p99 {floor.summary['p99_ms']:.1f} ms, max {floor.summary['max_ms']:.1f} "
        "ms). "
        + ("Servers pinned to CPU 0, the load to CPU 1." if _cpus()[0] else "No CPU pinning (one core or no taskset).")
        + " The machine is shared: other work's load shows in the wall times (see the load average)."
    )
    return lines


# -- the probe alone --------------------------------------------------------------------------------------


def probe_summary(probed: Probed) -> list[str]:
    """Per kind of pause: how many of 2 ms or more, the wall and CPU maxima, the CPU 99th percentile; and the
    slowest ones by CPU with their second and detail."""
    lines = []
    for what in (*PROBE_KINDS, "loop lag"):
        found = [pause for pause in probed.pauses if pause[1] == what]
        if not found:
            continue
        cpus = sorted(pause[3] for pause in found)
        walls = sorted(pause[2] for pause in found)
        worst = sorted(found, key=lambda pause: -pause[3])[:5]
        lines.append(
            f"{what:22} {len(found):7,} ≥ 2 ms; wall max {walls[-1]:6.1f} ms; CPU max {cpus[-1]:6.1f} ms, "
            f"p99 {cpus[min(len(cpus) - 1, int(0.99 * len(cpus)))]:5.1f} ms; slowest (s, CPU ms, detail): "
            + "; ".join(f"{p[0]:.0f} s {p[3]:.1f} {p[4]}" for p in worst)
        )
    summary = probed.load.summary
    lines.append(
        f"open loop: {summary['requests']:,} requests, p50 {summary['p50_ms']:.1f} ms, p99 {summary['p99_ms']:.1f} "
        f"ms, max {summary['max_ms']:.1f} ms, over 50 ms {summary['over_50ms']:,}, errors {summary['errors']}; "
        f"frozen {probed.frozen:,}, of them dead cycles {probed.frozen_garbage:,}"
    )
    return lines


def main() -> None:
    """``python -m bench._latency probe --rate R --seconds S [--start ISO] [--out FILE]``: only the stall probe's
    run (step 3) at a given rate, for as long as asked (the table's probe runs 60 s), summarised per kind of pause.
    ``--start`` moves the virtual start (e.g. ``2019-05-01T21:00:00+08:00``: the bank's day-end, overdue batch,
    reconciliation file and furnishing run 3, 5, 6 and 7 minutes into the run at 60×)."""
    import argparse
    import shutil

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("mode", choices=["probe"])
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--start", default=None)
    parser.add_argument("--out", type=Path, default=None, help="keep the probe's events here (JSON)")
    args = parser.parse_args()
    settings = Settings(probe=args.seconds, warmup=args.warmup)
    before = _load_average()
    with tempfile.TemporaryDirectory(prefix="lendsim-bench-probe-") as temp:
        probed = _probed(args.rate, settings, Path(temp), args.start)
        if args.out is not None:
            shutil.copy(Path(temp) / "probe.json", args.out)
    print(
        f"stall probe: {args.rate:,.0f} req/s for {args.seconds:,.0f} s; load average {before} before, "
        f"{_load_average()} after"
    )
    print("\n".join(probe_summary(probed)))


if __name__ == "__main__":
    main()
