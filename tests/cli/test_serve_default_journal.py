"""``lendsim serve`` without ``--journal``: the journal is a temporary file on disk (so memory stays flat under load),
in a folder of its own under the system's temporary directory, removed when the server stops; ``--journal :memory:``
keeps it in memory."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests._processes import BIN, free_port
from tests.partners.bank.helpers import loan_body


@contextmanager
def serving(tmp: Path, *args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "lendsim"), "serve", "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp)},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, process.communicate()[0]
            try:
                httpx.get(f"{url}/", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "lendsim serve did not start"
                time.sleep(0.1)
        yield url, process
    finally:
        if process.poll() is None:
            process.terminate()
        process.communicate(timeout=30)  # also closes the pipe


def test_without_journal_the_journal_is_a_temporary_file_removed_when_the_server_stops(tmp_path: Path) -> None:
    with serving(tmp_path) as (url, process):
        folders = list(tmp_path.glob("lendsim-serve-*"))
        assert httpx.post(f"{url}/bank/loans", json=loan_body()).status_code == 201
        entries = httpx.get(f"{url}/_sim/journal").json()["items"]
        on_disk = [path.name for path in folders[0].iterdir()] if len(folders) == 1 else []
        process.terminate()
        output = process.communicate(timeout=30)[0]

    assert len(folders) == 1, folders
    assert "journal.sqlite" in on_disk
    assert [entry["operation"] for entry in entries if entry["kind"] == "response"] == ["registerLoan"]
    assert f"journal                          {folders[0] / 'journal.sqlite'} (removed when the server stops" in output
    assert not folders[0].exists()
    assert list(tmp_path.iterdir()) == []


def test_journal_memory_keeps_it_in_memory_and_writes_no_file(tmp_path: Path) -> None:
    with serving(tmp_path, "--journal", ":memory:") as (url, process):
        assert httpx.post(f"{url}/bank/loans", json=loan_body()).status_code == 201
        written = list(tmp_path.iterdir())
        process.terminate()
        output = process.communicate(timeout=30)[0]

    assert written == []
    assert "journal                          :memory: (kept)" in output
