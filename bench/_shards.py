"""Borrower shards (issue #21 item 2): one run of the incident, ``lendsim run ... --shards 1`` against ``--shards 2``,
each timed as a user runs it (the command in a subprocess, wall time) with the peak resident memory of every process
it starts (``VmHWM``, polled from ``/proc`` while it runs). Both must end alike (exit code, verdict table).

The machine is shared: the load average before and after is printed beside the figures.

    python -m bench._shards [--borrowers 2000] [--platform resilient]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LENDSIM = Path(sys.executable).parent / "lendsim"
_POLL = 0.1


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry))
    return tree


def _peak_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _name(pid: int) -> str:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    text = " ".join(part.decode(errors="replace") for part in command if part)
    if "resource_tracker" in text:
        return "resource tracker"
    return "worker" if "multiprocessing" in text or "spawn_main" in text else "lendsim"


def measure(
    shards: int, borrowers: int, platform: str, extra: tuple[str, ...] = ()
) -> tuple[float, int, str, dict[int, tuple[str, int]]]:
    """Wall seconds, exit code, the verdict table, and each process's peak RSS (KiB) by pid. ``extra``: more
    options of ``lendsim run`` (``--window N``)."""
    command = [str(LENDSIM), "run", "xiaomi-minsheng-2019", "--platform", platform, "--borrowers", str(borrowers)]
    command += ["--shards", str(shards), *extra]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    peaks: dict[int, tuple[str, int]] = {}
    while process.poll() is None:
        tree = _children()
        pending, seen = [process.pid], []
        while pending:
            pid = pending.pop()
            seen.append(pid)
            pending.extend(tree.get(pid, ()))
        for pid in seen:
            peak = _peak_kib(pid)
            if peak is not None:
                name = peaks.get(pid, (_name(pid), 0))[0]
                peaks[pid] = (name, max(peak, peaks.get(pid, (name, 0))[1]))
        time.sleep(_POLL)
    wall = time.perf_counter() - started
    output = process.stdout.read() if process.stdout else ""
    table = "\n".join(line for line in output.splitlines() if re.match(r"^  (held|VIOLATED|NOT EXERCISED)", line))
    return wall, process.returncode, table, peaks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--borrowers", type=int, default=2000)
    parser.add_argument("--platform", default="resilient")
    parser.add_argument("--shards", default="1,2")
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; {os.cpu_count()} cores")
    tables = set()
    for shards in (int(n) for n in args.shards.split(",")):
        wall, code, table, peaks = measure(shards, args.borrowers, args.platform)
        tables.add((code, table))
        rss = ", ".join(f"{name} {kib / 1024:.0f} MiB" for name, kib in sorted(peaks.values(), key=str))
        print(f"--shards {shards}: {wall:.1f} s wall, exit {code}; peak RSS: {rss}")
        print(f"  load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if len(tables) != 1:
        raise SystemExit(f"the runs ended differently: {tables}")
    print(next(iter(tables))[1])


if __name__ == "__main__":
    main()
