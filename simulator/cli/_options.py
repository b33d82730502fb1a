"""Options shared by several commands, declared once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, Final, TypeVar

import click

from simulator._resources import bundled_contracts_dir
from simulator.clock import parse_duration
from simulator.errors import ConfigError
from simulator.run._timeouts import MAX_CLIENT_TIMEOUT

__all__ = [
    "MAX_SEED",
    "client_timeout_option",
    "contract_file_option",
    "contract_option",
    "contracts_dir_option",
    "header_option",
    "load_partner_contracts",
    "log_level_option",
    "parse_seed",
]

F = TypeVar("F", bound=Callable[..., Any])

#: The largest seed: 64 bits, what a platform, a JSON reader or SQLite keeps exactly (the seed is part of the
#: run id a platform is told and of the report's file name).
MAX_SEED: Final = 2**63 - 1


def parse_seed(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    """``--seed``: a whole number from 0 to :data:`MAX_SEED`, refused with the range (without echoing 5,000
    digits back)."""
    if value is None:
        return None
    text = value.strip()
    if not text.isdigit() or len(text) > len(str(MAX_SEED)) or int(text) > MAX_SEED:
        shown = text if len(text) <= 30 else f"{text[:12]}…{text[-6:]} ({len(text):,} characters)"
        raise click.BadParameter(f"{shown!r} is not a seed: give a whole number from 0 to {MAX_SEED:,}")
    return int(text)


contracts_dir_option = click.option(
    "--contracts",
    "contracts_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Folder of contracts to serve instead of the built-in bank, bureau and sms.",
)
contract_option = click.option(
    "--contract",
    "extra_contracts",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    multiple=True,
    help="An extra contract (e.g. your partner's) served as a mock at /{file stem}. Repeatable.",
)


def contract_file_option(help_text: str) -> Callable[[F], F]:
    """``--contract FILE`` (required): the one OpenAPI contract a command works against."""
    return click.option(
        "--contract",
        "contract_file",
        required=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help=help_text,
    )


def _parse_headers(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for value in values:
        name, colon, text = value.partition(":")
        if not colon or not name.strip() or any(char.isspace() for char in name.strip()):
            raise click.BadParameter(
                f"{value!r} is not a header; write it as 'Name: value', e.g. 'Authorization: Bearer x'"
            )
        headers[name.strip()] = text.strip()
    return headers


header_option = click.option(
    "--header",
    "headers",
    multiple=True,
    callback=_parse_headers,
    metavar="'NAME: VALUE'",
    help="A header sent with every request (e.g. 'Authorization: Bearer …'). Repeatable.",
)


log_level_option = click.option(
    "--log-level",
    default="warning",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    help="How much the server logs.",
)


def _parse_client_timeout(ctx: click.Context, param: click.Parameter, value: str | None) -> timedelta | None:
    if value is None:
        return None
    try:
        timeout = parse_duration(value)
    except ConfigError as exc:
        raise click.BadParameter(str(exc)) from None
    if not timedelta(0) < timeout <= MAX_CLIENT_TIMEOUT:
        raise click.BadParameter(f"{value!r}: give a duration above 0 and at most an hour, e.g. PT10S or '3 seconds'")
    return timeout


def client_timeout_option(default: str | None, help_text: str) -> Callable[[F], F]:
    """``--client-timeout DURATION``: how long the platform's HTTP client waits for a partner's answer."""
    return click.option(
        "--client-timeout",
        "client_timeout",
        metavar="DURATION",
        default=default,
        show_default=default is not None,
        callback=_parse_client_timeout,
        help=help_text,
    )


def load_partner_contracts(contracts_dir: Path | None) -> Path:
    return contracts_dir if contracts_dir is not None else bundled_contracts_dir()
