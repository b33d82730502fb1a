"""``lendsim contracts``: the operations each partner serves."""

from __future__ import annotations

from pathlib import Path

import click

from simulator.cli._options import contract_option, contracts_dir_option, load_partner_contracts
from simulator.openapi import load_contract, load_contracts

__all__ = ["contracts_command"]


@click.command("contracts")
@contracts_dir_option
@contract_option
def contracts_command(contracts_dir: Path | None, extra_contracts: tuple[Path, ...]) -> None:
    """List each contract's operations: method, path, operationId and summary."""
    contracts = load_contracts(load_partner_contracts(contracts_dir))
    for path in extra_contracts:
        contract = load_contract(path)
        contracts[contract.name] = contract
    for name, contract in contracts.items():
        click.secho(f"{name}  {contract.title}  ({contract.path})", bold=True)
        for operation in contract:
            click.echo(f"  {operation.method:<7}{operation.path:<42}{operation.operation_id:<24}{operation.summary}")
        for hook in contract.webhooks.values():
            click.echo(f"  {'HOOK':<7}{'(sent to the platform)':<42}{hook.operation_id:<24}{hook.summary}")
        click.echo()
