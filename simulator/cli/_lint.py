"""``lendsim lint``: check scenario and contract files, each problem with file, line, column and fix."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from simulator._resources import bundled_contracts_dir
from simulator._yaml import Finding, read_text, top_level_keys
from simulator.openapi import lint_contract
from simulator.scenario import lint_scenario

__all__ = ["lint_command"]


def _is_contract(path: Path) -> bool:
    """An OpenAPI document has ``openapi`` (or Swagger's ``swagger``) among its top-level keys, wherever it is
    written; everything else is read as a scenario (whose lint says what is wrong with it)."""
    try:
        text = read_text(path)
    except (OSError, UnicodeDecodeError):
        return False
    return any(key in ("openapi", "swagger") for key in top_level_keys(text))


def _yaml_files(folder: Path) -> list[Path]:
    return [*folder.glob("*.yaml"), *folder.glob("*.yml")]


def lint_file(path: Path) -> list[Finding]:
    if path.is_dir():
        return [Finding(str(path), None, None, "", "a folder without .yaml files; give scenario or contract files")]
    if not path.exists():
        return [Finding(str(path), None, None, "", "no such file")]
    if not path.is_file():  # a FIFO would block the peek below, a device never end: the reader says what it is
        return lint_scenario(path)
    return lint_contract(path) if _is_contract(path) else lint_scenario(path)


@click.command("lint")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Treat warnings as errors: exit 2 on any.")
def lint_command(files: tuple[Path, ...], strict: bool) -> None:
    """Check scenario files (schema, meaning, fault points, what no platform could pass) and contract files
    (YAML, OpenAPI validity, references, examples against their schemas).

    Each problem is printed as FILE:LINE:COLUMN: error|warning: KEY PATH: what is wrong and the fix, every
    problem of a file at once, in line order. An error makes a file unusable; a warning names a scenario
    that runs but cannot mean what it says (a fault outside the run, an invariant no platform can pass, a
    run too short for an invariant's window). Exit 2 on any error, or with --strict on any warning. A
    folder stands for the .yaml files in it. Without FILES, checks scenarios/*.yaml and the built-in
    contracts.
    """
    targets = [
        found for path in files for found in (sorted(_yaml_files(path)) or [path] if path.is_dir() else [path])
    ] or [
        *sorted(Path("scenarios").glob("*.yaml")),
        *sorted(bundled_contracts_dir().glob("*.yaml")),
    ]
    errors = warnings = 0
    for path in targets:
        findings = lint_file(path)
        for finding in findings:
            click.echo(str(finding), err=True)
        warned = sum(finding.severity == "warning" for finding in findings)
        errors += len(findings) - warned
        warnings += warned
        if len(findings) == warned:
            click.echo(f"{path}: ok" + (f", {_count(warned, 'warning')}" if warned else ""))
    if errors or warnings:
        failed = errors > 0 or strict
        summary = f"{_count(errors, 'error')}, {_count(warnings, 'warning')} in {_count(len(targets), 'file')}"
        if strict and warnings:
            summary += " (--strict: warnings count as errors)"
        click.secho(summary, fg="red" if failed else "yellow", err=True)
        if failed:
            sys.exit(2)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
