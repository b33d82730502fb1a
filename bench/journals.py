"""``python -m bench.journals --out DIR`` · ``python -m bench.journals --check DIR [--only RUN…]``

The journals of a few replays, kept entry by entry, to show that a change meant to make the replay faster leaves
what happens untouched. ``--out`` runs them (in-process, as ``lendsim run --platform … --borrowers … --seed …``
builds them) and writes each journal to ``DIR/RUN.jsonl``, one entry a line, every column but the wall time.
``--check`` runs them again and compares entry by entry with what ``--out`` wrote: the first differences of each
run are printed with their ``seq``, the field and both values, and the exit code is 1 if any run differs.

The runs (:data:`RUNS`) are the incident at 300 borrowers with seeds 1 and 2 against both reference platforms
(the resilient one passes everything, the naive one takes the bank's overdue, notice and bureau paths), and
catalog scenarios that take the other paths: early settlement, corrections refused, disputes in the window, the
bank's batch jobs under faults — and two made in pieces and merged, as ``lendsim run --window`` makes a big run
(the incident in 3 pieces, the bank's jobs under faults in 3). ``bench/fingerprint.py`` covers the whole catalog
more thinly (one hash a run).
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "scenarios"
SHOWN = 5  # differences printed per run


@dataclass(frozen=True, slots=True)
class Replay:
    scenario: str  # a catalog name
    platform: str  # naive or resilient
    borrowers: int | None = None  # the scenario's own population if None
    seed: int | None = None  # the scenario's own seed if None
    window: int | None = None  # made in pieces of this many borrowers, merged (``lendsim run --window``) if set

    @property
    def name(self) -> str:
        size = "" if self.borrowers is None else f"-{self.borrowers}"
        seed = "" if self.seed is None else f"-seed{self.seed}"
        window = "" if self.window is None else f"-window{self.window}"
        return f"{self.scenario}-{self.platform}{size}{seed}{window}"


RUNS = (
    Replay("xiaomi-minsheng-2019", "resilient", 300, 1),
    Replay("xiaomi-minsheng-2019", "resilient", 300, 2),
    Replay("xiaomi-minsheng-2019", "naive", 300, 1),
    Replay("xiaomi-minsheng-2019", "naive", 300, 2),
    Replay("early-settlement", "resilient"),
    Replay("correction-rejected", "resilient"),
    Replay("dispute-during-window", "naive"),
    Replay("bank-jobs-faults", "resilient"),
    # in pieces, merged: the partner-wide entries folded into one per instant (``Journal.merge``, ``ShardFold``)
    Replay("xiaomi-minsheng-2019", "naive", 300, 1, window=100),
    Replay("bank-jobs-faults", "resilient", window=70),
)


def entries(replay: Replay) -> Iterator[str]:
    """The run's journal, one JSON text an entry (the wall time left out), in ``seq`` order."""
    from lendsim_examples import naive, resilient
    from simulator.run import InProcessDriver, run_scenario
    from simulator.scenario import load_scenario

    factory = {"naive": naive.create, "resilient": resilient.create}[replay.platform]
    scenario = load_scenario(str(CATALOG / f"{replay.scenario}.yaml"))
    if replay.window is None:
        result = run_scenario(scenario, InProcessDriver(factory()), borrowers=replay.borrowers, seed=replay.seed)
    else:  # as `lendsim run --window` makes it: its pieces one after another here, then merged
        from simulator.run._pool import RunTask
        from simulator.run._shards import ShardTask, judge_shards, pieces, run_shard
        from simulator.scenario import DEFAULT_BORROWERS, Shard

        size = replay.borrowers or int(scenario.population.get("borrowers", DEFAULT_BORROWERS))
        count = pieces(size, 1, replay.window)
        task = RunTask(scenario, replay.platform, seed=replay.seed, borrowers=replay.borrowers)
        runs = [run_shard(ShardTask(task, Shard(index, count))) for index in range(count)]
        result = judge_shards(scenario, runs, seed=replay.seed, borrowers=replay.borrowers)
    for entry in result.sim.journal:
        fields = entry.to_json()
        del fields["wallTime"]
        yield json.dumps(fields, ensure_ascii=False, sort_keys=True)


def write(replay: Replay, folder: Path) -> int:
    count = 0
    with (folder / f"{replay.name}.jsonl").open("w", encoding="utf-8") as out:
        for line in entries(replay):
            out.write(line + "\n")
            count += 1
    return count


def differences(before: Iterator[str], after: Iterator[str]) -> Iterator[str]:
    """Each entry that differs, as ``seq N: field: before → after`` (or one missing on a side)."""
    for number, (old, new) in enumerate(itertools.zip_longest(before, after), start=1):
        if old == new:
            continue
        if old is None or new is None:
            side = "before" if old is None else "after"
            yield f"entry {number}: none {side} (the other has {old or new})"
            continue
        was, now = json.loads(old), json.loads(new)
        fields = [key for key in was.keys() | now.keys() if was.get(key) != now.get(key)]
        for key in sorted(fields):
            yield f"seq {was.get('seq')}: {key}: {was.get(key)!r} → {now.get(key)!r}"


def check(replay: Replay, folder: Path) -> tuple[int, list[str]]:
    """How many entries the run journaled now, and the differences from what was written (at most SHOWN + 1)."""
    path = folder / f"{replay.name}.jsonl"
    if not path.exists():
        return 0, [f"{path} is missing: write it first with --out {folder}"]
    count = 0

    def now() -> Iterator[str]:
        nonlocal count
        for line in entries(replay):
            count += 1
            yield line

    with path.open(encoding="utf-8") as before:
        found = list(itertools.islice(differences((line.rstrip("\n") for line in before), now()), SHOWN + 1))
    return count, found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.journals", description=__doc__.splitlines()[2])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--out", type=Path, help="write the runs' journals into this folder")
    mode.add_argument("--check", type=Path, help="compare the runs with the journals written into this folder")
    parser.add_argument("--only", nargs="*", default=[], help="only the runs whose name contains one of these")
    args = parser.parse_args(argv)
    chosen = [run for run in RUNS if not args.only or any(part in run.name for part in args.only)]
    failed = 0
    for replay in chosen:
        if args.out is not None:
            args.out.mkdir(parents=True, exist_ok=True)
            print(f"{replay.name}: {write(replay, args.out):,} entries written", flush=True)
            continue
        count, found = check(replay, args.check)
        if not found:
            print(f"{replay.name}: {count:,} entries identical", flush=True)
            continue
        failed += 1
        print(f"{replay.name}: DIFFERS", flush=True)
        for line in found[:SHOWN]:
            print(f"  {line}")
        if len(found) > SHOWN:
            print("  …")
    if args.check is not None:
        print(f"{len(chosen) - failed} of {len(chosen)} runs identical")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
