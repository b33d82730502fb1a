"""``lendsim check``: is a running service conformant to an OpenAPI contract? schemathesis finds out."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from simulator._suggest import suggest
from simulator.cli._options import contract_file_option, header_option

__all__ = ["check_command"]

#: schemathesis' phases, in the order they run (simulator.conformance.PHASES, without importing schemathesis here).
_PHASES: tuple[str, ...] = ("examples", "coverage", "fuzzing", "stateful")


def _phases(context: click.Context, parameter: click.Parameter, value: str) -> tuple[str, ...]:
    """``examples,coverage`` → the phases in the order they run; a name that is none of them is bad input."""
    names = [name.strip() for name in value.split(",") if name.strip()]
    for name in names:
        if name not in _PHASES:
            raise click.BadParameter(f"{name!r} is not a phase; {suggest(name, _PHASES, limit=None)}")
    if not names:
        raise click.BadParameter(f"name at least one of {', '.join(_PHASES)}")
    return tuple(phase for phase in _PHASES if phase in names)


@click.command("check")
@contract_file_option(
    "The OpenAPI contract the service must follow (e.g. contracts/bank.yaml, contracts/platform.yaml)."
)
@click.option("--url", required=True, help="Where the service runs, e.g. http://127.0.0.1:8080.")
@click.option(
    "--base-path",
    default=None,
    help="Path of the operations under --url, instead of the contract's server path (e.g. /bank; '' for none).",
)
@header_option
@click.option(
    "--max-examples",
    default=25,
    show_default=True,
    type=click.IntRange(min=1),
    help="Generated cases per operation and phase (examples, coverage, fuzzing, stateful).",
)
@click.option(
    "--time-limit",
    default=120.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds after which generation stops (what ran so far is reported).",
)
@click.option("--seed", type=int, default=None, help="Seed for generated data (default: random, printed).")
@click.option(
    "--operation",
    "operations",
    multiple=True,
    metavar="OPERATION_ID",
    help="Test only this operation (by operationId). Repeatable.",
)
@click.option(
    "--phases",
    default=",".join(_PHASES),
    show_default=True,
    callback=_phases,
    help="schemathesis' phases to run, comma-separated: the contract's examples, the edges of each schema "
    "(coverage), random data (fuzzing), sequences along the contract's links (stateful). A big contract is checked "
    "in reasonable time with examples,coverage.",
)
@click.option(
    "--stateful/--no-stateful",
    default=True,
    show_default=True,
    help="Also follow the contract's links (the stateful phase).",
)
@click.option(
    "--workers",
    "-w",
    default=1,
    show_default=True,
    type=click.IntRange(min=1, max=64),
    help="Operations tested at once (the examples, coverage and fuzzing phases).",
)
@click.option(
    "--exclude-check",
    "exclude_checks",
    multiple=True,
    metavar="CHECK[:OPERATION_ID]",
    help="A schemathesis check not to run, everywhere (CHECK) or for one operation (CHECK:OPERATION_ID), e.g. "
    "positive_data_acceptance:setupRun for a rule JSON Schema cannot state. Checks: not_a_server_error, "
    "status_code_conformance, content_type_conformance, response_headers_conformance, response_schema_conformance, "
    "positive_data_acceptance, negative_data_rejection, missing_required_header, unsupported_method, … Repeatable.",
)
@click.option(
    "--request-timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds one request may take before it counts as unanswered.",
)
@click.option(
    "--junit",
    "junit_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write a JUnit XML report here: one test case per operation.",
)
def check_command(
    contract_file: Path,
    url: str,
    base_path: str | None,
    headers: dict[str, str],
    max_examples: int,
    time_limit: float,
    seed: int | None,
    operations: tuple[str, ...],
    phases: tuple[str, ...],
    stateful: bool,
    workers: int,
    exclude_checks: tuple[str, ...],
    request_timeout: float,
    junit_path: Path | None,
) -> None:
    """Check the service at URL against an OpenAPI contract with schemathesis: the contract's examples, the edges
    of every schema, random valid and invalid data, and (with links) sequences of calls.

    Each answer must have a declared status, content type, headers and body schema; invalid data must be refused
    with a 4xx; nothing may answer 5xx; an operation passes only if some answer came from it (not a router's 404).
    Exit 0 when conformant, 1 when a rule was broken, 2 on bad input (no operation answered at URL: a wrong base path).
    """
    from simulator.conformance import (
        CheckOptions,
        console_report,
        resolve_target,
        run_check,
        write_check_junit,
    )

    if not stateful:
        phases = tuple(phase for phase in phases if phase != "stateful")
    if not phases:
        raise click.BadParameter(
            "--no-stateful leaves no phase to run; add examples, coverage or fuzzing", param_hint="'--phases'"
        )
    target = resolve_target(contract_file, url, base_path)
    options = CheckOptions(
        max_examples=max_examples,
        time_limit=time_limit,
        seed=seed,
        operations=operations,
        headers=headers,
        phases=phases,
        request_timeout=request_timeout,
        exclude_checks=exclude_checks,
        workers=workers,
    )
    report = run_check(target, options)
    replay = _replay(contract_file, url, base_path, report.seed, max_examples, operations, phases, exclude_checks)
    click.echo(console_report(report, replay=replay))
    if junit_path is not None:
        write_check_junit(report, junit_path)
    # Nothing of the contract answered at all: the URL is wrong, which is bad input (like a URL nothing answers at).
    sys.exit(2 if report.reached_nothing else 0 if report.passed else 1)


def _replay(
    contract_file: Path,
    url: str,
    base_path: str | None,
    seed: int,
    max_examples: int,
    operations: tuple[str, ...],
    phases: tuple[str, ...],
    exclude_checks: tuple[str, ...],
) -> str:
    """The command that repeats this run (headers left out: they may hold credentials; workers too: they change
    how fast, not what is sent)."""
    words = ["lendsim", "check", "--contract", str(contract_file), "--url", url, "--seed", str(seed)]
    if base_path is not None:
        words += ["--base-path", base_path]
    words += ["--max-examples", str(max_examples)]
    for operation in operations:
        words += ["--operation", operation]
    if phases == _PHASES[:-1]:
        words.append("--no-stateful")
    elif phases != _PHASES:
        words += ["--phases", ",".join(phases)]
    for name in exclude_checks:
        words += ["--exclude-check", name]
    return shlex.join(words)
