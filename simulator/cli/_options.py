"""Options shared by several commands, declared once."""

from __future__ import annotations

from pathlib import Path

import click

from simulator._resources import bundled_contracts_dir

__all__ = ["contract_option", "contracts_dir_option", "load_partner_contracts"]

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


def load_partner_contracts(contracts_dir: Path | None) -> Path:
    return contracts_dir if contracts_dir is not None else bundled_contracts_dir()
