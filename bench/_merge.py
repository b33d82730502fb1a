"""The merge of a run's pieces (issue #21): ``Journal.merge`` with ``ShardFold`` alone, on the piece journals of one
sharded run of the incident, timed (wall, CPU), with the merging process's peak resident memory (``VmHWM``) and the
rows it wrote a second.

    python -m bench._merge --build DIR [--borrowers 10000] [--window 1000] [--platform resilient]
    python -m bench._merge --time DIR [--base COMMIT] [--repeat 1]

``--build`` runs the pieces once (``run_shard`` on two processes, as ``lendsim run --shards 2 --window W`` runs
them) and keeps their journals in DIR, with the seqs their verdicts cite (``cited.json``). ``--time`` merges a fresh
copy of them (the merge builds an index on each source, as the pieces come back without one) in a subprocess each
time — this tree's ``Journal.merge`` and, with ``--base COMMIT``, the one at that commit (its tree exported to a
temporary folder) — side by side, with the machine's load average beside each figure (the machine is shared), and
checks that both wrote the same journal (every column).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = "xiaomi-minsheng-2019"


def build(folder: Path, borrowers: int, window: int, platform: str, workers: int = 2) -> None:
    from simulator.run._pool import RunTask
    from simulator.run._shards import ShardTask, pieces, run_shard
    from simulator.scenario import Shard, load_scenario

    folder.mkdir(parents=True, exist_ok=True)
    scenario = load_scenario(str(ROOT / "scenarios" / f"{SCENARIO}.yaml"))
    task = RunTask(scenario, platform, borrowers=borrowers)
    count = pieces(borrowers, workers, window)
    started = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        runs = list(pool.map(run_shard, [ShardTask(task, Shard(index, count), str(folder)) for index in range(count)]))
    cited = []
    for run in runs:
        if run.failure is not None or run.error is not None:
            raise SystemExit(f"piece {run.shard} failed: {run.failure or run.error}")
        seqs = {seq for verdict in run.verdicts or () for violation in verdict.violations for seq in violation.chain}
        cited.append(sorted(seqs))
    (folder / "cited.json").write_text(json.dumps({"count": count, "cited": cited}))
    size = sum(path.stat().st_size for path in folder.glob("shard-*.sqlite"))
    print(f"{count} pieces of {borrowers:,} borrowers in {time.perf_counter() - started:.0f} s: {size / 1e6:,.0f} MB")


def _child(folder: Path, out: Path) -> None:
    """In a fresh process: merge the pieces in ``folder`` into ``out``; print one JSON line of figures."""
    import simulator
    from simulator.journal import Journal
    from simulator.run._shards import ShardFold

    print(f"merging with {simulator.__file__}", file=sys.stderr)
    meta = json.loads((folder / "cited.json").read_text())
    count = meta["count"]
    sources = [Journal(folder / f"shard-{index + 1}.sqlite") for index in range(count)]
    cited = [dict.fromkeys(seqs, 0) for seqs in meta["cited"]]
    ready = _status("VmRSS")
    wall, cpu = time.perf_counter(), time.process_time()
    merged = Journal.merge(sources, out, fold=ShardFold(count), seqs=cited)
    merged.close()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    for source in sources:
        source.close()
    rows = sqlite_rows(out)
    peak = _status("VmHWM")
    renumbered = [sorted(mapping.items()) for mapping in cited]
    figures = {"wall": wall, "cpu": cpu, "peak_kib": peak, "ready_kib": ready, "rows": rows, "cited": renumbered}
    print(json.dumps(figures))


def _status(field: str) -> int:
    """A field of this process's /proc status, in KiB (VmRSS: resident now; VmHWM: the peak so far)."""
    lines = Path("/proc/self/status").read_text().splitlines()
    return next(int(line.split()[1]) for line in lines if line.startswith(field + ":"))


def sqlite_rows(path: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM entries").fetchone()[0])
    finally:
        conn.close()


def digest(path: Path) -> str:
    """A hash of every column of every entry, in seq order, and of the seqs (1..n)."""
    import sqlite3

    conn = sqlite3.connect(path)
    hasher = hashlib.sha256()
    expected = 1
    try:
        for row in conn.execute("SELECT * FROM entries ORDER BY seq"):
            if row[0] != expected:
                raise SystemExit(f"{path}: seq {row[0]} where {expected} was due")
            expected += 1
            hasher.update(repr(row).encode())
    finally:
        conn.close()
    return hasher.hexdigest()


def _export(commit: str, into: Path) -> None:
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)


def time_merges(folder: Path, base: str | None, repeat: int) -> None:
    trees: list[tuple[str, Path]] = [("this tree", ROOT)]
    scratch = Path(tempfile.mkdtemp(prefix="lendsim-merge-bench-"))
    try:
        if base is not None:
            (scratch / "base").mkdir()
            _export(base, scratch / "base")
            trees.insert(0, (f"base {base[:10]}", scratch / "base"))
        digests = {}
        for _ in range(repeat):
            for name, tree in trees:
                copy = scratch / "pieces"
                shutil.rmtree(copy, ignore_errors=True)
                shutil.copytree(folder, copy)
                out = scratch / "merged.sqlite"
                for stale in scratch.glob("merged.sqlite*"):
                    stale.unlink()
                load = os.getloadavg()[0]
                env = {**os.environ, "PYTHONPATH": str(tree)}
                done = subprocess.run(
                    [sys.executable, str(ROOT / "bench" / "_merge.py"), "--child", str(copy), str(out)],
                    cwd=tree,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if done.returncode != 0:
                    raise SystemExit(f"{name}: the merge failed:\n{done.stderr}")
                figures = json.loads(done.stdout.splitlines()[-1])
                digests.setdefault(name, set()).add((digest(out), json.dumps(figures["cited"])))
                size = out.stat().st_size
                print(
                    f"{name}: {figures['rows']:,} rows ({size / 1e6:,.0f} MB) in {figures['wall']:.1f} s wall, "
                    f"{figures['cpu']:.1f} s CPU, {figures['rows'] / figures['wall']:,.0f} rows/s, "
                    f"peak RSS {figures['peak_kib'] / 1024:,.0f} MiB "
                    f"({figures['ready_kib'] / 1024:,.0f} MiB before it: imports, pieces open); "
                    f"load {load:.2f} → {os.getloadavg()[0]:.2f}",
                    flush=True,
                )
        outcomes = {frozenset(found) for found in digests.values()}
        print("same journal and cited seqs from each tree" if len(outcomes) == 1 else f"DIFFERENT: {digests}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench._merge", description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--build", type=Path, help="run the pieces and keep their journals in this folder")
    mode.add_argument("--time", type=Path, help="time the merge of the pieces in this folder")
    mode.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--borrowers", type=int, default=10_000)
    parser.add_argument("--window", type=int, default=1_000)
    parser.add_argument("--platform", default="resilient")
    parser.add_argument("--base", help="also time the merge at this commit (git archive), side by side")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    if args.build is not None:
        build(args.build, args.borrowers, args.window, args.platform)
    elif args.child is not None:
        _child(*args.child)
    else:
        time_merges(args.time, args.base, args.repeat)


if __name__ == "__main__":
    main()
