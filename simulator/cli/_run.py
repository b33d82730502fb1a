"""``lendsim run``: replay scenarios against a platform; exit 0 when every invariant holds, 1 when one is
violated, 2 on bad input."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import click

from simulator._resources import bundled_scenario
from simulator.errors import LendsimError
from simulator.run import HttpDriver, InProcessDriver, PlatformDriver, RunResult, run_scenario
from simulator.run._reports import console_summary, junit_xml, write_json
from simulator.scenario import ScenarioError, load_scenario

__all__ = ["run_command"]

REFERENCE = {"naive": "lendsim_examples.naive:create", "resilient": "lendsim_examples.resilient:create"}


def make_driver(platform: str) -> PlatformDriver:
    """A driver for ``platform``: a URL (HTTP), ``module:factory`` (in-process), or ``naive`` / ``resilient``."""
    if platform.startswith(("http://", "https://")):
        return HttpDriver(platform)
    target = REFERENCE.get(platform, platform)
    module_name, _, factory_name = target.partition(":")
    if not factory_name:
        raise click.BadParameter(
            f"{platform!r} is neither a URL, module:factory, nor one of {', '.join(REFERENCE)}", param_hint="--platform"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise click.BadParameter(f"cannot import {module_name!r}: {exc}", param_hint="--platform") from None
    factory: Any = getattr(module, factory_name, None)
    if not callable(factory):
        raise click.BadParameter(f"{module_name} has no callable {factory_name!r}", param_hint="--platform")
    return InProcessDriver(factory())


@click.command("run")
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--platform",
    required=True,
    help="URL of a platform implementing contracts/platform.yaml, "
    "module:factory for an in-process one, or naive / resilient (the reference platforms).",
)
@click.option("--seed", type=int, default=None, help="Override the scenario's seed.")
@click.option("--borrowers", type=click.IntRange(min=1), default=None, help="Override the population size.")
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write a JSON report per scenario here.",
)
@click.option(
    "--junit",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write JUnit XML (one test case per scenario × invariant).",
)
def run_command(
    scenarios: tuple[Path, ...],
    platform: str,
    seed: int | None,
    borrowers: int | None,
    report_dir: Path | None,
    junit: Path | None,
) -> None:
    """Replay SCENARIOS (files, or names from the catalog such as xiaomi-minsheng-2019) against the platform
    and judge each with its invariants."""
    loaded = []
    for path in scenarios:
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
    results: list[RunResult] = []
    for scenario in loaded:
        driver = make_driver(platform)
        with click.progressbar(length=100, label=scenario.name, file=sys.stderr) as bar:
            done = [0]

            def advance(fraction: float, bar: Any = bar, done: list[int] = done) -> None:
                step = int(fraction * 100) - done[0]
                bar.update(step)
                done[0] += step

            try:
                result = run_scenario(scenario, driver, seed=seed, borrowers=borrowers, progress=advance)
            except LendsimError as exc:
                click.secho(f"error: {exc}", fg="red", err=True)
                sys.exit(2)
        results.append(result)
        click.echo(console_summary(result, platform))
        if report_dir is not None:
            click.echo(f"  report: {write_json(result, platform, report_dir)}")
    if junit is not None:
        junit_xml(results, platform, junit)
    sys.exit(0 if all(result.passed for result in results) else 1)
