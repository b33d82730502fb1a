"""Scenario replay section: the incident (scenarios/xiaomi-minsheng-2019.yaml) over 45 virtual days against the
resilient reference platform in-process, built as ``lendsim run --platform resilient`` builds it.

Each size runs in its own process (so its peak RSS is its own). A size whose time, extrapolated from the sizes
measured before it, would exceed the time cap is not run: its row says "extrapolated" and from what.

    python -m bench._replay 1000     # one size, prints a JSON line (what bench/run reads)
"""

from __future__ import annotations

import dataclasses
import json
import math
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bench._report import Row

__all__ = ["Settings", "measure"]

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "xiaomi-minsheng-2019.yaml"
DAYS = 45
SECTION = "replay"
TARGETS = {100_000: (6.0, None), 1_000_000: (60.0, 2 * 2**30)}  # size: (seconds, peak RSS bytes)


@dataclass(frozen=True, slots=True)
class Settings:
    sizes: tuple[int, ...] = (1_000, 10_000, 100_000, 1_000_000)
    cap: float = 300.0  # seconds: a size extrapolated beyond this is not run

    @classmethod
    def quick(cls) -> Settings:
        return cls(sizes=(1_000, 10_000), cap=60.0)


@dataclass(frozen=True, slots=True)
class Run:
    borrowers: int
    seconds: float
    events: int
    entries: int
    peak_rss: int
    passed: bool


def replay(borrowers: int) -> Run:
    """One replay in this process."""
    from simulator.cli._run import make_driver
    from simulator.run import run_scenario
    from simulator.scenario import load_scenario

    scenario = dataclasses.replace(load_scenario(str(SCENARIO)), duration=timedelta(days=DAYS))
    driver = make_driver("resilient")
    started = time.perf_counter()
    result = run_scenario(scenario, driver, borrowers=borrowers)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return Run(borrowers, seconds, result.events, len(result.sim.journal), peak, result.passed)


def _in_child(borrowers: int, timeout: float) -> Run | None:
    """One replay in a fresh process; None if it ran past ``timeout`` seconds (it is stopped)."""
    command = [sys.executable, "-m", "bench._replay", str(borrowers)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT, check=False)
    except subprocess.TimeoutExpired:
        return None
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"replay of {borrowers:,} borrowers failed ({done.returncode}): {done.stderr[-500:]}")
    return Run(**json.loads(lines[-1]))


def _extrapolate(runs: list[Run], borrowers: int) -> tuple[float, float, str]:
    """Seconds and peak RSS predicted for ``borrowers`` from the runs so far, and how."""
    last = runs[-1]
    exponent = 1.0
    if len(runs) >= 2:
        before = runs[-2]
        exponent = max(1.0, math.log(last.seconds / before.seconds) / math.log(last.borrowers / before.borrowers))
    scale = borrowers / last.borrowers
    how = f"from {last.borrowers:,} borrowers, time ∝ size^{exponent:.2f}, memory ∝ size"
    return last.seconds * scale**exponent, last.peak_rss * scale, how


def measure(settings: Settings) -> tuple[list[Row], list[str]]:
    runs: list[Run] = []
    rows: list[Row] = []
    for borrowers in settings.sizes:
        if runs:
            seconds, rss, how = _extrapolate(runs, borrowers)
            if seconds > settings.cap:
                rows.append(_extrapolated_row(borrowers, seconds, rss, how, settings.cap))
                continue
        print(f"  replaying {borrowers:,} borrowers ...", flush=True)
        run = _in_child(borrowers, timeout=settings.cap * 2)
        if run is None:
            rows.append(
                Row(
                    SECTION,
                    f"{borrowers:,} borrowers × {DAYS} days",
                    f"stopped after {settings.cap * 2:.0f} s",
                    target=_target_text(borrowers),
                    met=False if borrowers in TARGETS else None,
                )
            )
            break
        runs.append(run)
        rows.append(_measured_row(run))
    details = [
        f"`run_scenario` with the resilient platform in-process (as `lendsim run --platform resilient`), the incident "
        f"scenario cut to {DAYS} days, hourly platform ticks; each size in its own process. Sizes extrapolated "
        f"beyond {settings.cap:.0f} s are not run (`bench/run replay --replay-sizes … --time-cap …`)."
    ]
    return rows, details


def _target_text(borrowers: int) -> str:
    target = TARGETS.get(borrowers)
    if target is None:
        return "—"
    seconds, rss = target
    return f"≤ {seconds:.0f} s" + (f", ≤ {rss / 2**30:.0f} GiB" if rss else "")


def _met(borrowers: int, seconds: float, rss: float) -> bool | None:
    target = TARGETS.get(borrowers)
    if target is None:
        return None
    return seconds <= target[0] and (target[1] is None or rss <= target[1])


def _measured_row(run: Run) -> Row:
    target = TARGETS.get(run.borrowers)
    return Row(
        SECTION,
        f"{run.borrowers:,} borrowers × {DAYS} days",
        f"{run.seconds:,.1f} s, {run.events / run.seconds:,.0f} events/s, peak RSS {run.peak_rss / 2**20:,.0f} MiB",
        ratio=run.seconds / target[0] if target else None,
        target=_target_text(run.borrowers),
        met=_met(run.borrowers, run.seconds, run.peak_rss),
        note=f"{run.events:,} clock events, {run.entries:,} journal entries "
        f"({run.entries / run.seconds:,.0f}/s); invariants {'held' if run.passed else 'VIOLATED'}",
    )


def _extrapolated_row(borrowers: int, seconds: float, rss: float, how: str, cap: float) -> Row:
    target = TARGETS.get(borrowers)
    return Row(
        SECTION,
        f"{borrowers:,} borrowers × {DAYS} days (extrapolated, not run)",
        f"~{seconds:,.0f} s, peak RSS ~{rss / 2**20:,.0f} MiB",
        ratio=seconds / target[0] if target else None,
        target=_target_text(borrowers),
        met=_met(borrowers, seconds, rss),
        note=f"extrapolated {how}; over the {cap:.0f} s cap, so not run",
    )


def main() -> None:
    run = replay(int(sys.argv[1]))
    print(json.dumps(dataclasses.asdict(run)))


if __name__ == "__main__":
    main()
