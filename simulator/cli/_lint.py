"""``lendsim lint``: check scenario and contract files, each problem with file, line, column and fix."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from simulator._resources import bundled_contracts_dir
from simulator._yaml import Finding
from simulator.openapi import lint_contract
from simulator.scenario import lint_scenario

__all__ = ["lint_command"]


def _is_contract(path: Path) -> bool:
    """OpenAPI documents say so in their first lines; everything else is read as a scenario."""
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return any(line.startswith(("openapi:", '{"openapi"', '"openapi"')) for line in head.splitlines())


def _yaml_files(folder: Path) -> list[Path]:
    return [*folder.glob("*.yaml"), *folder.glob("*.yml")]


def lint_file(path: Path) -> list[Finding]:
    if path.is_dir():
        return [Finding(str(path), None, None, "", "a folder without .yaml files; give scenario or contract files")]
    if not path.is_file():
        return [Finding(str(path), None, None, "", "no such file")]
    return lint_contract(path) if _is_contract(path) else lint_scenario(path)


@click.command("lint")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
def lint_command(files: tuple[Path, ...]) -> None:
    """Check scenario files (schema, meaning, fault points) and contract files (YAML, OpenAPI validity,
    references, examples against their schemas).

    Each problem is printed as FILE:LINE:COLUMN: KEY PATH: what is wrong and the fix. Exit 2 on any
    problem. A folder stands for the .yaml files in it. Without FILES, checks scenarios/*.yaml and the
    built-in contracts.
    """
    targets = [
        found for path in files for found in (sorted(_yaml_files(path)) or [path] if path.is_dir() else [path])
    ] or [
        *sorted(Path("scenarios").glob("*.yaml")),
        *sorted(bundled_contracts_dir().glob("*.yaml")),
    ]
    problems = 0
    for path in targets:
        findings = lint_file(path)
        for finding in findings:
            click.echo(str(finding), err=True)
        problems += len(findings)
        if not findings:
            click.echo(f"{path}: ok")
    if problems:
        click.secho(f"{problems} problem(s) in {len(targets)} file(s)", fg="red", err=True)
        sys.exit(2)
