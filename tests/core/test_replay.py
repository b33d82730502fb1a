"""Rebuilding a world from its journal (what a restarted ``lendsim serve --journal FILE`` does): the world that
answered the first time answers the same again — loans, repayments, postings, clock, faults, deliveries waiting —
and a journal that cannot be reproduced is refused, naming the entry."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from concurrent.futures import Future
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from simulator import Simulator
from simulator.core import (
    INTERRUPTED,
    DeliveryResult,
    Request,
    Response,
    problem,
    record_start,
    replay,
    starting_point,
)
from simulator.errors import JournalError
from simulator.journal import Journal
from simulator.openapi import Operation
from tests.partners.bank.helpers import loan_body, repayment
from tests.partners.sms.helpers import ACK, overdue_notice

START = "2019-05-01T00:00:00+08:00"


def post(sim: Simulator, path: str, body: Any) -> Response:
    return sim.handle(Request("POST", path, "", {"content-type": "application/json"}, json.dumps(body).encode()))


def get(sim: Simulator, path: str) -> Any:
    return json.loads(sim.handle(Request("GET", path)).body)


class Background:
    """A deliverer that answers later, as the HTTP one does: each attempt waits until the test answers it."""

    def __init__(self) -> None:
        self.waiting: list[tuple[Operation, Any, Future[DeliveryResult]]] = []

    def __call__(self, operation: Operation, body: Any, headers: Mapping[str, str]) -> Future[DeliveryResult]:
        future: Future[DeliveryResult] = Future()
        self.waiting.append((operation, body, future))
        return future

    def answer_all(self, result: DeliveryResult) -> int:
        waiting, self.waiting = self.waiting, []
        for _, _, future in waiting:
            future.set_result(result)
        return len(waiting)


def served(path: Path, *, seed: int = 7, deliverer: Background | None = None) -> Simulator:
    """A world journaled to ``path`` as ``lendsim serve --journal`` starts one."""
    sim = Simulator(seed=seed, journal=Journal(path))
    sim.deliverer = deliverer
    record_start(sim, "serverStarted")
    return sim


def restarted(path: Path, *, deliverer: Background | None = None) -> tuple[Simulator, int]:
    """A new world rebuilt from the journal at ``path``, and how many deliveries the stop cut off (now retried)."""
    journal = Journal(path)
    point = starting_point(journal)
    assert point is not None
    start, seed = point
    sim = Simulator(seed=seed, start=start, journal=journal)
    replayed = replay(sim, journal)
    sim.deliverer = deliverer
    record_start(sim, "serverStarted", resumed=True)
    return sim, replayed.interrupt()


def busy_world(sim: Simulator) -> dict[str, int]:
    """Loans, repayments through a fault that answers 503 at random, clock advances: the statuses answered."""
    for index in range(12):
        post(sim, "/bank/loans", loan_body(loanOuterNo=f"LN{index}", creditContractNo=f"CC{index}"))
    post(sim, "/_sim/faults", {"at": "bank.repayApply", "outage": {"status": 503}, "probability": 0.3})
    answered = {}
    for index in range(12):
        body = repayment(f"RP{index}", 1, "1000.00", "18.00", loan=f"LN{index}", collected=START)
        answered[f"RP{index}"] = post(sim, "/bank/repayments", body).status
        if index % 5 == 0:
            post(sim, "/_sim/clock/advance", {"by": "PT1H"})
    post(sim, "/_sim/faults", {"at": "bank.getLoan", "outage": {"status": 500}})
    sim.handle(Request("DELETE", "/_sim/faults/f1"))
    post(sim, "/bank/loans", {"loanOuterNo": "not a loan"})  # refused: replayed as refused
    post(sim, "/_sim/clock/advance", {"by": "P2D"})
    return answered


def test_a_world_rebuilt_from_its_journal_answers_every_request_as_the_first_did(tmp_path: Path) -> None:
    path = tmp_path / "serve.journal"
    first = served(path)
    answered = busy_world(first)
    state = get(first, "/_sim/state")
    repayments = {key: get(first, f"/bank/repayments/{key}") for key in answered}
    recorded = len(first.journal)
    first.journal.close()

    second, _ = restarted(path)
    rebuilt = get(second, "/_sim/state")

    assert sorted(set(answered.values())) == [200, 503]  # both acknowledged and refused repayments were replayed
    assert {key: get(second, f"/bank/repayments/{key}") for key in answered} == repayments
    assert rebuilt["journal"]["entries"] == recorded + 1  # nothing replayed was journaled again; the restart marked
    assert {**rebuilt, "journal": None} == {**state, "journal": None}  # clock, faults, every partner's state
    assert rebuilt["partners"]["bank"]["state"]["postings"] > 0 and rebuilt["faults"][0]["id"] == "f2"


def test_refused_requests_are_journaled_and_a_replay_passes_over_them(tmp_path: Path) -> None:
    path = tmp_path / "serve.journal"
    first = served(path)
    post(first, "/bank/loans", loan_body())
    post(first, "/_sim/clock/advance", {"by": "tomorrow"})  # the control API's own refusals: 400, 404
    first.handle(Request("POST", "/_sim/nothing", "", {"content-type": "application/json"}))
    # what the HTTP adapter refuses before the engine reads the request (http/_guard.py, http/_deadline.py)
    first.refuse(Request("POST", "/_sim/reset", "", {"content-type": "text/plain"}), problem(415, "Unsupported"))
    first.refuse(Request("POST", "/bank/repayments", "", {"content-length": "500"}), problem(408, "Request Timeout"))
    post(first, "/_sim/clock/advance", {"by": "PT1H"})
    state = get(first, "/_sim/state")
    refused = [(entry.kind, entry.partner, entry.status) for entry in first.journal if entry.data.get("refused")]
    first.journal.close()

    second, _ = restarted(path)

    assert [status for kind, _, status in refused if kind == "response"] == [400, 404, 415, 408]
    assert {**get(second, "/_sim/state"), "journal": None} == {**state, "journal": None}
    assert second.clock.now().isoformat() == "2019-05-01T01:00:00+08:00"  # the reset refused was not replayed


def test_time_moved_by_real_time_between_requests_is_moved_again(tmp_path: Path) -> None:
    # lendsim serve --speed moves the clock before each request without journaling the move: the requests' own
    # times (and the events the clock ran) say where it was.
    path = tmp_path / "serve.journal"
    first = served(path)
    post(first, "/bank/loans", loan_body())
    first.clock.advance_to(first.clock.now() + timedelta(hours=3, seconds=7))
    post(first, "/bank/repayments", repayment("RP1", 1, "1000.00", "18.00", collected=START))
    first.clock.advance_to(first.clock.now() + timedelta(days=1, minutes=3))
    status = get(first, "/bank/repayments/RP1")
    now = first.clock.now()
    first.journal.close()

    second, _ = restarted(path)

    assert get(second, "/bank/repayments/RP1") == status and status["repayStatus"] == "SUCCESS"
    assert second.clock.now() <= now  # the last journaled instant: the server's clock goes on from there


def test_a_delivery_cut_off_by_the_stop_is_retried_and_answered_ones_are_not_sent_again(tmp_path: Path) -> None:
    path = tmp_path / "serve.journal"
    platform = Background()
    first = served(path, deliverer=platform)
    post(first, "/bank/loans", loan_body())
    post(first, "/bank/repayments", repayment("RP1", 1, "1000.00", "18.00", collected=START))
    post(first, "/bank/repayments", repayment("RP2", 2, "1000.00", "12.00", collected=START))
    first.advance(by=timedelta(minutes=1))  # both posted: two callbacks under way
    platform.waiting[0][2].set_result(DeliveryResult(200, body={"code": "SUCCESS"}))  # RP1's answered, RP2's not
    platform.waiting = platform.waiting[1:]
    first.journal.close()  # killed: RP2's callback never got its answer journaled

    later = Background()
    second, interrupted = restarted(path, deliverer=later)
    second.advance(by=timedelta(minutes=1))  # the bank retries a failed callback after a minute

    assert interrupted == 1
    cut_off = second.journal.last(kind="delivery", serial="RP2")
    assert cut_off is not None and cut_off.data["error"] == INTERRUPTED
    assert [body["repayOuterNo"] for _, body, _ in later.waiting] == ["RP2"]


def test_what_the_platform_answered_a_delivery_is_given_again(tmp_path: Path) -> None:
    # An SMS receipt counts as taken only when the platform answers {"code": 0}: the answer itself is replayed.
    path = tmp_path / "serve.journal"
    platform = Background()
    first = served(path, deliverer=platform)
    post(first, "/sms/send", overdue_notice())
    first.advance(by=timedelta(minutes=1))  # delivered to the handset: the receipt is pushed
    platform.answer_all(DeliveryResult(200, body=dict(ACK)))
    first.advance(by=timedelta(minutes=30))  # acknowledged: never pushed again
    acknowledged = list(first.journal.iter(kind="event", operation="receiptAcknowledged"))
    first.journal.close()

    later = Background()
    second, interrupted = restarted(path, deliverer=later)
    second.advance(by=timedelta(hours=1))

    assert len(acknowledged) == 1 and interrupted == 0
    assert len(list(second.journal.iter(kind="event", operation="receiptAcknowledged"))) == 1
    assert later.waiting == []


def test_a_world_reset_over_the_control_api_is_rebuilt_from_the_reset(tmp_path: Path) -> None:
    path = tmp_path / "serve.journal"
    first = served(path)
    post(first, "/bank/loans", loan_body())
    post(first, "/_sim/reset", {"start": "2019-06-01T09:00:00+08:00", "seed": 3})
    post(first, "/bank/loans", loan_body(loanOuterNo="LN-AFTER", creditContractNo="CC-AFTER"))
    first.journal.close()

    with Journal(path) as journal:
        point = starting_point(journal)
    second, _ = restarted(path)

    assert point is not None and (point[0].isoformat(), point[1]) == ("2019-06-01T09:00:00+08:00", 3)
    assert get(second, "/_sim/state")["partners"]["bank"]["state"]["loans"] == 1
    assert get(second, "/bank/loans/LN-AFTER")["loanOuterNo"] == "LN-AFTER"


def test_a_journal_that_does_not_say_how_its_world_started_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "run.journal"
    sim = Simulator(seed=7, journal=Journal(path))
    post(sim, "/bank/loans", loan_body())
    sim.journal.close()

    with Journal(path) as journal, pytest.raises(JournalError) as refused:
        starting_point(journal)

    assert str(refused.value) == (
        f"the journal {str(path)!r} holds 3 entries but no record of how its world started (it was written by "
        "another command or an earlier lendsim), so the world cannot be rebuilt from it; start over with --fresh "
        "(the file is kept aside)"
    )


def test_a_journal_written_against_other_contracts_is_refused_naming_them(tmp_path: Path) -> None:
    path = tmp_path / "serve.journal"
    first = served(path)
    post(first, "/bank/loans", loan_body())
    first.journal.close()
    with sqlite3.connect(path) as db:  # as if the bank's contract had changed since
        (data,) = db.execute("SELECT data FROM entries WHERE seq = 1").fetchone()
        marker = json.loads(data)
        marker["contracts"]["bank"] = "0" * 64
        db.execute("UPDATE entries SET data = ? WHERE seq = 1", (json.dumps(marker),))

    with pytest.raises(JournalError, match=r"was written against other contracts \(they differ for: bank\)"):
        restarted(path)


def test_a_journal_the_engine_does_not_reproduce_is_refused_naming_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "serve.journal"
    first = served(path)
    post(first, "/bank/loans", loan_body())
    post(first, "/bank/repayments", repayment("RP1", 1, "1000.00", "18.00", collected=START))
    first.journal.close()
    with sqlite3.connect(path) as db:  # the record says the repayment was refused; the engine accepts it
        (seq,) = db.execute("SELECT seq FROM entries WHERE kind = 'response' AND operation = 'repayApply'").fetchone()
        db.execute("UPDATE entries SET status = 409 WHERE seq = ?", (seq,))

    with pytest.raises(JournalError) as refused:
        restarted(path)

    assert (
        f"seq {seq} records response bank repayApply 409 at 2019-05-01T00:00:00+08:00, but replaying it journals "
        "response bank repayApply 200 at 2019-05-01T00:00:00+08:00"
    ) in str(refused.value)
    assert "start over with --fresh" in str(refused.value)
