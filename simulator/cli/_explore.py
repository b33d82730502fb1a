"""``lendsim explore``: search scenarios a platform fails, shrink each to a minimal scenario file.

Exit codes: 0 nothing found within the budget; 1 an invariant was violated (each finding written as a scenario
file); 2 bad input (a budget, a seed, a platform, an output folder) or the platform failing a call of the
harness.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path
from typing import Final

import click

from simulator.cli._options import MAX_SEED, parse_seed
from simulator.cli._parallel import cluster_option, pool, workers_option
from simulator.cli._run import platform_maker, writable_folder
from simulator.errors import ConfigError
from simulator.explore import Budget, Progress, Search, explore, write_finding
from simulator.explore._parallel import explore_on, split
from simulator.run._reports import platform_slug

__all__ = ["explore_command"]

#: Hypothesis' example database for each platform: what failed there is replayed first next time.
DATABASE: Final = Path(".lendsim") / "explore"
_EVERY: Final = 10  # runs between progress lines when the terminal cannot redraw one


def _budget(ctx: click.Context, param: click.Parameter, value: str) -> Budget:
    try:
        return Budget.parse(value)
    except ConfigError as exc:
        raise click.BadParameter(str(exc)) from None


class _Terminal:
    """Progress on stderr: one line redrawn on a terminal; elsewhere a line every few runs and at each change."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.tty = sys.stderr.isatty()
        self.last: tuple[str, int, str] | None = None

    def __call__(self, progress: Progress) -> None:
        current = progress.current
        shrink = ""
        if progress.phase == "shrink" and current is not None:
            shrink = f" · shrinking {current.verdict.invariant} {current.key}: {current.candidate.describe()}"
        line = (
            f"explore: {progress.runs} run{'s' if progress.runs != 1 else ''}, {progress.seconds:.0f} s "
            f"(budget {self.budget}) · {progress.findings} finding{'s' if progress.findings != 1 else ''}{shrink}"
        )
        if self.tty:
            click.echo(f"\r\x1b[2K{line}", nl=False, err=True)
            return
        state = (progress.phase, progress.findings, shrink)
        if state != (self.last or ("", -1, ""))[:3] or progress.runs % _EVERY == 0:
            click.echo(line, err=True)
        self.last = state

    def done(self) -> None:
        if self.tty:
            click.echo(err=True)


@click.command("explore")
@click.option(
    "--platform",
    required=True,
    help="URL of a platform implementing contracts/platform.yaml, module:factory for an in-process one, or "
    "naive / resilient (the reference platforms).",
)
@click.option(
    "--budget",
    default="5m",
    show_default=True,
    callback=_budget,
    metavar="TIME|N runs",
    help="How long to search: a time (10m, 90s, 1h) or a number of scenarios run ('200 runs'). Shrinking a "
    "finding gets as much again.",
)
@click.option(
    "--seed",
    metavar="INTEGER",
    callback=parse_seed,
    default=None,
    help=f"Seed of the search (0 to {MAX_SEED}): the same seed draws the same scenarios. Default: a random one, "
    "printed.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("found"),
    show_default=True,
    help="Folder the findings are written to, one scenario file each (PLATFORM-INVARIANT.yaml).",
)
@workers_option(
    "independent searches (the k-th seeded SEED+k, a budget of runs shared between them); with --cluster, how "
    "many searches go to the cluster"
)
@cluster_option
def explore_command(
    platform: str, budget: Budget, seed: int | None, out: Path, workers: int, cluster: str | None
) -> None:
    """Search for scenarios the platform fails: faults at every injection point, borrowers who pay on time,
    late, in part, early, at any hour, who dispute; the bank's cut-off, batch and file hours. A scenario that
    violates an invariant is shrunk to the fewest faults, shortest windows, fewest borrowers and shortest run
    that still violate it, and written to --out as a scenario file lint passes and `lendsim run` replays.

    What failed before is tried first (hypothesis' database in .lendsim/explore/). Exit 0 when nothing was
    found within the budget; 1 when an invariant was violated; 2 on bad input or when the platform failed a
    call of the harness.

    --workers N runs N independent searches at once (seeds SEED, SEED+1, …), on local processes or, with
    --cluster ADDRESS, on a Dask cluster; their findings are merged, the smallest scenario per invariant kept.
    """
    maker = platform_maker(platform)
    writable_folder(out, "--out", "a folder the findings can be written to")
    if seed is None:
        seed = random.SystemRandom().randrange(2**32)
    click.echo(f"explore {platform}: budget {budget}, seed {seed} (--seed {seed} draws the same scenarios)", err=True)
    database = DATABASE / platform_slug(platform)
    if workers > 1 or cluster is not None:
        search = _on_pool(platform, budget, seed, workers, cluster, database)
    else:
        terminal = _Terminal(budget)
        search = explore(maker, budget, seed=seed, database=database, progress=terminal, clock=time.monotonic)
        terminal.done()
    sys.exit(_report(search, platform, out))


def _on_pool(platform: str, budget: Budget, seed: int, workers: int, cluster: str | None, database: Path) -> Search:
    """Independent searches on local processes or a cluster (no example database there: a worker's folder is on
    its own machine), a line as each comes back."""
    searches = len(split(budget, workers))
    where = f"the Dask cluster at {cluster}" if cluster is not None else f"{searches} local processes"
    click.echo(
        f"explore: {searches} search{'es' if searches != 1 else ''} on {where}, seeds {seed}..{seed + searches - 1}",
        err=True,
    )

    def done(index: int, search: Search) -> None:
        click.echo(
            f"explore: search {index + 1} (seed {seed + index}): {_count(search.runs, 'run')} in "
            f"{search.seconds:.0f} s, {_count(len(search.found), 'finding')}",
            err=True,
        )

    with pool(searches if cluster is None else 1, cluster) as running:
        return explore_on(
            running,
            platform,
            budget,
            workers=searches,
            seed=seed,
            database=database if cluster is None else None,
            done=done,
            clock=time.monotonic,
        )


def _report(search: Search, platform: str, out: Path) -> int:
    """Echo what the search did and write each finding; the exit code."""
    click.echo(f"{_count(search.runs, 'run')} in {search.seconds:.0f} s, {_count(len(search.found), 'finding')}")
    for found in search.findings:
        verdict = found.verdict
        stem = f"{platform_slug(platform)}-{found.key.replace('_', '-')}"
        path = write_finding(found, out, stem=stem, platform=platform)
        click.echo(
            f"  {verdict.invariant} {found.key} violated: first at run {found.at_run} ({found.after_seconds:.0f} s), "
            f"shrunk to {found.candidate.describe()} → {path}"
        )
        for violation in verdict.violations[:1]:
            click.echo(f"    {' '.join(violation.message.split())}")
        click.echo(f"    replay: lendsim run {path} --platform {platform}")
    if search.error is not None:
        click.secho(f"error: run {search.runs} stopped: {search.error}", fg="red", err=True)
        return 2
    if not search.found:
        click.echo("nothing found within the budget")
    return 1 if search.found else 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
