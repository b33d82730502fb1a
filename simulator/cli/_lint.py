"""``lendsim lint``: check contract files (scenarios join when the scenario format lands)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from simulator._resources import bundled_contracts_dir
from simulator.openapi import lint_contract

__all__ = ["lint_command"]


@click.command("lint")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
def lint_command(files: tuple[Path, ...]) -> None:
    """Check contract files: YAML syntax, OpenAPI validity, references, examples against their schemas.

    Each problem is printed as FILE:LINE:COLUMN: KEY PATH: what is wrong and the fix. Exit 2 on any
    problem. Without FILES, checks the built-in contracts.
    """
    targets = list(files) or sorted(bundled_contracts_dir().glob("*.yaml"))
    problems = 0
    for path in targets:
        if not path.exists():
            click.echo(f"{path}: no such file", err=True)
            problems += 1
            continue
        findings = lint_contract(path)
        for finding in findings:
            click.echo(str(finding), err=True)
        problems += len(findings)
        if not findings:
            click.echo(f"{path}: ok")
    if problems:
        click.secho(f"{problems} problem(s) in {len(targets)} file(s)", fg="red", err=True)
        sys.exit(2)
