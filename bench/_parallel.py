"""Parallel runs section (issue #21): the catalog × 5 seeds with ``lendsim run --workers 2`` against ``--workers 1``,
and on a Dask ``LocalCluster`` of two worker processes (``--cluster``), each timed as a user runs it (the command in
a subprocess, wall time). The three must end alike (exit code and the summary across runs), or the section fails.

The machine is shared: the load average before and after is recorded beside the figures.

    python -m bench._parallel            # prints the rows
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench._report import Row

__all__ = ["Settings", "measure"]

ROOT = Path(__file__).resolve().parent.parent
SECTION = "parallel"
TARGET = 1.8
LENDSIM = Path(sys.executable).parent / "lendsim"


@dataclass(frozen=True, slots=True)
class Settings:
    """``borrowers``: None runs each scenario with its own population; a number makes the catalog a subset of the
    work (every scenario, fewer borrowers each)."""

    seeds: int = 5
    borrowers: int | None = 30
    platform: str = "resilient"

    @classmethod
    def quick(cls) -> Settings:
        return cls(seeds=2, borrowers=30)


@dataclass(frozen=True, slots=True)
class Timed:
    seconds: float
    exit_code: int
    summary: str


def _command(settings: Settings, *extra: str) -> list[str]:
    scenarios = sorted(str(path) for path in (ROOT / "scenarios").glob("*.yaml"))
    command = [str(LENDSIM), "run", *scenarios, "--platform", settings.platform, "--seeds", f"1..{settings.seeds}"]
    if settings.borrowers is not None:
        command += ["--borrowers", str(settings.borrowers)]
    return command + list(extra)


def _timed(command: Sequence[str]) -> Timed:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    seconds = time.perf_counter() - started
    head = next((line for line in done.stdout.splitlines() if line.startswith("summary:")), "")
    if done.returncode not in (0, 1) or not head:
        raise RuntimeError(f"{' '.join(command[:2])} … ended {done.returncode}: {done.stderr[-2000:]}")
    # the summary's rows without the seconds each run took: what the three ways of running must agree on
    rows = [re.sub(r"\s+\d+\.\d$", "", line) for line in done.stdout.split(head, 1)[1].splitlines()[1:]]
    return Timed(seconds, done.returncode, "\n".join([head, *rows]))


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def _autogroup() -> str:
    """Whether Linux shares the CPU between sessions rather than processes (then, on a busy machine, the processes
    of one command — a session — share one session's part of it, however many there are)."""
    try:
        on = Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1"
    except OSError:
        return ""
    if not on:
        return " The kernel's autogroup scheduling is off: each process competes for the cores on its own."
    return (
        " The kernel's autogroup scheduling is on: when the cores are busy with other sessions' work, the CPU is "
        "shared between sessions, so the processes of one command together get about one session's part of it "
        "— two workers then gain little or nothing over one, whatever the code does."
    )


def measure(settings: Settings) -> tuple[list[Row], list[str]]:
    loads = [_load()]
    serial = _timed(_command(settings, "--workers", "1"))
    pooled = _timed(_command(settings, "--workers", "2"))
    cluster_note, on_cluster, cluster_start = "", None, None
    try:
        from distributed import LocalCluster
    except ImportError:
        cluster_note = "distributed is not installed (pip install 'lendsim[cluster]')"
    else:
        started = time.perf_counter()
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
            cluster_start = time.perf_counter() - started
            on_cluster = _timed(_command(settings, "--cluster", cluster.scheduler_address))
    loads.append(_load())
    for other in (pooled, on_cluster):
        if other is not None and (other.exit_code, other.summary) != (serial.exit_code, serial.summary):
            raise RuntimeError(f"the runs did not end alike:\n{serial.summary}\n---\n{other.summary}")
    runs = len(list((ROOT / "scenarios").glob("*.yaml"))) * settings.seeds
    size = "each scenario's own population" if settings.borrowers is None else f"{settings.borrowers} borrowers each"
    what = f"the catalog × {settings.seeds} seeds ({runs} runs, {size}, {settings.platform})"
    ratio = serial.seconds / pooled.seconds
    rows = [
        Row(SECTION, f"{what}, --workers 1", f"{serial.seconds:.1f} s"),
        Row(SECTION, f"{what}, --workers 2", f"{pooled.seconds:.1f} s", f"{serial.seconds:.1f} s", ratio,
            f"≥ {TARGET}×", ratio >= TARGET),
    ]  # fmt: skip
    if on_cluster is None:
        rows.append(Row(SECTION, f"{what}, LocalCluster of 2 workers", "not available", note=cluster_note))
    else:
        rows.append(
            Row(SECTION, f"{what}, --cluster (LocalCluster of 2 worker processes)", f"{on_cluster.seconds:.1f} s",
                f"{serial.seconds:.1f} s", serial.seconds / on_cluster.seconds, "reported")
        )  # fmt: skip
    details = [
        "Wall time of the whole command (`lendsim run … --seeds 1..N`, a subprocess: start-up, the runs, the reports "
        "to the console), once each. `--workers 2`: two spawned processes; the cluster: `distributed.LocalCluster("
        "n_workers=2, threads_per_worker=1, processes=True)`"
        + ("" if cluster_start is None else f", started in {cluster_start:.1f} s before the timing")
        + ". The three runs ended alike (exit code and every row of the summary across runs).",
        f"Load average (1 / 5 / 15 min) before: {loads[0]}; after: {loads[1]} — the machine's 2 cores are shared with "
        "other work, so the ratio says what two processes gained on it at the time, not what two idle cores give."
        + _autogroup(),
    ]
    if settings.borrowers is not None:
        details.append(
            f"A subset of the work: every catalog scenario, but {settings.borrowers} borrowers each instead of each "
            "scenario's own population (the whole catalog × 5 seeds is ~500 s of CPU per way of running, too long "
            "for three ways on a shared machine); `Settings(borrowers=None)` in bench/_parallel.py runs it whole."
        )
    return rows, details


if __name__ == "__main__":
    from bench._report import format_table

    measured, notes = measure(Settings.quick() if "--quick" in sys.argv else Settings())
    print(format_table(measured))
    print("\n".join(notes))
