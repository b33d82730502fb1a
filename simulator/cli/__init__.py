"""The ``lendsim`` command. Exit codes: 0 fine, 1 a check failed, 2 bad input (a usage or file error); stopped by
SIGINT or SIGTERM, the signal's own status (130, 143: ``simulator/cli/_stop.py``)."""

from __future__ import annotations

import sys
from typing import Any

import click

from simulator._version import __version__
from simulator.cli._check import check_command
from simulator.cli._contracts import contracts_command
from simulator.cli._example_platform import example_platform_command
from simulator.cli._explore import explore_command
from simulator.cli._lint import lint_command
from simulator.cli._proxy import proxy_command
from simulator.cli._report import report_command
from simulator.cli._run import run_command
from simulator.cli._serve import serve_command
from simulator.cli._stop import end_by, interruptible
from simulator.errors import Interrupted, LendsimError

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="lendsim")
def cli() -> None:
    """Lending-partner integration simulator and contract-test harness.

    Plays the funding bank, the credit bureau and the SMS gateway a lending platform integrates with,
    from OpenAPI contracts, on a virtual clock.
    """


cli.add_command(serve_command)
cli.add_command(contracts_command)
cli.add_command(lint_command)
cli.add_command(run_command)
cli.add_command(report_command)
cli.add_command(explore_command)
cli.add_command(example_platform_command)
cli.add_command(check_command)
cli.add_command(proxy_command)


def main(argv: list[str] | None = None) -> Any:
    """Entry point: our own errors become one readable line and exit code 2, never a traceback; SIGINT and
    SIGTERM stop the command cleanly and end the process by that signal."""
    try:
        with interruptible():
            return cli.main(args=argv, prog_name="lendsim", standalone_mode=True)
    except LendsimError as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(2)
    except Interrupted as stop:
        click.echo(f"lendsim: stopped by {stop.name}", err=True)
        end_by(stop.signum)
