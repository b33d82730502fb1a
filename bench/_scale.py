"""One big run (issue #21 item 1): the incident as a user types it — ``lendsim run xiaomi-minsheng-2019 --platform
resilient --borrowers N [--shards S]`` — in a subprocess, timed (wall) with the peak resident memory of every
process it starts (``VmHWM`` polled from ``/proc``: ``bench._shards.measure``). A run of more borrowers than
``--window`` (5,000 by default) is made in pieces, so its memory should not grow with N: the slope between the two
largest sizes is the memory per borrower beyond a fixed base. The machine is shared: the load average before and
after each run is printed beside it.

    bench/run scale [--scale-sizes 10000,100000] [--scale-shards 1,2] [--no-write]
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from bench._report import Row
from bench._shards import measure as run_once

SECTION = "scale"
GIB = 1024 * 1024  # KiB
TARGET_PEAK_GIB = 2.0
TARGET_PER_BORROWER_KB = 2.0
TARGET_SPEED_UP = 1.8


@dataclass(frozen=True, slots=True)
class Settings:
    sizes: tuple[int, ...] = (10_000, 100_000)
    shards: tuple[int, ...] = (1, 2)
    platform: str = "resilient"

    @classmethod
    def quick(cls) -> Settings:
        return cls(sizes=(2_000, 10_000))


@dataclass(frozen=True, slots=True)
class Measured:
    borrowers: int
    shards: int
    seconds: float
    code: int
    peaks: dict[int, tuple[str, int]]  # pid: (role, KiB)
    load: tuple[float, float]  # 1-minute load average before, after

    @property
    def largest(self) -> int:
        return max(kib for _, kib in self.peaks.values())

    def described(self) -> str:
        each = ", ".join(f"{name} {kib / 1024:,.0f} MiB" for name, kib in sorted(self.peaks.values(), key=str))
        return (
            f"{self.borrowers:,} borrowers, --shards {self.shards}: {self.seconds:,.1f} s, exit {self.code}; "
            f"peak RSS {each}; load {self.load[0]:.2f} → {self.load[1]:.2f}"
        )


def measure(settings: Settings) -> tuple[list[Row], list[str]]:
    runs: list[Measured] = []
    details = [f"{os.cpu_count()} cores, shared with other engineers: the 1-minute load average is given per run."]
    for size in settings.sizes:
        for shards in settings.shards:
            before = os.getloadavg()[0]
            seconds, code, _, peaks = run_once(shards, size, settings.platform)
            run = Measured(size, shards, seconds, code, peaks, (before, os.getloadavg()[0]))
            print(f"   {run.described()}", flush=True)
            details.append(run.described())
            runs.append(run)
    rows = []
    for run in runs:
        peak_gib = run.largest / GIB
        rows.append(
            Row(SECTION, f"{run.borrowers:,} borrowers, --shards {run.shards}: wall", f"{run.seconds:,.1f} s",
                note="" if run.code == 0 else f"exit {run.code}")
        )  # fmt: skip
        rows.append(
            Row(SECTION, f"{run.borrowers:,} borrowers, --shards {run.shards}: peak RSS (largest process)",
                f"{peak_gib:.2f} GiB", target=f"≤ {TARGET_PEAK_GIB:g} GiB", met=peak_gib <= TARGET_PEAK_GIB)
        )  # fmt: skip
    for shards in settings.shards:
        these = sorted((run for run in runs if run.shards == shards), key=lambda run: run.borrowers)
        if len(these) >= 2:
            small, big = these[-2], these[-1]
            per = (big.largest - small.largest) * 1024 / (big.borrowers - small.borrowers) / 1000
            rows.append(
                Row(SECTION, f"--shards {shards}: memory per borrower ({small.borrowers:,} → {big.borrowers:,})",
                    f"{per:.2f} KB", target=f"≤ {TARGET_PER_BORROWER_KB:g} KB", met=per <= TARGET_PER_BORROWER_KB)
            )  # fmt: skip
    largest = max(settings.sizes)
    one = next((run for run in runs if run.borrowers == largest and run.shards == 1), None)
    two = next((run for run in runs if run.borrowers == largest and run.shards == 2), None)
    if one is not None and two is not None:
        ratio = one.seconds / two.seconds
        rows.append(
            Row(SECTION, f"{largest:,} borrowers, --shards 2 vs 1", f"{two.seconds:,.1f} s", f"{one.seconds:,.1f} s",
                ratio, f"≥ {TARGET_SPEED_UP}×", ratio >= TARGET_SPEED_UP)
        )  # fmt: skip
    return rows, details
