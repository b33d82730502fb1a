"""``lendsim run``: replay scenarios against one platform or several, and judge each run.

Exit codes: 0 every run passed (each expected invariant exercised and held); 1 an invariant violated or not
exercised; 2 bad input (a scenario, an option, an output path that cannot be written) or a run that ended in
error (the platform failed a call of the harness). When runs end differently the highest code wins: an error
says more about a CI job than a verdict does.

Stopped by SIGINT or SIGTERM, the run under way is not judged and writes no report: the process ends by the
signal (130, 143: ``simulator/cli/_stop.py``); the runs finished before it keep their reports, and the JUnit file
(if asked for) lists them with the interrupted run as an error, never as a pass.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import click

from simulator._resources import bundled_scenario
from simulator.cli._options import MAX_SEED, client_timeout_option, parse_seed
from simulator.cli._parallel import (
    Outputs,
    check_shards,
    cluster_option,
    parse_seeds,
    run_parallel,
    shards_option,
    window_option,
    windowed,
    workers_option,
)
from simulator.clock import format_duration
from simulator.errors import ConfigError, Interrupted, LendsimError
from simulator.journal import Journal
from simulator.report import (
    Stopped,
    fresh_journal,
    keep_journal,
    keep_stopped,
    render_html,
    view_of_run,
    view_of_stopped,
)
from simulator.run import (
    DEFAULT_CLIENT_TIMEOUT,
    DEFAULT_CONCURRENCY,
    PlatformDriver,
    run_scenario,
)
from simulator.run._platforms import driver_maker
from simulator.run._reports import (
    SHOWN_PER_INVARIANT,
    Interruption,
    PlatformRun,
    Reported,
    console_summary,
    exit_code,
    junit_xml,
    matrix,
    platform_slug,
    summary,
    write_json,
)
from simulator.scenario import Scenario, ScenarioError, load_scenario

__all__ = [
    "MAX_SEED",
    "journal_path",
    "make_driver",
    "platform_maker",
    "run_command",
    "run_many",
    "writable_file",
    "writable_folder",
]


def make_driver(platform: str, *, client_timeout: timedelta | None = DEFAULT_CLIENT_TIMEOUT) -> PlatformDriver:
    """A driver for ``platform``: a URL (HTTP), ``module:factory`` (in-process), or ``naive`` / ``resilient``."""
    return platform_maker(platform, client_timeout=client_timeout)()


def platform_maker(
    platform: str, *, client_timeout: timedelta | None = DEFAULT_CLIENT_TIMEOUT
) -> Callable[[], PlatformDriver]:
    """What makes a fresh driver for ``platform`` for each run; ``click.BadParameter`` if it names nothing.

    ``client_timeout``: over HTTP, how long the platform's client waits for a partner it declares no timeout for."""
    try:
        return driver_maker(platform, client_timeout=client_timeout)
    except ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="--platform") from None


def check_writable(
    report_dir: Path | None, junit: Path | None, html: Path | None = None, journal: Path | None = None
) -> None:
    """Refuse, before anything runs, an output path that cannot be written (``click.BadParameter``)."""
    if report_dir is not None:
        writable_folder(report_dir, "--report-dir", "a folder the reports can be written to")
    for path, option, example in (
        (junit, "--junit", "reports/junit.xml"),
        (html, "--html", "reports/report.html"),
        (journal, "--journal", "reports/run.sqlite"),
    ):
        if path is not None:
            writable_file(path, option, example)


def writable_file(path: Path, option: str, example: str) -> None:
    """Refuse (``click.BadParameter``) a file path that is a folder, or in a folder that cannot be written."""
    if path.is_dir():
        raise click.BadParameter(f"{str(path)!r} is a folder; give a file such as {example}", param_hint=option)
    writable_folder(path.parent, option, f"a file in a folder you can write to, such as {example}")
    if path.exists() and not os.access(path, os.W_OK):
        raise click.BadParameter(f"{str(path)!r} exists and cannot be overwritten", param_hint=option)


def writable_folder(folder: Path, option: str, what: str) -> None:
    blocker = next((part for part in (folder, *folder.parents) if part.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise click.BadParameter(
            f"cannot write to {str(folder)!r}: {str(blocker)!r} is a file, not a folder; give {what}", param_hint=option
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise click.BadParameter(
            f"cannot write to {str(folder)!r} ({exc.strerror or type(exc).__name__}); give {what}", param_hint=option
        ) from None


def load_scenarios(arguments: Sequence[Path]) -> list[Scenario]:
    """The scenarios named (files, or catalog names); every problem echoed, then exit 2."""
    loaded = []
    for path in arguments:
        try:
            if not path.exists() and path.suffix == "" and len(path.parts) == 1:
                path = bundled_scenario(path.name)  # a catalog name
            scenario = load_scenario(str(path))
            for warning in scenario.warnings:  # it runs, but lint says it cannot mean all it says
                click.echo(str(warning), err=True)
            loaded.append(scenario)
        except ScenarioError as exc:
            for finding in exc.findings:
                click.echo(str(finding), err=True)
            sys.exit(2)
        except LendsimError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
    return loaded


def run_many(
    scenarios: Sequence[Scenario],
    platforms: Sequence[str],
    *,
    seed: int | None = None,
    borrowers: int | None = None,
    report_dir: Path | None = None,
    junit: Path | None = None,
    shown: int = SHOWN_PER_INVARIANT,
    client_timeout: timedelta | None = DEFAULT_CLIENT_TIMEOUT,
    concurrency: int = DEFAULT_CONCURRENCY,
    html: Path | None = None,
    journal: Path | None = None,
    seeds: Sequence[int] | None = None,
) -> list[PlatformRun]:
    """Each scenario against each platform, in that order, echoing each run, a side-by-side table per scenario
    run against several platforms, and a summary across them all; then the JUnit file and the HTML report (at
    ``html``, and as report.html in ``report_dir``). ``journal``: keep each run's journal there (several runs:
    one file each, named after the run). ``seeds``: run each scenario with each of these seeds (instead of
    ``seed``). Bad platforms or output paths are refused (``click.BadParameter``) before anything runs."""
    makers = {
        platform: platform_maker(platform, client_timeout=client_timeout) for platform in dict.fromkeys(platforms)
    }
    check_writable(report_dir, junit, html, journal)
    each_seed: Sequence[int | None] = [seed] if seeds is None else seeds
    several = len(scenarios) * len(each_seed) * len(makers) > 1
    pages = [path for path in (html, None if report_dir is None else report_dir / "report.html") if path is not None]
    runs: list[PlatformRun] = []
    for scenario, seed in ((scenario, seed) for scenario in scenarios for seed in each_seed):
        these = []
        for platform in makers:
            kept = None
            if journal is not None:
                kept = _journal_file(scenario, platform, seed, journal) if several else journal
            # the run journals straight into the kept file, each entry stamped with the wall clock
            run_journal = (
                fresh_journal(None, time.time)
                if kept is None
                else _write(partial(fresh_journal, kept, time.time), kept, "--journal")
            )
            started = time.perf_counter()
            try:
                run = _one(
                    scenario, platform, makers[platform], seed, borrowers, report_dir, shown, concurrency, run_journal
                )
                these.append(run)
                if kept is not None:
                    _write(partial(keep_journal, run.result, run.platform, kept), kept, "--journal")
                    click.echo(f"  journal: {kept} (lendsim report {kept} --html FILE renders its report)")
            except Interrupted as stop:
                stopped = Stopped(scenario, platform, seed, borrowers, stop.name, time.perf_counter() - started)
                finished = [*runs, *these]
                _interrupted(finished, Interruption(scenario, platform, stop.name), junit)
                _keep_stopped(finished, run_journal, stopped, kept, pages)
                raise
        runs.extend(these)
        if len(these) > 1:
            of_seed = f" (seed {seed})" if len(each_seed) > 1 else ""
            click.echo(f"\n{scenario.name}{of_seed}, side by side:\n{matrix(these)}")
    if len(runs) > 1:
        click.echo(f"\n{summary(runs)}")
    if junit is not None:
        _write(lambda: junit_xml(runs, junit), junit, "--junit")
        click.echo(f"junit: {junit}")
    if pages:
        page = render_html([view_of_run(run.result, run.platform) for run in runs])
        for path in pages:
            _write(partial(path.write_text, page, encoding="utf-8"), path, "--html")
            click.echo(f"html report: {path}")
    return runs


def journal_path(run: Reported, journal: Path) -> Path:
    """Where the journal of ``run`` goes when ``--journal FILE`` keeps several: FILE's name, then the run's."""
    return _journal_file(run.result.scenario, run.platform, run.result.seed, journal)


def _journal_file(scenario: Scenario, platform: str, seed: int | None, journal: Path) -> Path:
    suffix = journal.suffix or ".sqlite"
    run_name = f"{scenario.name}-{platform_slug(platform)}-{scenario.seed if seed is None else seed}"
    return journal.with_name(f"{journal.stem}-{run_name}{suffix}")


def _keep_stopped(
    finished: Sequence[PlatformRun], journal: Journal, stopped: Stopped, kept: Path | None, pages: Sequence[Path]
) -> None:
    """What a run a signal stopped had done: its journal kept (``runRecorded``: interrupted, and when), and the
    HTML report with the runs finished before it and this one marked incomplete (the process ends next)."""
    try:
        if kept is not None:
            _write(partial(keep_stopped, journal, stopped), kept, "--journal")
            click.echo(f"journal: {kept} (incomplete: lendsim report {kept} --html FILE renders what the run did)")
        if pages:
            views = [*(view_of_run(run.result, run.platform) for run in finished), view_of_stopped(journal, stopped)]
            page = render_html(views)
            for path in pages:
                _write(partial(path.write_text, page, encoding="utf-8"), path, "--html")
                click.echo(f"html report: {path} (the stopped run marked incomplete)")
    except LendsimError as exc:
        click.secho(f"error: cannot keep what the stopped run did: {exc}", fg="red", err=True)


def _interrupted(finished: Sequence[Reported], stopped: Interruption, junit: Path | None) -> None:
    """Say which run a signal stopped, and write the JUnit file with it as an error (the process ends next)."""
    click.secho(
        f"\ninterrupted by {stopped.signal}: {stopped.scenario.name} [{stopped.platform}] was not judged and has no "
        "report",
        fg="red",
        err=True,
    )
    if finished:
        click.echo(f"\n{summary(finished)}")
    if junit is not None:
        _write(lambda: junit_xml(finished, junit, interrupted=stopped), junit, "--junit")
        click.echo(f"junit: {junit} (the interrupted run as an error)")


def _one(
    scenario: Scenario,
    platform: str,
    maker: Callable[[], PlatformDriver],
    seed: int | None,
    borrowers: int | None,
    report_dir: Path | None,
    shown: int,
    concurrency: int,
    journal: Journal,
) -> PlatformRun:
    with click.progressbar(length=100, label=f"{scenario.name} [{platform}]", file=sys.stderr) as bar:
        done = [0]

        def advance(fraction: float) -> None:
            step = int(fraction * 100) - done[0]
            bar.update(step)
            done[0] += step

        try:
            result = run_scenario(
                scenario,
                maker(),
                seed=seed,
                borrowers=borrowers,
                progress=advance,
                concurrency=concurrency,
                journal=journal,
            )
        except LendsimError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(2)
    run = PlatformRun(platform, result)
    report = None
    if report_dir is not None:
        report = _write(lambda: write_json(run, report_dir), report_dir, "--report-dir")
    click.echo(console_summary(result, platform, report=report, shown=shown))
    if report is not None:
        click.echo(f"  report: {report}")
    return run


def _write(write: Callable[[], Any], where: Path, option: str) -> Any:
    try:
        return write()
    except OSError as exc:
        click.secho(f"error: {option} {where}: cannot write ({exc.strerror or exc})", fg="red", err=True)
        sys.exit(2)


@click.command("run")
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--platform",
    "platforms",
    required=True,
    multiple=True,
    help="URL of a platform implementing contracts/platform.yaml, module:factory for an in-process one, or "
    "naive / resilient (the reference platforms). Repeat it to run each scenario against each platform.",
)
@click.option(
    "--seed",
    metavar="INTEGER",
    callback=parse_seed,
    default=None,
    help=f"Override the scenario's seed (0 to {MAX_SEED}).",
)
@click.option(
    "--seeds",
    metavar="SEEDS",
    callback=parse_seeds,
    default=None,
    help="Run each scenario with each of these seeds: a range 1..20, a list 1,5,9, or one seed (instead of --seed).",
)
@click.option("--borrowers", type=click.IntRange(min=1), default=None, help="Override the population size.")
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write a JSON report per scenario × platform here (SCENARIO-PLATFORM-SEED.json).",
)
@click.option(
    "--junit",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write JUnit XML: a suite per scenario × platform, a test case per expected invariant.",
)
@click.option(
    "--html",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the HTML report here: one self-contained file with the verdicts of every run and each violation's "
    "timeline (--report-dir writes one too, as report.html).",
)
@click.option(
    "--journal",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Keep the run's journal in this SQLite file (several runs: one file each, named FILE-SCENARIO-PLATFORM-SEED); "
    "lendsim report FILE --html OUT renders its report later.",
)
@client_timeout_option(
    format_duration(DEFAULT_CLIENT_TIMEOUT),
    "Over HTTP: how long the platform's client waits for a partner's answer, for the partners it declares no "
    "timeout for (setupRun's answer, clientTimeouts). A latency fault that long or longer is served as a timeout; "
    "a shorter one is answered at once, stamped that much later in virtual time. (In-process the platform's httpx "
    "timeouts are seen directly.)",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="Over HTTP: how many borrowers' requests (payments, callbacks, notices, SMS receipts) of one virtual "
    "instant go to the platform at once; 1 for a platform that takes one request at a time. In-process runs go "
    "one at a time.",
)
@workers_option("the scenario × seed × platform runs")
@cluster_option
@shards_option
@window_option
def run_command(
    scenarios: tuple[Path, ...],
    platforms: tuple[str, ...],
    seed: int | None,
    seeds: tuple[int, ...] | None,
    borrowers: int | None,
    report_dir: Path | None,
    junit: Path | None,
    client_timeout: timedelta | None,
    concurrency: int,
    html: Path | None,
    journal: Path | None,
    workers: int,
    cluster: str | None,
    shards: int,
    window: int,
) -> None:
    """Replay SCENARIOS (files, or names from the catalog such as xiaomi-minsheng-2019) against the platform
    and judge each with its invariants.

    Exit 0 when every expected invariant was exercised and held; 1 when one was violated or not exercised; 2 on
    bad input or when the platform failed a call of the harness (not reachable, set-up refused, …) — 2 wins
    over 1 when runs end differently.

    --seeds runs each scenario with each seed; --workers N (or --cluster ADDRESS) runs the scenario × seed ×
    platform runs in N processes (or on a Dask cluster) and reports them together, as one process would.
    A run of more than --window borrowers (5,000) is made in pieces, so memory stays bounded.
    """
    if seed is not None and seeds is not None:
        raise click.BadParameter("give --seed or --seeds, not both (--seeds 7 is one seed too)", param_hint="--seeds")
    for platform in platforms:
        platform_maker(platform)
    check_writable(report_dir, junit, html, journal)
    loaded = load_scenarios(scenarios)
    check_shards(shards, platforms, loaded, borrowers)
    if workers > 1 or cluster is not None or shards > 1 or windowed(loaded, platforms, borrowers, window):
        pooled = run_parallel(
            loaded,
            platforms,
            [seed] if seeds is None else seeds,
            workers=shards if workers == 1 and cluster is None else workers,
            cluster=cluster,
            borrowers=borrowers,
            report_dir=report_dir,
            junit=junit,
            html=html,
            journal=journal,
            client_timeout=client_timeout,
            concurrency=concurrency,
            outputs=Outputs(_write, journal_path, _interrupted),
            shards=shards,
            window=window,
        )
        sys.exit(exit_code(pooled))
    runs = run_many(
        loaded,
        platforms,
        seed=seed,
        borrowers=borrowers,
        report_dir=report_dir,
        junit=junit,
        client_timeout=client_timeout,
        concurrency=concurrency,
        html=html,
        journal=journal,
        seeds=seeds,
    )
    sys.exit(exit_code(runs))
