"""Borrower shards: one run split by borrower over several processes, its journals merged and judged once.

``lendsim run SCENARIO --shards N``: shard *k* of *N* is the scenario's world for a contiguous slice of the
population (:class:`~simulator.scenario.Shard`) — its own engine, partners and in-process platform, the same
scenario and seed — submitted to the same executor as any run (``simulator.run._pool``). Borrower ``i`` is the
same person with the same loan and behaviour in whichever shard holds them (every draw is keyed by the seed and
``i``); what a shard's partners mint carries its mark (``s2-``), and its platform is told a ``runId`` of its own,
so the shards' journals meet in one (:meth:`~simulator.journal.Journal.merge`) without two things named alike.
The merged journal is judged once, here, by the same oracles: they judge borrower by borrower.

What belongs to no borrower — the bank's day end, overdue batch, reconciliation file and furnishing run, the
clock's advances, a fault added or first fired — each shard has for itself. The merge folds each such happening
into one entry that stands for the whole run (:class:`ShardFold`): counts and amounts added, what every shard says
alike said once. Whatever it does not know how to fold it keeps once per shard: above all what the platform does
for itself — its reconciliation-file fetches and its log lines that name no borrower — done once by each of the
*N* platform instances. The platform's ledger is an entry per loan (``run_scenario``), in one run as in shards:
nothing to fold, and no entry a merge must hold whole. docs/cluster.md.
"""

from __future__ import annotations

import gc
import shutil
import tempfile
import time
import weakref
from collections.abc import Generator, Mapping, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

from simulator.clock import Calendar
from simulator.domain import money_str
from simulator.errors import LendsimError, PlatformError
from simulator.journal import Entry, Journal
from simulator.oracles import Verdict, evaluate
from simulator.partners.bank import BankConfig
from simulator.run._platforms import driver_maker, over_http
from simulator.run._pool import RunSummary, RunTask, _lanes, failed, run_lane, summarize
from simulator.run._runner import RunResult, run_scenario
from simulator.scenario import DEFAULT_BORROWERS, Scenario, Shard
from simulator.world import Simulator

__all__ = [
    "DEFAULT_WINDOW",
    "FOLDS",
    "ShardFold",
    "ShardRun",
    "ShardTask",
    "combine",
    "judge_shards",
    "pieces",
    "run_shard",
    "run_sharded",
]

#: The most borrowers one process holds the world of at once: a bigger run is made in pieces of this many at most
#: (``lendsim run --window``), one after another or spread over the shards' processes (docs/cluster.md).
DEFAULT_WINDOW: Final = 5_000

_SUM: Final = "sum"  # whole numbers, added
_MONEY: Final = "money"  # amounts ("123.45"), added to the cent
_FIRST: Final = "first"  # the first of each (by data.id) across the run: later copies left out
_FAULTED: Final = ("Skipped", "Postponed", "Early")  # a daily job's run that a fault skipped, postponed, brought on

#: How each happening that names no borrower folds across shards, by (kind, partner, operation) — partner
#: ``None``: any. A data field not named must be the same in every shard (else the entries stay one per shard).
FOLDS: Final[Mapping[tuple[str, str | None, str], Mapping[str, str]]] = {
    ("event", "bank", "dayEnd"): {"postings": _SUM, "amount": _MONEY},
    ("event", "bank", "overdueBatch"): {
        "newlyOverdue": _SUM,
        "overdue": _SUM,
        "noticesSent": _SUM,
        "noticesFailed": _SUM,
    },
    ("event", "bank", "furnishing"): {"feedbackRead": _SUM, "submitted": _SUM, "withheld": _SUM},
    ("event", "bank", "reconciliationFileReady"): {"recordCount": _SUM, "totalAmount": _MONEY},
    **{("event", "bank", f"{job}{what}"): {} for job in ("overdueBatch", "furnishing") for what in _FAULTED},
    ("event", "_sim", "clockAdvanced"): {"eventsRun": _SUM},
    ("event", "_sim", "holidayDataMissing"): {},
    ("event", "platform", "clientTimeouts"): {},
    ("fault", None, "faultAdded"): {},
    ("fault", None, "faultFired"): {"id": _FIRST},
}


class ShardFold:
    """A merge's fold (:data:`~simulator.journal.Fold`) for the journals of ``count`` shards, in shard order.

    At each virtual instant the entries that name nobody are matched across shards by kind, partner, operation
    and how many of those came before in the same shard at that instant. A match with one entry from every shard,
    a rule in :data:`FOLDS`, and the same data but for the fields the rule adds up, becomes one entry (the first
    shard's, with the fields added up); anything else is kept as it is, once per shard. A fault's first firing is
    kept once, the earliest (a shard's first firing is the run's only if no other shard's came before it)."""

    #: The operations it may change (``Journal.merge``'s ``folding``): the merge gives it no other entry.
    operations: Final = frozenset(operation for _, _, operation in FOLDS)

    def __init__(self, count: int) -> None:
        self.count = count
        self._fired: set[str] = set()

    def __call__(self, instant: list[tuple[int, Entry]]) -> list[Entry | None]:
        out: list[Entry | None] = [entry for _, entry in instant]
        groups: dict[tuple[Any, ...], list[int]] = {}
        seen: dict[tuple[Any, ...], int] = {}
        for position, (shard, entry) in enumerate(instant):
            rule = _rule(entry)
            if rule is None:
                continue
            if _FIRST in rule.values():
                out[position] = self._first(entry, rule)
                continue
            what = (entry.kind, entry.partner, entry.operation)
            occurrence = seen.get((shard, *what), 0)
            seen[(shard, *what)] = occurrence + 1
            groups.setdefault((*what, occurrence), []).append(position)
        for positions in groups.values():
            shards = [instant[position][0] for position in positions]
            if sorted(shards) != list(range(self.count)):
                continue  # not every shard had it: each keeps its own
            entries = [instant[position][1] for position in positions]
            rule = _rule(entries[0])
            assert rule is not None
            folded = _fold(entries, rule)
            if folded is None:
                continue
            out[positions[0]] = folded
            for position in positions[1:]:
                out[position] = None
        return out

    def _first(self, entry: Entry, rule: Mapping[str, str]) -> Entry | None:
        key = repr([entry.data.get(name) for name, how in rule.items() if how == _FIRST])
        if key in self._fired:
            return None
        self._fired.add(key)
        return entry


def _rule(entry: Entry) -> Mapping[str, str] | None:
    operation = entry.operation or ""
    rule = FOLDS.get((entry.kind, entry.partner, operation))
    return FOLDS.get((entry.kind, None, operation)) if rule is None else rule


def _fold(entries: Sequence[Entry], rule: Mapping[str, str]) -> Entry | None:
    """One entry for ``entries`` (one per shard) by ``rule``, or None when they differ where they must agree."""
    first = entries[0]
    for entry in entries[1:]:
        if (entry.status, entry.correlation) != (first.status, first.correlation):
            return None
        if entry.data.keys() != first.data.keys():
            return None
        if any(value != first.data[key] for key, value in entry.data.items() if key not in rule):
            return None
    data = dict(first.data)
    for key, how in rule.items():
        values = [entry.data.get(key) for entry in entries]
        if all(value is None for value in values):
            continue
        combined = _combine(values, how)
        if combined is None:
            return None
        data[key] = combined
    return replace(first, data=data)


def _combine(values: Sequence[Any], how: str) -> Any:
    if how == _SUM and all(type(value) is int for value in values):
        return sum(values)
    if how == _MONEY and all(isinstance(value, str) for value in values):
        try:
            return money_str(sum((Decimal(value) for value in values), Decimal(0)))
        except InvalidOperation:
            return None
    return None


# -- a shard, where it runs ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShardTask:
    """Shard ``shard`` of the run ``task`` describes. ``folder``: a folder this process shares with the caller (a
    local pool): the shard's journal is left there; None (a cluster): its bytes travel back."""

    task: RunTask
    shard: Shard
    folder: str | None = None


@dataclass(frozen=True, slots=True)
class ShardRun:
    """A shard's run, as it comes back: its journal (the file it was left in, ``path``, or the bytes of that SQLite
    file), its verdicts (judged where it ran, from its own journal; their chains cite its seqs), how many clock
    events it ran, how long it took, and the harness call its platform failed (``error``, ``operation``) if one did.
    ``failure``: the shard could not be run at all (a platform that does not import where it ran)."""

    shard: Shard
    journal: bytes = b""
    events: int = 0
    wall_seconds: float = 0.0
    error: str | None = None
    operation: str | None = None
    hint: str = ""
    failure: str | None = None
    path: str | None = None
    verdicts: tuple[Verdict, ...] | None = None
    span: tuple[float, float] | None = None  # when it started and ended, in epoch seconds


def run_shard(task: ShardTask) -> ShardRun:
    """Run one shard here (in a worker): its world, its platform, its journal in a file; then, its world gone, the
    shard judged from its journal alone (no verdicts if its platform failed the harness)."""
    run = task.task
    started, began = time.perf_counter(), time.time()
    try:
        make = driver_maker(run.platform, client_timeout=run.client_timeout)
        with tempfile.TemporaryDirectory(prefix="lendsim-shard-") as scratch:
            path = Path(task.folder or scratch) / f"shard-{task.shard.index + 1}.sqlite"
            journal = Journal(path)
            try:
                result = run_scenario(
                    run.scenario,
                    make(),
                    seed=run.seed,
                    borrowers=run.borrowers,
                    concurrency=run.concurrency,
                    journal=journal,
                    shard=task.shard,
                )
                error, events, calendar = result.error, result.events, result.sim.clock.calendar
                del result  # the shard's world, partners and platform go: only its journal is needed now
                gc.collect()
                verdicts = None if error is not None else tuple(_judge(run.scenario, journal, calendar))
            finally:
                journal.close()
            return ShardRun(
                task.shard,
                b"" if task.folder else path.read_bytes(),
                events,
                time.perf_counter() - started,
                None if error is None else error.answer,
                None if error is None else error.operation,
                "" if error is None else error.hint,
                path=str(path) if task.folder else None,
                verdicts=verdicts,
                span=(began, time.time()),
            )
    except LendsimError as exc:
        return ShardRun(task.shard, failure=str(exc))


def _judge(scenario: Scenario, journal: Journal, calendar: Calendar) -> list[Verdict]:
    grace = BankConfig.from_mapping(scenario.bank).grace_days
    return evaluate(journal, scenario.expect, calendar=calendar, end=scenario.end, grace_days=grace)


# -- the run, here ----------------------------------------------------------------------------------------------


def pieces(size: int, shards: int, window: int = DEFAULT_WINDOW) -> int:
    """How many pieces a run of ``size`` borrowers is made in: ``shards`` at least, and as many more as it takes
    for none to hold more than ``window`` borrowers (1: the whole run, unmarked, as ever)."""
    return max(shards, -(-size // window))


def run_sharded(
    pool: Executor,
    tasks: Sequence[RunTask],
    shards: int,
    *,
    window: int = DEFAULT_WINDOW,
    shared: bool = True,
) -> Generator[RunSummary, None, None]:
    """Each task in :func:`pieces` pieces — borrower shards of at most ``window`` borrowers, at least ``shards``
    of them — on ``pool`` (all submitted at once), merged and judged here: the summaries in the order of ``tasks``,
    each as soon as its pieces are done. A task of one piece is run whole, as :func:`run_tasks` runs it (the runs
    against one URL one after another). Closing the iterator early cancels the rest.

    ``shared``: the pool's processes see this machine's folders (local processes), so the pieces leave their
    journals in a folder of the run's; else (a cluster) each piece's journal travels back as bytes and is written
    to that folder as it arrives. A task's merged journal goes to its ``journal_to`` (the file ``--journal``
    keeps), else to a temporary file gone with the result. A platform over HTTP is one instance that each piece's
    set-up would reset: its runs are never split (``--shards`` refuses it before anything runs)."""
    counts = [1 if over_http(task.platform) else pieces(_size(task), shards, window) for task in tasks]
    whole = [index for index, count in enumerate(counts) if count == 1]
    by_lane = _lanes([tasks[index] for index in whole])
    lane_futures = [pool.submit(run_lane, [tasks[whole[index]] for index in lane]) for lane in by_lane]
    where = {
        whole[index]: (number, position) for number, lane in enumerate(by_lane) for position, index in enumerate(lane)
    }
    folders: dict[int, Path] = {}
    submitted: dict[int, list[Future[ShardRun]]] = {}
    try:
        for index, (task, count) in enumerate(zip(tasks, counts, strict=True)):
            if count > 1:
                folders[index] = folder = Path(tempfile.mkdtemp(prefix="lendsim-pieces-"))
                shared_folder = str(folder) if shared else None
                submitted[index] = [
                    pool.submit(run_shard, ShardTask(task, Shard(piece, count), shared_folder))
                    for piece in range(count)
                ]
        for index, task in enumerate(tasks):
            if index in where:
                number, position = where[index]
                yield lane_futures[number].result()[position]
                continue
            folder = folders[index]
            runs = []
            failure = None
            for future in submitted.pop(index):
                run = future.result()
                failure = failure or run.failure
                if run.path is None and run.failure is None:  # shipped back: to disk at once, not held
                    path = folder / f"shard-{run.shard.index + 1}.sqlite"
                    path.write_bytes(run.journal)
                    run = replace(run, journal=b"", path=str(path))
                runs.append(run)
            if failure is not None:
                shutil.rmtree(folders.pop(index), ignore_errors=True)
                yield failed(task, failure)
                continue
            target = None if task.journal_to is None else Path(task.journal_to)
            del folders[index]  # the merged journal's now: removed with it (or by judge_shards if the merge fails)
            result = judge_shards(
                task.scenario, runs, seed=task.seed, borrowers=task.borrowers, folder=folder, journal=target
            )
            yield summarize(task, result)
    finally:
        for lane_future in lane_futures:
            lane_future.cancel()
        for futures in submitted.values():
            for future in futures:
                future.cancel()
        for folder in folders.values():
            shutil.rmtree(folder, ignore_errors=True)


def _size(task: RunTask) -> int:
    population = task.scenario.population
    return task.borrowers if task.borrowers is not None else int(population.get("borrowers", DEFAULT_BORROWERS))


def judge_shards(
    scenario: Scenario,
    runs: Sequence[ShardRun],
    *,
    seed: int | None = None,
    borrowers: int | None = None,
    folder: Path | None = None,
    journal: Path | None = None,
) -> RunResult:
    """The run the shards ``runs`` (every shard once, in any order) make together: their journals merged (folded by
    :class:`ShardFold`) and their verdicts put together (:func:`combine`: each shard was judged from its own
    journal where it ran; what their violations cite is renumbered to the merged journal) — or, if a shard's
    platform failed a call of the harness, that error (the lowest such shard's) and no verdicts, as a run that
    stopped there (the other shards ran on: their entries are in the journal). Its wall time is from the first
    shard's start to the last one's end, plus the merge.

    ``folder``: where the shards' journals are (removed with the merged journal; a new one by default);
    ``journal``: the file the merged journal goes to (replaced if it exists; by default one in ``folder``)."""
    started = time.perf_counter()
    ordered = sorted(runs, key=lambda run: run.shard.index)
    count = len(ordered)
    if [run.shard for run in ordered] != [Shard(index, count) for index in range(count)]:
        raise LendsimError(f"shards {[str(run.shard) for run in ordered]} are not every shard of {count} once")
    folder = Path(tempfile.mkdtemp(prefix="lendsim-shards-")) if folder is None else folder
    opened = []
    judged = all(run.verdicts is not None for run in ordered)
    cited = [dict.fromkeys(_cited(run.verdicts or ()), 0) for run in ordered]
    try:
        for run in ordered:
            path = Path(run.path) if run.path is not None else folder / f"shard-{run.shard.index + 1}.sqlite"
            if run.path is None:
                path.write_bytes(run.journal)
            opened.append(Journal(path))
        target = folder / "run.sqlite" if journal is None else journal
        if journal is not None:
            for stale in (journal, *(journal.with_name(journal.name + side) for side in ("-wal", "-shm"))):
                stale.unlink(missing_ok=True)
        # on disk, not in memory: this process holds no more of the run than SQLite's page cache
        merged = Journal.merge(
            opened, target, fold=ShardFold(count), folding=ShardFold.operations, seqs=cited if judged else None
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        for opened_journal in opened:
            opened_journal.close()
            Path(opened_journal.path).unlink(missing_ok=True)
    weakref.finalize(merged, shutil.rmtree, folder, ignore_errors=True)  # the files go with the journal
    run_seed = scenario.seed if seed is None else seed
    size = borrowers if borrowers is not None else int(scenario.population.get("borrowers", DEFAULT_BORROWERS))
    bank = BankConfig.from_mapping(scenario.bank)
    # The world the merged journal is the record of, for what reads a run besides its journal (the reports: the
    # calendar, the bank's hours, the instant the run ended); it ran nothing itself.
    sim = Simulator(seed=run_seed, start=scenario.end, calendar=scenario.calendar, bank=bank, journal=Journal())
    sim.journal.close()
    sim.journal = merged
    events = sum(run.events for run in ordered)
    spans = [run.span for run in ordered if run.span is not None]
    # From the first piece's start to the last one's end: side by side that is the slowest piece, one after another
    # their sum (epoch seconds, as the pieces may have run in other processes).
    ran = (
        max(end for _, end in spans) - min(start for start, _ in spans)
        if len(spans) == len(ordered)
        else max(run.wall_seconds for run in ordered)
    )
    failing = next((run for run in ordered if run.error is not None), None)
    if failing is not None:
        error = PlatformError(failing.operation or "?", failing.error or "", hint=failing.hint)
        return RunResult(scenario, run_seed, size, sim, [], ran + time.perf_counter() - started, events, error)
    verdicts = combine([run.verdicts or () for run in ordered], cited)
    return RunResult(scenario, run_seed, size, sim, verdicts, ran + time.perf_counter() - started, events)


def _cited(verdicts: Sequence[Verdict]) -> set[int]:
    return {seq for verdict in verdicts for violation in verdict.violations for seq in violation.chain}


def combine(judged: Sequence[Sequence[Verdict]], seqs: Sequence[Mapping[int, int]]) -> list[Verdict]:
    """One verdict per invariant from each shard's (``judged``, in shard order): what each judged added up, their
    violations put together — each chain renumbered by ``seqs`` (the shard's seq → the merged journal's,
    :meth:`~simulator.journal.Journal.merge`; a seq without one left out) and ordered by it, the order in which one
    pass over the whole journal finds them for most invariants (not all: a report that shows the first few may
    show others) — and the outcome these make (:meth:`Verdict.of`)."""
    combined = []
    for same in zip(*judged, strict=True):
        first = same[0]
        violations = [
            replace(violation, chain=tuple(sorted({renumber[seq] for seq in violation.chain if renumber.get(seq)})))
            for verdict, renumber in zip(same, seqs, strict=True)
            for violation in verdict.violations
        ]
        violations.sort(key=lambda violation: violation.chain)  # by story, as most oracles find them in one pass
        checked = sum(verdict.checked for verdict in same)
        combined.append(Verdict.of(first.invariant, first.key, checked, violations, first.judges))
    return combined
