"""An answer leaves only once the journal file holds it: what a client has read, a killed server has not lost."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from simulator import Simulator
from simulator.errors import JournalError
from simulator.http import create_app
from simulator.journal import Journal
from tests.http.conftest import running
from tests.partners.bank.helpers import loan_body, repayment


@pytest.fixture
def on_disk(tmp_path: Path) -> Iterator[tuple[str, Simulator, Path]]:
    path = tmp_path / "serve.journal"
    sim = Simulator(seed=7, journal=Journal(path))
    with running(create_app(sim)) as url:
        yield url, sim, path
    sim.journal.close()


def committed(path: Path, serial: str) -> list[tuple[str, int | None]]:
    """What another process reading the file sees of ``serial``: committed rows only."""
    with sqlite3.connect(path) as outside:
        rows = outside.execute("SELECT kind, status FROM entries WHERE serial = ? ORDER BY seq", (serial,))
        return [(kind, status) for kind, status in rows]


def test_every_answer_is_in_the_journal_file_before_the_client_reads_it(on_disk: tuple[str, Simulator, Path]) -> None:
    url, _, path = on_disk
    httpx.post(f"{url}/bank/loans", json=loan_body()).raise_for_status()

    def pay(number: int) -> list[tuple[str, int | None]]:
        body = repayment(f"RP{number:03d}", 1, "0.01", "0.00", amount="0.01", collected="2019-05-01T00:00:00+08:00")
        answer = httpx.post(f"{url}/bank/repayments", json=body)
        assert answer.status_code == 200
        return committed(path, f"RP{number:03d}")  # at once: no flush, no close, no second request

    with ThreadPoolExecutor(8) as pool:  # answers made together share one commit
        seen = list(pool.map(pay, range(40)))

    assert seen == [[("request", None), ("response", 200)]] * 40


def test_an_answer_the_journal_cannot_hold_is_withheld_with_a_503(
    on_disk: tuple[str, Simulator, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, sim, _ = on_disk

    def full(*_: Any) -> None:
        raise JournalError("cannot write to the journal 'serve.journal' (database or disk is full)")

    monkeypatch.setattr(sim.journal, "flush", full)
    answer = httpx.post(f"{url}/bank/loans", json=loan_body())

    assert answer.status_code == 503 and answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"].startswith(
        "the journal could not be written (cannot write to the journal 'serve.journal' (database or disk is full)), "
        "so this answer is withheld; the request may have taken effect"
    )
