"""A tour of `lendsim serve`: start it, send a repayment through the bank over HTTP, print the journal.

Run with `.venv/bin/python scripts/http_tour.py`. Exits non-zero if any step does not behave.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
LENDSIM = str(Path(sys.executable).with_name("lendsim"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(client: httpx.Client, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"lendsim serve exited early with code {server.returncode}")
        try:
            if client.get("/_sim/health").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("lendsim serve did not answer within 20 s")


def show(title: str, response: httpx.Response) -> Any:
    body = response.json() if response.content else None
    print(f"\n{title}\n  -> {response.status_code}  {body}")
    return body


def main() -> int:
    port = free_port()
    server = subprocess.Popen([LENDSIM, "serve", "--port", str(port), "--seed", "20190514"], cwd=ROOT)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            wait_until_up(client, server)
            show("The virtual clock", client.get("/_sim/clock"))
            loan = {
                "loanOuterNo": "LN201902100001",
                "borrowerId": "B000123",
                "creditContractNo": "CC201902100001",
                "principal": "3000.00",
                "annualRate": "0.0720",
                "term": 3,
                "dueDay": 10,
                "disburseDate": "2019-04-10",
                "repayMethod": "EQUAL_INSTALLMENT",
                "name": "张伟",
                "certType": "ID_CARD",
                "certNo": "110105199003071239",
                "phone": "13912345678",
            }
            registered = client.post("/bank/loans", json=loan)
            first = registered.json()["schedule"][0]
            print(f"\nThe platform registers a loan: POST /bank/loans -> {registered.status_code}")
            print(
                f"  installment 1 due {first['dueDate']}: principal {first['duePrincipal']}, "
                f"interest {first['dueInterest']}"
            )
            amount = f"{float(first['duePrincipal']) + float(first['dueInterest']):.2f}"
            repayment = {
                "reqNo": "REQ-20190510-0001",
                "repayOuterNo": "RP-20190510-0001",
                "loanOuterNo": "LN201902100001",
                "repayAmount": amount,
                "repayMode": "PARTNER_COLLECT",
                "repayType": "NORMAL_REPAY",
                "actualRepayDate": "2019-05-10T20:15:00+08:00",
                "repayList": [
                    {
                        "installmentNo": 1,
                        "paidPrincipal": first["duePrincipal"],
                        "paidInterest": first["dueInterest"],
                        "paidFee": "0.00",
                    }
                ],
            }
            client.post("/_sim/clock/advance", json={"to": "2019-05-10T20:15:00+08:00"})
            ok = client.post("/bank/repayments", json=repayment)
            show("On the due date the platform forwards the repayment: POST /bank/repayments", ok)
            again = client.post("/bank/repayments", json=repayment)
            show("It retries with the same repayOuterNo: the same result, no second posting", again)
            bad = client.post("/bank/repayments", json={**repayment, "repayAmount": float(amount)})
            show("The same with the amount as a number instead of an exact decimal string", bad)
            show("A minute passes: POST /_sim/clock/advance", client.post("/_sim/clock/advance", json={"by": "PT1M"}))
            show(
                "The bank's answer now: GET /bank/repayments/RP-20190510-0001",
                client.get("/bank/repayments/RP-20190510-0001"),
            )
            journal = client.get("/_sim/journal", params={"loan": "LN201902100001", "limit": 100}).json()
            jobs = client.get("/_sim/journal", params={"kind": "event", "partner": "bank", "limit": 1000}).json()
            daily = sum(1 for e in jobs["items"] if e["loan"] is None)
            print(
                f"\nWhat the journal recorded about the loan (GET /_sim/journal?loan=…; personal data masked; "
                f"besides, {daily} runs of the bank's daily jobs):"
            )
            for entry in journal["items"]:
                print(
                    f"  #{entry['seq']:<3} {entry['virtualTime']}  {entry['kind']:<9} "
                    f"{(entry['partner'] or ''):<5} {(entry['operation'] or ''):<24} "
                    f"status={entry['status'] or '-':<4} loan={entry['loan'] or '-'} serial={entry['serial'] or '-'}"
                )
            posted = [e for e in journal["items"] if e["operation"] == "repayPosted"]
            if registered.status_code != 201 or ok.status_code != 200 or bad.status_code != 400 or len(posted) != 1:
                print("\nThe demo did not behave as expected.", file=sys.stderr)
                return 1
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(
        "\nDone: the bank registered the loan, accepted the repayment once (the retry was idempotent), refused the "
        "malformed one with a problem naming the field, posted it on the virtual clock and tried to call the "
        "platform back (none is configured here, so the callback is journaled as undeliverable)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
