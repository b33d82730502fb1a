"""Throughput per core of a replay (issue #21 item 5): clock events per CPU-second, and instructions per event.

``python -m bench._throughput [--borrowers 500,2000] [--scenario xiaomi-minsheng-2019] [--platform resilient]
[--repeat N] [--command] [--instructions 200]``

Each replay runs in a fresh process, built as ``lendsim run SCENARIO --platform PLATFORM --borrowers N`` builds it
(the catalog's scenario, the in-process reference platform, a journal in memory stamped with the wall clock), and
reports the CPU time (user + system) of ``run_scenario`` alone and of the whole process, the clock events the run
took (what ``lendsim run`` prints and bench/run ``replay`` divides by its wall time), and the load average around
it. The machine is shared: CPU time is what one core spent on the run whatever else ran, wall time is not.

``--command`` also times the command itself (``lendsim run …`` as a subprocess: its user + system time from the
kernel, start-up and the report included). ``--instructions N,N`` counts the instructions of ``run_scenario`` (set-up,
replay and judging, as the CPU time above; start-up and imports left out) with valgrind's callgrind at each size:
they repeat to within a fraction of a percent whatever else runs, which CPU time on a shared machine does not.
Under callgrind a replay runs ~50× slower.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class Replay:
    borrowers: int
    events: int
    entries: int
    replay_cpu: float  # seconds of user + system time in run_scenario
    replay_wall: float
    process_cpu: float  # the whole process's user + system time, imports and set-up included
    load_before: float  # 1-minute load average
    load_after: float
    passed: bool

    @property
    def per_cpu_second(self) -> float:
        return self.events / self.replay_cpu


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


_HANDSHAKE = "LENDSIM_BENCH_HANDSHAKE"  # set: the child waits for the parent around the replay (callgrind)


def _handshake(say: str, wait_for: str) -> None:
    """Under callgrind (see :func:`instructions`): say ``say`` and wait for ``wait_for`` from the parent."""
    if not os.environ.get(_HANDSHAKE):
        return
    from bench._instructions import _say, _wait_for

    _say(say)
    _wait_for(wait_for)


def replay(scenario_name: str, platform: str, borrowers: int) -> Replay:
    """One replay in this process, as ``lendsim run`` makes it."""
    from simulator.cli._run import load_scenarios, make_driver
    from simulator.report import fresh_journal
    from simulator.run import run_scenario

    (scenario,) = load_scenarios([Path(scenario_name)])
    driver = make_driver(platform)
    journal = fresh_journal(None, time.time)
    load_before = os.getloadavg()[0]
    _handshake("ready", "go")
    cpu, wall = _cpu(), time.perf_counter()
    result = run_scenario(scenario, driver, borrowers=borrowers, journal=journal)
    replay_cpu, replay_wall = _cpu() - cpu, time.perf_counter() - wall
    _handshake("done", "end")
    return Replay(
        borrowers,
        result.events,
        len(result.sim.journal),
        replay_cpu,
        replay_wall,
        _cpu(),
        load_before,
        os.getloadavg()[0],
        result.passed,
    )


def _child(scenario: str, platform: str, borrowers: int) -> Replay:
    command = [sys.executable, "-m", "bench._throughput", "--child", scenario, platform, str(borrowers)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"replay of {borrowers:,} borrowers failed ({done.returncode}): {done.stderr[-800:]}")
    return Replay(**json.loads(lines[-1]))


_EVENTS = re.compile(r"([\d,]+) events")


def command(scenario: str, platform: str, borrowers: int) -> tuple[int, float, float, float]:
    """``lendsim run`` as typed: (events it printed, its user + system seconds, load before, load after)."""
    lendsim = Path(sys.executable).with_name("lendsim")
    args = [str(lendsim), "run", scenario, "--platform", platform, "--borrowers", str(borrowers)]
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.DEVNULL, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode()
    found = _EVENTS.search(text)
    if found is None:
        raise SystemExit(f"{' '.join(args)} printed no event count (exit {process.returncode}): {text[-500:]}")
    return int(found.group(1).replace(",", "")), usage.ru_utime + usage.ru_stime, load_before, os.getloadavg()[0]


def instructions(scenario: str, platform: str, borrowers: int) -> tuple[int, int]:
    """(instructions, events) of ``run_scenario`` alone under callgrind, start-up and imports not counted: the
    child says ``ready`` before the replay and ``done`` after it, and instrumentation is switched on for that
    child between the two (``callgrind_control -i on|off PID``, as bench/_instructions does)."""
    from bench._instructions import _Child

    class Child(_Child):
        def __init__(self, workdir: Path) -> None:
            self.name = f"{borrowers} borrowers"
            self.deadline = time.monotonic() + 3600.0
            self.out = workdir / "callgrind.out"
            self.log = workdir / "valgrind.log"
            args = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={self.out}"]
            child = [sys.executable, "-m", "bench._throughput", "--child", scenario, platform, str(borrowers)]
            with self.log.open("wb") as log:
                self.process = subprocess.Popen(
                    [*args, *child],
                    cwd=ROOT,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=log,
                    bufsize=0,
                    env={**os.environ, _HANDSHAKE: "1"},
                )
            self.buffer = b""

    with tempfile.TemporaryDirectory(prefix="lendsim-throughput-") as workdir:
        child = Child(Path(workdir))
        try:
            child.expect("ready")
            child.instrument(True)
            child.say("go")
            child.expect("done")
            child.instrument(False)
            child.say("end")
            assert child.process.stdout is not None
            rest = child.buffer + child.process.stdout.read()
            total = child.finish()
        finally:
            child.kill()
    lines = [line for line in rest.decode().splitlines() if line.startswith("{")]
    return total, int(json.loads(lines[-1])["events"])


def _sizes(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        scenario, platform, borrowers = argv[1], argv[2], int(argv[3])
        print(json.dumps(asdict(replay(scenario, platform, borrowers))))
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench._throughput", description=__doc__.splitlines()[0])
    parser.add_argument("--borrowers", type=_sizes, default=[500, 2000])
    parser.add_argument("--scenario", default="xiaomi-minsheng-2019")
    parser.add_argument("--platform", default="resilient")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--command", action="store_true", help="also time `lendsim run …` itself")
    parser.add_argument("--instructions", type=_sizes, default=[], metavar="N,N", help="count them at these sizes")
    args = parser.parse_args(argv)
    print(f"{args.scenario}, --platform {args.platform}, {os.cpu_count()} cores")
    for borrowers in args.borrowers:
        for _ in range(args.repeat):
            run = _child(args.scenario, args.platform, borrowers)
            print(
                f"  {borrowers:>6,} borrowers: {run.events:,} events, {run.entries:,} entries; replay CPU "
                f"{run.replay_cpu:.2f} s (wall {run.replay_wall:.2f} s) = {run.per_cpu_second:,.0f} events/CPU-s; "
                f"process CPU {run.process_cpu:.2f} s; load {run.load_before:.2f} → {run.load_after:.2f}; "
                f"{'passed' if run.passed else 'FAILED'}",
                flush=True,
            )
            if args.command:
                events, cpu, before, after = command(args.scenario, args.platform, borrowers)
                print(
                    f"  {borrowers:>6,} borrowers, `lendsim run`: {events:,} events, CPU {cpu:.2f} s = "
                    f"{events / cpu:,.0f} events/CPU-s; load {before:.2f} → {after:.2f}",
                    flush=True,
                )
    for size in args.instructions:
        total, events = instructions(args.scenario, args.platform, size)
        print(
            f"  callgrind, {size:,} borrowers: run_scenario {total:,} instructions, {events:,} events: "
            f"{total / events:,.0f} instructions per event",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
