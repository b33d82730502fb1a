"""``lendsim serve --journal FILE`` as a user runs it: what it acknowledged survives ``kill -9``, a restart on the
file rebuilds the world and answers truthfully, ``--fresh`` keeps the old file aside, and no value a client sends
can poison the journal."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from simulator.journal import Journal
from tests.partners.bank.helpers import loan_body, repayment

LENDSIM = str(Path(sys.executable).parent / "lendsim")
START = "2019-05-01T10:00:00+08:00"


class Server:
    def __init__(self, process: subprocess.Popen[str], url: str) -> None:
        self.process = process
        self.url = url
        self.output = ""

    def kill(self) -> None:
        """kill -9: no shutdown, no flush, no checkpoint."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.output = self.process.communicate(timeout=30)[0]


@contextmanager
def serving(journal: Path, *args: str) -> Iterator[Server]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [LENDSIM, "serve", "--port", str(port), "--journal", str(journal), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    server = Server(process, f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, process.communicate()[0]
            try:
                httpx.get(f"{server.url}/", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "lendsim serve did not start"
                time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            server.output = process.communicate(timeout=30)[0]


def refused(journal: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LENDSIM, "serve", "--port", "0", "--journal", str(journal), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def register_loans(url: str, count: int) -> None:
    with httpx.Client(base_url=url) as client:
        for index in range(count):
            body = loan_body(
                loanOuterNo=f"LN{index:03d}", creditContractNo=f"CC{index:03d}", borrowerId=f"B{index:03d}"
            )
            assert client.post("/bank/loans", json=body).status_code == 201


def pay(key: str, loan: str) -> dict[str, Any]:
    return repayment(key, 1, "0.01", "0.00", amount="0.01", loan=loan, collected=START)


@pytest.mark.slow
def test_killed_under_load_a_restarted_server_answers_every_acknowledged_repayment_truthfully(tmp_path: Path) -> None:
    journal = tmp_path / "serve.journal"
    acknowledged: dict[str, dict[str, Any]] = {}
    with serving(journal, "--start", START, "--speed", "600") as first:  # postings happen while the load runs
        register_loans(first.url, 10)
        stop = threading.Event()

        def client(number: int) -> None:
            with httpx.Client(base_url=first.url, timeout=10) as http:
                for count in range(1_000_000):
                    key = f"RP{number}-{count:06d}"
                    try:
                        answer = http.post("/bank/repayments", json=pay(key, f"LN{count % 10:03d}"))
                    except httpx.TransportError:
                        return  # killed under it
                    if answer.status_code == 200:
                        acknowledged[key] = answer.json()
                    if stop.is_set():
                        return

        clients = [threading.Thread(target=client, args=(number,)) for number in range(4)]
        for thread in clients:
            thread.start()
        time.sleep(2)
        first.kill()
        stop.set()
        for thread in clients:
            thread.join(timeout=30)

    with serving(journal) as second, httpx.Client(base_url=second.url) as http:
        now = http.get("/_sim/clock").json()["now"]
        answers = {key: http.get(f"/bank/repayments/{key}") for key in acknowledged}

    assert len(acknowledged) > 20
    assert {key: answer.status_code for key, answer in answers.items() if answer.status_code != 200} == {}
    for key, answer in answers.items():
        status = answer.json()
        assert (status["repayOuterNo"], status["repayAmount"]) == (key, "0.01")
        assert status["repayStatus"] in ("PROCESSING", "SUCCESS")
        assert acknowledged[key]["repayStatus"] != "SUCCESS" or status["repayStatus"] == "SUCCESS"  # never back
    assert now >= max(answer["acceptedAt"] for answer in acknowledged.values())
    assert f"resumed from {journal}: " in second.output


def test_a_restarted_server_remembers_the_world_and_goes_on_in_its_journal(tmp_path: Path) -> None:
    journal = tmp_path / "serve.journal"
    with serving(journal, "--start", START, "--seed", "11") as first, httpx.Client(base_url=first.url) as http:
        register_loans(first.url, 3)
        http.post("/bank/repayments", json=pay("RP-1", "LN000")).raise_for_status()
        http.post("/_sim/faults", json={"at": "bank.repayApply", "outage": {"status": 503}}).raise_for_status()
        http.post("/_sim/clock/advance", json={"by": "P1DT2H"}).raise_for_status()
        before = http.get("/_sim/state").json()

    with serving(journal) as second, httpx.Client(base_url=second.url) as http:
        after = http.get("/_sim/state").json()
        refused_by_the_fault = http.post("/bank/repayments", json=pay("RP-2", "LN001"))
        never_sent = http.get("/bank/repayments/RP-404")

    assert {**after, "journal": None} == {**before, "journal": None}  # clock, seed, loans, postings, faults
    assert after["seed"] == 11 and after["partners"]["bank"]["state"]["postings"] == 1
    assert refused_by_the_fault.status_code == 503
    assert never_sent.status_code == 404  # what it never acknowledged it still does not know
    assert f"resumed from {journal}: " in second.output and "virtual time 2019-05-02T12:00:00+08:00" in second.output
    with Journal(journal) as written:
        times = [entry.virtual_time for entry in written]
        markers = [entry.data.get("resumed", False) for entry in written.iter(operation="serverStarted")]
    assert times == sorted(times)  # one life, virtual time never going back
    assert markers == [False, True]


def test_fresh_keeps_the_old_journal_aside_and_starts_a_new_world(tmp_path: Path) -> None:
    journal = tmp_path / "serve.journal"
    with serving(journal, "--start", START) as first:
        register_loans(first.url, 2)

    with serving(journal, "--fresh") as second, httpx.Client(base_url=second.url) as http:
        loans = http.get("/_sim/state").json()["partners"]["bank"]["state"]["loans"]

    assert loans == 0
    assert f"the journal that was at {journal} is kept as {journal}.1; a new world starts" in second.output
    with Journal(f"{journal}.1") as kept:
        assert kept.count(kind="response", operation="registerLoan", status=201) == 2


@pytest.mark.slow  # over 7 s: processes started as a user starts them; scripts/test runs it after the default suite
def test_a_seed_or_start_other_than_the_journals_is_refused_naming_both(tmp_path: Path) -> None:
    journal = tmp_path / "serve.journal"
    with serving(journal, "--start", START, "--seed", "11"):
        pass

    other_seed = refused(journal, "--seed", "12")
    other_start = refused(journal, "--start", "2019-06-01T00:00:00+08:00")

    assert other_seed.returncode == 2 and other_start.returncode == 2
    assert (
        f"--seed 12 differs from the 11 the world in {journal} started with; it resumes with its own: drop --seed, "
        "or start a new world with --fresh (the file is kept aside)"
    ) in other_seed.stderr
    assert "--start 2019-06-01T00:00:00+08:00 differs from the 2019-05-01T10:00:00+08:00" in other_start.stderr
    assert "Traceback" not in other_seed.stderr + other_start.stderr


@pytest.mark.slow  # over 7 s: processes started as a user starts them; scripts/test runs it after the default suite
def test_a_restart_by_other_rules_is_refused_naming_each_setting_and_by_the_same_rules_resumes(tmp_path: Path) -> None:
    """A world ran by its --rules and --calendar: rebuilt by others it would answer what it never answered (a grace
    counted in other days), so a restart must be given them again."""
    journal = tmp_path / "serve.journal"
    rules = tmp_path / "bank-rules.yaml"
    rules.write_text("bank: {grace: 3 working days}\n", encoding="utf-8")
    with serving(journal, "--start", START, "--rules", str(rules), "--calendar", "none") as first:
        register_loans(first.url, 2)

    without_rules = refused(journal, "--calendar", "none")
    without_calendar = refused(journal, "--rules", str(rules))
    with (
        serving(journal, "--rules", str(rules), "--calendar", "none") as again,
        httpx.Client(base_url=again.url) as http,
    ):
        loans = http.get("/_sim/state").json()["partners"]["bank"]["state"]["loans"]

    assert without_rules.returncode == 2 and without_calendar.returncode == 2
    assert f"the world in the journal {str(journal)!r} ran by other rules than this server's (" in without_rules.stderr
    assert "bank.grace_business_days: True then, False now" in without_rules.stderr
    assert "calendar.holidays: None then, mainland now" in without_calendar.stderr
    assert "give the --rules file and --calendar it started with, or start over with --fresh" in without_rules.stderr
    assert "Traceback" not in without_rules.stderr + without_calendar.stderr
    assert loans == 2


def test_a_journal_that_cannot_be_rebuilt_from_is_refused_with_the_fix(tmp_path: Path) -> None:
    journal = tmp_path / "other.journal"
    with Journal(journal) as written:  # written by something else: no record of how its world started
        written.append("event", datetime.fromisoformat(START), partner="bank", operation="loanRegistered")

    done = refused(journal)

    assert done.returncode == 2
    assert "holds 1 entries but no record of how its world started" in done.stderr
    assert "start over with --fresh (the file is kept aside)" in done.stderr


def test_a_value_that_cannot_be_stored_never_poisons_the_journal(tmp_path: Path) -> None:
    # A lone surrogate is legal JSON ("\udc00") but no Unicode: refused, journaled, and nothing after it suffers.
    journal = tmp_path / "serve.journal"
    poisoned = json.dumps(loan_body(name="\udc00")).encode()  # json.dumps writes it as the escape \udc00
    with serving(journal) as server, httpx.Client(base_url=server.url) as http:
        refusal = http.post("/bank/loans", content=poisoned, headers={"content-type": "application/json"})
        state = http.get("/_sim/state")
        page = http.get("/_sim/journal", params={"kind": "request"})
        answers = [http.get(f"/bank/loans/LN{number}").status_code for number in range(1_100)]  # past a batch
        entries = http.get("/_sim/state").json()["journal"]["entries"]

    assert refusal.status_code == 400
    assert [(e["field"], e["rule"]) for e in refusal.json()["errors"]] == [("body.name", "unicode")]
    assert state.status_code == 200 and page.status_code == 200
    assert '"name": "\\udc00"' in page.json()["items"][0]["data"]["bodyText"]  # journaled as sent (masked)
    assert set(answers) == {404}
    with sqlite3.connect(journal) as outside:  # everything answered is in the file
        assert outside.execute("SELECT count(*) FROM entries").fetchone()[0] == entries


def test_fresh_and_fsync_need_a_journal_file() -> None:
    for flag in ("--fresh", "--fsync"):
        done = subprocess.run([LENDSIM, "serve", "--port", "0", flag], capture_output=True, text=True, timeout=120)

        assert done.returncode == 2
        assert f"error: {flag} is about the journal file; give one with --journal FILE" in done.stderr
