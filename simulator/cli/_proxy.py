"""``lendsim proxy``: sit between a platform and a real partner sandbox, checking each exchange against the contract."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import click

from simulator.cli._options import contract_file_option, log_level_option
from simulator.errors import ConfigError
from simulator.http import ExampleRecorder, Exchange, ValidationProxy, is_loopback, listen, run_server
from simulator.journal import Journal
from simulator.openapi import load_contract

__all__ = ["proxy_command"]


@click.command("proxy")
@contract_file_option("The OpenAPI contract both sides must follow (e.g. the partner's, or contracts/bank.yaml).")
@click.option(
    "--upstream",
    required=True,
    help="Base URL of the real service (e.g. https://sandbox.bank.example/api); request paths are appended to it.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8081, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--journal",
    "journal_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="SQLite file for the journal of requests, responses and violations (default: in memory).",
)
@click.option(
    "--record-examples",
    "examples_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write a copy of the contract here with the valid exchanges added as examples (recorded-N), masked.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Refuse a request that breaks the contract (4xx problem naming field and rule) instead of forwarding it.",
)
@click.option(
    "--timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds to wait for the upstream before answering 502.",
)
@log_level_option
def proxy_command(
    contract_file: Path,
    upstream: str,
    host: str,
    port: int,
    journal_path: Path | None,
    examples_path: Path | None,
    strict: bool,
    timeout: float,
    log_level: str,
) -> None:
    """Forward requests to the upstream and answers back, validating both against the contract.

    Each exchange is printed (personal data masked) and journaled with every violation; an answer that broke the
    contract carries X-Lendsim-Violations: N. Point the platform's partner URL at http://HOST:PORT.
    """
    contract = load_contract(contract_file)
    parts = urlsplit(upstream)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"--upstream {upstream!r} is not an http(s) URL with a host; write e.g. https://sandbox.bank.example/api",
            field="upstream",
        )
    if examples_path is not None:
        folder = examples_path.parent
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            raise ConfigError(
                f"--record-examples {str(examples_path)!r}: cannot write in {str(folder)!r} "
                f"({'not writable' if folder.is_dir() else 'no such folder'}); choose a file in a writable folder",
                field="record_examples",
            )
    journal = Journal(journal_path if journal_path is not None else ":memory:", wall_clock=time.time)
    sock = listen(host, port)  # before the banner: a port in use is one line and exit 2, not a false start
    port = sock.getsockname()[1]
    recorder = ExampleRecorder(contract, examples_path) if examples_path is not None else None
    seen = {"exchanges": 0, "violating": 0}

    def report(exchange: Exchange) -> None:
        seen["exchanges"] += 1
        seen["violating"] += 1 if exchange.violations else 0
        click.echo(exchange.summary())

    def summary() -> None:
        recorded = f"; {recorder.recorded} examples recorded to {examples_path}" if recorder is not None else ""
        click.echo(f"  {seen['exchanges']} exchanges, {seen['violating']} with violations{recorded}")

    proxy = ValidationProxy(
        contract,
        upstream,
        journal=journal,
        clock=lambda: datetime.now(UTC),
        strict=strict,
        recorder=recorder,
        on_exchange=report,
        on_shutdown=summary,
        timeout=timeout,
    )
    if not is_loopback(host):
        click.echo(f"Listening beyond loopback: anyone who reaches {host}:{port} can send requests upstream.", err=True)
    mode = "refusing invalid requests (--strict)" if strict else "forwarding everything, reporting violations"
    click.echo(f"  {contract.title} ({contract_file}): http://{host}:{port} → {upstream}, {mode}")
    if journal_path is not None:
        click.echo(f"  journal: {journal_path}")
    if examples_path is not None:
        click.echo(f"  recording examples to {examples_path}")
    try:
        run_server(proxy, host=host, port=port, log_level=log_level, sock=sock)
    finally:
        journal.close()
