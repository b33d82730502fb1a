"""``--seeds``, ``--workers`` and ``--cluster``: many runs at once, on local processes or a Dask cluster, with one
combined report.

``lendsim run`` with ``--workers 1`` (the default) and no ``--cluster`` runs in this process, one run after
another, as it always did. Otherwise each scenario × seed × platform is a task (``simulator.run._pool``): it runs
in a worker and comes back as a summary; the console shows each run's summary in the order ``--workers 1`` would
(as soon as it and the runs before it are done), then the side-by-side tables, the summary across runs, the JSON
reports, the JUnit file and the HTML report — the same files, written here.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, Final, TypeVar

import click

from simulator.cli._options import MAX_SEED
from simulator.errors import Interrupted
from simulator.report import keep_journal, render_html, view_of_journal
from simulator.run._platforms import over_http
from simulator.run._pool import ClusterError, RunSummary, RunTask, executor, failed, run_tasks
from simulator.run._reports import Interruption, Reported, junit_xml, matrix, report_path, summary
from simulator.run._shards import DEFAULT_WINDOW, run_sharded
from simulator.scenario import DEFAULT_BORROWERS, Scenario

__all__ = [
    "MAX_SEEDS",
    "Outputs",
    "check_shards",
    "cluster_option",
    "parse_seeds",
    "pool",
    "run_parallel",
    "shards_option",
    "window_option",
    "windowed",
    "workers_option",
]

F = TypeVar("F", bound=Callable[..., Any])

#: The most seeds one command takes: each is a run per scenario and platform.
MAX_SEEDS: Final = 10_000
_RANGE: Final = re.compile(r"^(\d+)\s*\.\.\s*(\d+)$")


def parse_seeds(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[int, ...] | None:
    """``--seeds``: ``1..20`` (both ends included), ``1,5,9``, a single seed, or a mix (``1..5,9``); each a whole
    number from 0 to ``MAX_SEED``, no more than :data:`MAX_SEEDS` of them, each once."""
    if value is None:
        return None
    seeds: list[int] = []
    for part in value.split(","):
        text = part.strip()
        bounds = _RANGE.match(text)
        if bounds is not None:
            first, last = (_seed(bound, value) for bound in bounds.groups())
            if first > last:
                raise click.BadParameter(f"{text!r} runs backwards; write the smaller seed first: {last}..{first}")
            if last - first + 1 + len(seeds) > MAX_SEEDS:
                raise click.BadParameter(f"{value!r} is more than {MAX_SEEDS:,} seeds; give a shorter range")
            seeds.extend(range(first, last + 1))
        elif text.isdigit():
            seeds.append(_seed(text, value))
        else:
            shown = text if len(text) <= 30 else f"{text[:27]}…"
            raise click.BadParameter(
                f"{shown!r} is not a seed or a range of seeds; write a range such as 1..20, a list such as 1,5,9, "
                "or one seed such as 7"
            )
    if len(seeds) > MAX_SEEDS:
        raise click.BadParameter(f"{value!r} is more than {MAX_SEEDS:,} seeds; give fewer")
    return tuple(dict.fromkeys(seeds))


def _seed(text: str, whole: str) -> int:
    if len(text) > len(str(MAX_SEED)) or int(text) > MAX_SEED:
        shown = text if len(text) <= 30 else f"{text[:12]}…{text[-6:]} ({len(text):,} digits)"
        raise click.BadParameter(
            f"{shown!r} in {whole[:40]!r} is not a seed: seeds are whole numbers from 0 to {MAX_SEED:,}"
        )
    return int(text)


def _cluster(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    address = value.strip()
    if not re.match(r"^[a-z][a-z0-9+.-]*://[^\s/]+", address):
        raise click.BadParameter(
            f"{value!r} is not a scheduler address; give the address `dask scheduler` prints, such as "
            "tcp://scheduler-host:8786"
        )
    return address


def workers_option(what: str) -> Callable[[F], F]:
    return click.option(
        "--workers",
        type=click.IntRange(min=1),
        default=1,
        show_default=True,
        help=f"How many local processes run {what} at once; 1 runs them here, one after another.",
    )


cluster_option = click.option(
    "--cluster",
    metavar="ADDRESS",
    callback=_cluster,
    default=None,
    help="Run on the Dask cluster whose scheduler is at ADDRESS (tcp://host:8786): pip install 'lendsim[cluster]', "
    "and the same lendsim and platform package on every worker (docs/cluster.md).",
)


def _shards(ctx: click.Context, param: click.Parameter, value: int | None) -> int:
    if value is None:
        return 1
    if value < 1:
        raise click.BadParameter(
            f"{value} is not a number of shards; give 1 (the whole run in one process, the default) or more, up to "
            "the number of borrowers, such as --shards 2"
        )
    return value


shards_option = click.option(
    "--shards",
    type=int,
    metavar="N",
    callback=_shards,
    default=None,
    help="Split each run's borrowers into N shards, each run in a process of its own (an engine, partners and "
    "in-process platform each) — on N local processes, or on --workers / --cluster — then merge their journals and "
    "judge once: the same verdicts as one process. Not with a platform over HTTP (docs/cluster.md).",
)


def _window(ctx: click.Context, param: click.Parameter, value: int | None) -> int:
    if value is None:
        return DEFAULT_WINDOW
    if value < 1:
        raise click.BadParameter(
            f"{value} is not a number of borrowers; give how many borrowers one process holds at once, 1 or more, "
            f"such as --window {DEFAULT_WINDOW} (the default)"
        )
    return value


window_option = click.option(
    "--window",
    type=int,
    metavar="N",
    callback=_window,
    default=None,
    help=f"Hold the world of N borrowers at most in one process (default {DEFAULT_WINDOW:,}): a run of more is made "
    "in pieces of N or fewer, one after another (or spread over --shards), each judged where it ran, their "
    "journals merged and their verdicts put together; memory stays bounded whatever --borrowers says. A run of N "
    "or fewer is made whole, as ever. Not for a platform over HTTP, which is never split (docs/cluster.md).",
)


def windowed(scenarios: Sequence[Scenario], platforms: Sequence[str], borrowers: int | None, window: int) -> bool:
    """Whether a run among these is bigger than ``window`` borrowers against an in-process platform (made in
    pieces)."""
    if all(over_http(platform) for platform in platforms):
        return False
    return any(_size(scenario, borrowers) > window for scenario in scenarios)


def _size(scenario: Scenario, borrowers: int | None) -> int:
    return borrowers if borrowers is not None else int(scenario.population.get("borrowers", DEFAULT_BORROWERS))


def check_shards(shards: int, platforms: Sequence[str], scenarios: Sequence[Scenario], borrowers: int | None) -> None:
    """Refuse (``click.BadParameter``) ``--shards`` with a platform over HTTP, or more shards than a run has
    borrowers, before anything runs."""
    if shards == 1:
        return
    for platform in platforms:
        if over_http(platform):
            raise click.BadParameter(
                f"cannot split the borrowers of a run against {platform} into {shards} shards: a platform over HTTP "
                "is one running instance, which every shard's set-up would reset; run it without --shards (or "
                "start one platform per shard and run each with --borrowers), or give an in-process platform "
                "(module:factory, naive, resilient)",
                param_hint="--shards",
            )
    for scenario in scenarios:
        size = _size(scenario, borrowers)
        if shards > size:
            raise click.BadParameter(
                f"{shards} shards for the {size} borrower{'s' if size != 1 else ''} of {scenario.name}: each shard "
                f"needs one at least; give --shards {size} or fewer, or more --borrowers",
                param_hint="--shards",
            )


@contextmanager
def pool(workers: int, cluster: str | None) -> Iterator[Executor]:
    """The executor for ``--workers`` / ``--cluster``; one clear line and exit 2 if the cluster cannot be used."""
    if cluster is not None and workers != 1:
        raise click.BadParameter(
            "give --workers or --cluster, not both: on a cluster its workers run the tasks (start them with "
            "`dask worker ADDRESS --nworkers N`)",
            param_hint="--workers",
        )
    try:
        with executor(workers, cluster) as running:
            yield running
    except ClusterError as exc:
        raise click.BadParameter(str(exc), param_hint="--cluster") from None


@dataclass(frozen=True, slots=True)
class Outputs:
    """How ``lendsim run`` writes a file (one line and exit 2 when it cannot), names a kept journal, and reports an
    interruption: ``simulator.cli._run``'s own, handed in (this module is imported by it)."""

    write: Callable[[Callable[[], Any], Path, str], Any]
    journal_path: Callable[[Reported, Path], Path]
    interrupted: Callable[[Sequence[Reported], Interruption, Path | None], None]


def run_parallel(
    scenarios: Sequence[Scenario],
    platforms: Sequence[str],
    seeds: Sequence[int | None],
    *,
    workers: int,
    cluster: str | None,
    borrowers: int | None,
    report_dir: Path | None,
    junit: Path | None,
    html: Path | None,
    journal: Path | None,
    client_timeout: timedelta | None,
    concurrency: int,
    outputs: Outputs,
    shards: int = 1,
    window: int = DEFAULT_WINDOW,
) -> list[RunSummary]:
    """Every scenario × seed × platform on the pool, reported as ``run_many`` reports runs made here (with its
    ``outputs``). ``shards``: each run split into that many borrower shards, its own task each, merged and judged
    here (``simulator.run._shards``); ``window``: a run of more borrowers is made in pieces of that many at most,
    the same way. ``workers`` 1 and no cluster: the tasks run here, one after another."""
    write, journal_path = outputs.write, outputs.journal_path
    platforms = list(dict.fromkeys(platforms))
    keep = keep_journal if (html is not None or report_dir is not None or journal is not None) else None
    several = len(scenarios) * len(seeds) * len(platforms) > 1
    in_pieces = shards > 1 or windowed(scenarios, platforms, borrowers, window)
    runs: list[RunSummary] = []
    kept: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="lendsim-runs-") as scratch, pool(workers, cluster) as running:
        tasks = [
            RunTask(
                scenario,
                platform,
                seed=seed,
                borrowers=borrowers,
                client_timeout=client_timeout,
                concurrency=concurrency,
                report_dir=None if report_dir is None else str(report_dir),
                keep=keep,
            )
            for scenario in scenarios
            for seed in seeds
            for platform in platforms
        ]
        if keep is not None and in_pieces:  # merged here: each run's journal is made where it is kept
            tasks = [
                replace(task, journal_to=str(_kept_at(task, number, journal, several, Path(scratch), journal_path)))
                for number, task in enumerate(tasks)
            ]
        where = f"{workers} local processes" if workers > 1 else "this process, one after another"
        where = f"the Dask cluster at {cluster}" if cluster is not None else where
        split = f" in {shards} shards each" if shards > 1 else ""
        if in_pieces and windowed(scenarios, platforms, borrowers, window):
            split += f" (pieces of {window:,} borrowers at most)"
        click.echo(f"{len(tasks)} run{'s' if len(tasks) != 1 else ''}{split} on {where}", err=True)
        summaries = (
            run_sharded(running, tasks, shards, window=window, shared=cluster is None)
            if in_pieces
            else run_tasks(running, tasks)
        )
        try:
            for index, run in enumerate(summaries):
                if run.failure is not None:
                    click.secho(f"error: {run.failure}", fg="red", err=True)
                    sys.exit(2)
                runs.append(run)
                _report(run, report_dir, write)
                if run.journal_file is not None:
                    kept.append(Path(run.journal_file))
                    if journal is not None:
                        shown = run.journal_file
                        click.echo(f"  journal: {shown} (lendsim report {shown} --html FILE renders its report)")
                elif run.journal is not None:
                    path = Path(scratch) / f"{len(kept)}.sqlite"
                    if journal is not None:
                        path = journal_path(run, journal) if several else journal
                    write(partial(path.write_bytes, run.journal), path, "--journal")
                    kept.append(path)
                    if journal is not None:
                        click.echo(f"  journal: {path} (lendsim report {path} --html FILE renders its report)")
                if len(platforms) > 1 and (index + 1) % len(platforms) == 0:  # a scenario and seed on each platform
                    these = runs[-len(platforms) :]
                    seed = f" (seed {run.seed})" if len(seeds) > 1 else ""
                    click.echo(f"\n{run.scenario.name}{seed}, side by side:\n{matrix(these)}")
        except Interrupted as stop:
            summaries.close()
            stopped = tasks[len(runs)]
            outputs.interrupted(runs, Interruption(stopped.scenario, stopped.platform, stop.name), junit)
            raise
        if len(runs) > 1:
            click.echo(f"\n{summary(runs)}")
        if junit is not None:
            write(lambda: junit_xml(runs, junit), junit, "--junit")
            click.echo(f"junit: {junit}")
        pages = [path for path in (html, None if report_dir is None else report_dir / "report.html") if path]
        if pages:
            views = [view_of_journal(path) for path in kept]
            try:
                page = render_html(views)
            finally:
                for view in views:
                    view.journal.close()
            for path in pages:
                write(partial(path.write_text, page, encoding="utf-8"), path, "--html")
                click.echo(f"html report: {path}")
    return runs


def _kept_at(
    task: RunTask,
    number: int,
    journal: Path | None,
    several: bool,
    scratch: Path,
    journal_path: Callable[[Reported, Path], Path],
) -> Path:
    """Where the journal of ``task`` (the ``number``-th run) is kept: ``--journal``'s file (several runs: one each,
    named after the run), else a file in ``scratch`` for the HTML report."""
    if journal is None:
        return scratch / f"merged-{number}.sqlite"
    return journal_path(failed(task, ""), journal) if several else journal


def _report(run: RunSummary, report_dir: Path | None, write: Callable[..., Any]) -> None:
    """The run's JSON report (rendered by its worker) written where ``--report-dir`` says, and its console text."""
    report = None
    if report_dir is not None and run.report is not None:
        report = report_path(run, report_dir)
        text = json.dumps(run.report, ensure_ascii=False, indent=2)
        report_dir.mkdir(parents=True, exist_ok=True)
        write(partial(report.write_text, text, encoding="utf-8"), report_dir, "--report-dir")
    click.echo(run.console)
    if report is not None:
        click.echo(f"  report: {report}")
