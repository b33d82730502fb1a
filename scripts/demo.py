"""The foundation demo: start ``lendsim serve``, send a repayment through it over HTTP, print the journal.

Run through ``scripts/demo`` (which sets up .venv). Exits non-zero if any step does not behave.
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
            repayment = {
                "reqNo": "REQ-20190510-0001",
                "repayOuterNo": "RP-20190510-0001",
                "loanOuterNo": "LN-2019-000123",
                "repayAmount": "1050.00",
                "repayMode": "PARTNER_COLLECT",
                "repayType": "NORMAL_REPAY",
                "actualRepayDate": "2019-05-10T20:15:00+08:00",
                "repayList": [
                    {"installmentNo": 1, "paidPrincipal": "1000.00", "paidInterest": "50.00", "paidFee": "0.00"}
                ],
            }
            ok = client.post("/bank/repayments", json=repayment)
            show("The platform forwards a repayment: POST /bank/repayments", ok)
            bad = client.post("/bank/repayments", json={**repayment, "repayAmount": 1050})
            show("The same with the amount as a number instead of an exact decimal string", bad)
            show(
                "One virtual day passes: POST /_sim/clock/advance",
                client.post("/_sim/clock/advance", json={"by": "P1D"}),
            )
            journal = client.get("/_sim/journal", params={"limit": 50}).json()
            print("\nWhat the journal recorded (GET /_sim/journal):")
            for entry in journal["items"]:
                print(
                    f"  #{entry['seq']:<3} {entry['virtualTime']}  {entry['kind']:<9} "
                    f"{(entry['partner'] or ''):<5} {(entry['operation'] or ''):<14} "
                    f"status={entry['status'] or '-':<4} loan={entry['loan'] or '-'} serial={entry['serial'] or '-'}"
                )
            if ok.status_code != 200 or bad.status_code != 400 or len(journal["items"]) < 5:
                print("\nThe demo did not behave as expected.", file=sys.stderr)
                return 1
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(
        "\nDone: the simulator validated both requests, answered the good one, rejected the bad one with a "
        "problem naming the field, and journaled everything on the virtual clock."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
