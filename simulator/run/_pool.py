"""Runs in other processes, or on other machines: each scenario × seed × platform is a task submitted to a
``concurrent.futures`` executor — a :class:`~concurrent.futures.ProcessPoolExecutor` (``--workers N``) or the
executor of a Dask cluster's client (``--cluster tcp://…``) — and comes back as a compact, picklable
:class:`RunSummary`. No scheduler of our own: the executor decides where and when a task runs.

What travels is what a task needs where it runs: the checked scenario (plain data), the platform's *name* (a URL,
``module:factory``, ``naive``/``resilient``; the worker makes its driver from it, so the platform's package must be
installed where the worker runs) and the run's options. What comes back is what the reports need: the verdicts (with
their violations), the counts, the console text and the JSON report (both need the journal, so the worker renders
them), and — when asked — the run's journal as bytes of a SQLite file, which is how the HTML report and ``--journal``
get a run that happened elsewhere.

A platform over HTTP is one running instance that ``setupRun`` resets for every run, so the runs against one URL
go one after another, in one task (a *lane*), while the lanes run side by side. A run split into borrower shards
(``--shards``) is one task per shard on the same executor, merged and judged by the caller
(``simulator.run._shards``).
"""

from __future__ import annotations

import multiprocessing
import signal
import tempfile
from collections import Counter
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, Final, TypeVar

from simulator.errors import LendsimError
from simulator.oracles import Verdict
from simulator.run._instants import DEFAULT_CONCURRENCY
from simulator.run._platforms import driver_maker, over_http
from simulator.run._reports import (
    SHOWN_PER_INVARIANT,
    PlatformRun,
    console_summary,
    json_report,
    report_path,
)
from simulator.run._runner import EXIT_CODES, RunResult, Status, run_scenario
from simulator.run._timeouts import DEFAULT_CLIENT_TIMEOUT
from simulator.scenario import Scenario

__all__ = [
    "CLUSTER_EXTRA",
    "ClusterError",
    "Here",
    "JournalKeeper",
    "RunSummary",
    "RunTask",
    "entry_counts",
    "executor",
    "failed",
    "run_lane",
    "run_task",
    "run_tasks",
    "summarize",
]

_T = TypeVar("_T")

#: How to install what ``--cluster`` needs.
CLUSTER_EXTRA: Final = "pip install 'lendsim[cluster]'"
#: How long to wait for a Dask scheduler to answer before saying it cannot be reached.
_CONNECT_SECONDS: Final = 10

#: What keeps a run's journal as a file (``simulator.report.keep_journal``, passed in by the command: the runner
#: does not import the report layer); a module-level function, so it pickles by name.
JournalKeeper = Callable[[RunResult, str, Path], Path]


class ClusterError(LendsimError):
    """The cluster engine cannot be used: ``distributed`` is not installed, or the scheduler cannot be reached."""


@dataclass(frozen=True, slots=True)
class RunTask:
    """One run to make anywhere: a scenario against a platform (by name), with the options of ``lendsim run``.

    ``report_dir``: where the caller will write the JSON report (the worker renders it and names it in the
    console text). ``keep``: when set, the worker keeps the run's journal with it and ships the file's bytes back —
    but a run whose journal is made in the caller's process (a run in pieces, merged there) has it made at
    ``journal_to`` and kept in place: no bytes travel."""

    scenario: Scenario
    platform: str
    seed: int | None = None
    borrowers: int | None = None
    client_timeout: timedelta | None = DEFAULT_CLIENT_TIMEOUT
    concurrency: int = DEFAULT_CONCURRENCY
    shown: int = SHOWN_PER_INVARIANT
    report_dir: str | None = None
    keep: JournalKeeper | None = None
    journal_to: str | None = None


@dataclass(frozen=True, slots=True)
class RunSummary:
    """A finished run, compact and picklable: what every report across runs reads (``lendsim run``'s summary,
    side-by-side table, JUnit, exit code) and what only the worker could render (``console``, ``report``).

    ``failure``: the run could not be made at all (bad input found only where it ran — a platform that does not
    import there, a scenario the runner refuses): no verdict, and ``lendsim run`` exits 2. ``entries``: the
    journal's entries counted by kind, partner and operation (``"request bank.repayApply"``). A kept journal is
    ``journal`` (the bytes of its file) or, for a run merged in the caller's process, ``journal_file`` (where it
    is)."""

    scenario: Scenario
    platform: str
    seed: int
    borrowers: int
    status: Status
    events: int
    wall_seconds: float
    verdicts: tuple[Verdict, ...]
    error: str | None = None
    entries: Mapping[str, int] = field(default_factory=dict)
    console: str = ""
    report: Mapping[str, Any] | None = None
    journal: bytes | None = None
    failure: str | None = None
    journal_file: str | None = None

    @property
    def result(self) -> RunSummary:
        """The summary itself: a summary is reported as a ``PlatformRun`` is (``platform`` and ``result``)."""
        return self

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def exit_code(self) -> int:
        return 2 if self.failure is not None else EXIT_CODES[self.status]


def entry_counts(result: RunResult) -> dict[str, int]:
    """The run's journal entries counted by kind, partner and operation: two runs that did the same have the same."""
    counts: Counter[str] = Counter()
    for (kind, partner, operation), count in result.sim.journal.tally().items():
        counts[f"{kind} {partner}.{operation}"] += count
    return dict(sorted(counts.items()))


def summarize(task: RunTask, result: RunResult) -> RunSummary:
    """What of ``result`` goes back to the caller of ``task``."""
    run = PlatformRun(task.platform, result)
    report_dir = None if task.report_dir is None else Path(task.report_dir)
    report_file = None if report_dir is None else report_path(run, report_dir)
    in_place = task.keep is not None and task.journal_to is not None and result.sim.journal.path == task.journal_to
    if in_place:
        assert task.keep is not None and task.journal_to is not None
        task.keep(result, task.platform, Path(task.journal_to))
    return RunSummary(
        scenario=result.scenario,
        platform=task.platform,
        seed=result.seed,
        borrowers=result.borrowers,
        status=result.status,
        events=result.events,
        wall_seconds=result.wall_seconds,
        verdicts=tuple(result.verdicts),
        error=None if result.error is None else str(result.error),
        entries=entry_counts(result),
        console=console_summary(result, task.platform, report=report_file, shown=task.shown),
        report=None if report_dir is None else json_report(result, task.platform),
        journal=None if task.keep is None or in_place else _journal_bytes(task.keep, result, task.platform),
        journal_file=task.journal_to if in_place else None,
    )


def run_task(task: RunTask) -> RunSummary:
    """Make the run ``task`` describes, here, and summarize it (a :class:`~simulator.errors.LendsimError` becomes
    the summary's ``failure``: exceptions do not always survive the trip back)."""
    try:
        make = driver_maker(task.platform, client_timeout=task.client_timeout)
        result = run_scenario(
            task.scenario, make(), seed=task.seed, borrowers=task.borrowers, concurrency=task.concurrency
        )
        return summarize(task, result)
    except LendsimError as exc:
        return failed(task, str(exc))


def failed(task: RunTask, failure: str) -> RunSummary:
    """The summary of ``task`` when it could not be made at all (``failure`` says why): no verdict, exit 2."""
    return RunSummary(
        scenario=task.scenario,
        platform=task.platform,
        seed=task.scenario.seed if task.seed is None else task.seed,
        borrowers=task.borrowers or 0,
        status="error",
        events=0,
        wall_seconds=0.0,
        verdicts=(),
        failure=failure,
    )


def run_lane(tasks: Sequence[RunTask]) -> list[RunSummary]:
    """Several runs one after another (against one platform over HTTP, which each run's set-up resets)."""
    return [run_task(task) for task in tasks]


def _journal_bytes(keep: JournalKeeper, result: RunResult, platform: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="lendsim-journal-") as folder:
        return keep(result, platform, Path(folder) / "run.sqlite").read_bytes()


def _lanes(tasks: Sequence[RunTask]) -> list[list[int]]:
    """The tasks (by index) in lanes: each in-process run a lane of its own, the runs against one URL one lane."""
    lanes: list[list[int]] = []
    by_url: dict[str, list[int]] = {}
    for index, task in enumerate(tasks):
        if over_http(task.platform):
            lane = by_url.get(task.platform)
            if lane is None:
                lane = by_url[task.platform] = []
                lanes.append(lane)
            lane.append(index)
        else:
            lanes.append([index])
    return lanes


def run_tasks(pool: Executor, tasks: Sequence[RunTask]) -> Generator[RunSummary, None, None]:
    """Submit every task to ``pool`` and yield the summaries in the order of ``tasks``, each as soon as it and
    those before it are done. Closing the iterator early (an interruption) cancels what has not started."""
    by_lane = _lanes(tasks)
    futures: list[Future[list[RunSummary]]] = [
        pool.submit(run_lane, [tasks[index] for index in lane]) for lane in by_lane
    ]
    where = {index: (number, position) for number, lane in enumerate(by_lane) for position, index in enumerate(lane)}
    try:
        for index in range(len(tasks)):
            number, position = where[index]
            yield futures[number].result()[position]
    finally:
        for future in futures:
            future.cancel()


class _Deferred(Future[_T]):
    """A task of :class:`Here`: run in the caller's process when its result is first asked for."""

    def __init__(self, call: Callable[[], _T]) -> None:
        super().__init__()
        self._call: Callable[[], _T] | None = call

    def result(self, timeout: float | None = None) -> _T:
        self._run()
        return super().result(timeout)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        self._run()
        return super().exception(timeout)

    def _run(self) -> None:
        call, self._call = self._call, None
        if call is not None and self.set_running_or_notify_cancel():
            try:
                outcome = call()
            except Exception as exc:  # kept for result(), as a pool keeps it; an interruption goes up at once
                self.set_exception(exc)
            else:
                self.set_result(outcome)


class Here(Executor):
    """The executor of ``--workers 1``: each task runs in this process, one after another, when its result is
    asked for (a run's pieces in order, each one's world gone before the next is built)."""

    def submit(self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> Future[_T]:
        return _Deferred(partial(fn, *args, **kwargs))


@contextmanager
def executor(workers: int, cluster: str | None = None) -> Iterator[Executor]:
    """Where tasks run: ``workers`` local processes (spawned: a fresh interpreter each, nothing inherited; 1: this
    process, :class:`Here`), or the
    Dask cluster whose scheduler is at ``cluster`` (``tcp://host:8786``; :class:`ClusterError` if ``distributed``
    is not installed or the scheduler does not answer)."""
    if cluster is not None:
        with _dask_executor(cluster) as pool:
            yield pool
        return
    if workers == 1:
        yield Here()
        return
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_ignore_interrupts
    )
    try:
        yield pool
    except BaseException:
        _terminate(pool)
        # not waited for: the workers are stopped, and a signal that landed while submit was starting the pool's
        # manager thread leaves a thread that cannot be joined yet ("cannot join thread before it is started")
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True, cancel_futures=True)


def _ignore_interrupts() -> None:
    """In a worker: Ctrl-C reaches the whole process group, and it is the parent that stops the work."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Stop the pool's worker processes now (an interruption): a run under way is not waited for."""
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        process.terminate()


@contextmanager
def _dask_executor(address: str) -> Iterator[Executor]:
    try:
        import distributed
    except ImportError:
        raise ClusterError(f"the cluster engine, Dask distributed, is not installed: {CLUSTER_EXTRA}") from None
    try:
        connect: Any = distributed.Client  # untyped
        client = connect(address, timeout=_CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(
            f"cannot reach the Dask scheduler at {address} ({exc}); start one with `dask scheduler` and give its "
            "address, such as tcp://scheduler-host:8786 (docs/cluster.md)"
        ) from None
    try:
        with client.get_executor(pure=False) as pool:
            yield pool
    finally:
        client.close()
