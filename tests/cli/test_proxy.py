"""``lendsim proxy`` as a user runs it: a real process between a client and an upstream, printing each exchange."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from simulator import Simulator
from simulator.cli import main
from simulator.http import create_app
from simulator.journal import Journal
from tests.cli.test_serve import free_port, start, taken_port
from tests.http.conftest import running
from tests.http.test_proxy import LOAN

BIN = Path(sys.executable).parent
BANK = str(Path(__file__).resolve().parents[2] / "contracts" / "bank.yaml")


def test_the_proxy_prints_each_exchange_masked_and_leaves_journal_and_examples(tmp_path: Path) -> None:
    journal, examples, port = tmp_path / "proxy.sqlite", tmp_path / "bank-recorded.yaml", free_port()
    with running(create_app(Simulator(seed=1))) as upstream:
        process = subprocess.Popen(
            [
                *(str(BIN / "lendsim"), "proxy", "--contract", BANK, "--upstream", f"{upstream}/bank"),
                *("--port", str(port), "--journal", str(journal), "--record-examples", str(examples)),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60  # a cold start on a busy machine
            while True:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                try:
                    created = httpx.post(f"http://127.0.0.1:{port}/loans", json=LOAN)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "lendsim proxy did not start"
                    time.sleep(0.1)
        finally:
            process.terminate()
            output = process.communicate(timeout=10)[0]

    assert created.status_code == 201
    assert "#1 POST /loans (registerLoan) → 201, ok" in output
    assert "1 exchanges, 0 with violations; 2 examples recorded" in output
    assert [entry.kind for entry in Journal(journal).iter()] == ["request", "response"]
    assert "recorded-1:" in examples.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--contract", BANK, "--upstream", "sandbox.bank.example"), "is not an http(s) URL"),
        (("--contract", "no/such.yaml", "--upstream", "http://127.0.0.1:9"), "no such file"),
        (
            ("--contract", BANK, "--upstream", "http://127.0.0.1:9", "--record-examples", "/no/such/folder/x.yaml"),
            "cannot write in '/no/such/folder' (no such folder)",
        ),
        (("--contract", BANK, "--upstream", "http://127.0.0.1:9", "--host", "192.0.2.1"), "is not an address of"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], expected: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["proxy", *args])

    output = capsys.readouterr().err
    assert exit_.value.code == 2 and expected in output and output.count("\n") == 1


def test_a_port_in_use_is_one_line_and_exit_2_before_any_banner() -> None:
    with taken_port() as port:
        result = start("proxy", "--contract", BANK, "--upstream", "http://127.0.0.1:9", "--port", str(port))

    assert result.returncode == 2
    assert result.stderr == f"error: port {port} on 127.0.0.1 is in use; choose another with --port\n"
    assert result.stdout == ""  # neither a banner nor a summary of exchanges that never were
