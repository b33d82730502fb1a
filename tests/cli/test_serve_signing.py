"""``lendsim serve --signing`` as a user runs it: the bank refuses what does not verify, a restart on the journal
remembers the nonces it took, and a bad ``--signing-file`` is one line naming the file, the field and the fix."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime
from pathlib import Path

import httpx

from simulator.core import SigningConfig, signature_headers
from tests.cli.test_serve_journal import LENDSIM, START, serving
from tests.partners.bank.helpers import loan_body

KEY = SigningConfig().platform_key


def signed_post(url: str, path: str, body: dict[str, object], nonce: str) -> httpx.Response:
    payload = json.dumps(body).encode()
    headers = signature_headers(
        KEY, method="POST", path=path, body=payload, at=datetime.fromisoformat(START), nonce=nonce
    )
    return httpx.post(f"{url}/bank{path}", content=payload, headers={**headers, "content-type": "application/json"})


def test_served_signed_the_bank_refuses_the_unsigned_and_a_restart_remembers_the_nonces(tmp_path: Path) -> None:
    journal = tmp_path / "serve.journal"
    first_loan = loan_body(loanOuterNo="LN001", creditContractNo="CC001", borrowerId="B001")
    with serving(journal, "--start", START, "--signing") as first:
        taken = signed_post(first.url, "/loans", first_loan, "nonce-first-01")
        unsigned = httpx.post(f"{first.url}/bank/loans", json=loan_body(loanOuterNo="LN002"))

    with serving(journal, "--signing") as second:
        replayed = signed_post(second.url, "/loans", first_loan, "nonce-first-01")
        state = httpx.get(f"{second.url}/_sim/state").json()

    assert taken.status_code == 201, taken.text
    assert unsigned.status_code == 401 and unsigned.json()["rule"] == "signature_missing"
    assert replayed.status_code == 401 and replayed.json()["rule"] == "nonce_reused"
    assert state["partners"]["bank"]["state"]["loans"] == 1
    assert "signing                          HMAC-SHA256" in first.output


def test_a_bad_signing_file_is_one_line_naming_the_file_and_the_field(tmp_path: Path) -> None:
    keys = tmp_path / "keys.yaml"
    keys.write_text("window: 2 days\n", encoding="utf-8")

    result = subprocess.run(
        [LENDSIM, "serve", "--port", "0", "--signing-file", str(keys)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 2
    assert (
        f"--signing-file {keys}: signing.window: must be above zero and at most an hour, got '2 days'" in result.stderr
    )
    assert "Traceback" not in result.stderr
