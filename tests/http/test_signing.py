"""Signed partner traffic over HTTP (docs/signing.md): a signed request to the bank is answered; one that does not
verify is a journaled 401 problem naming the rule — skewed, replayed, signed with the wrong key or an unknown one,
unsigned — and the bank's deliveries carry a signature the platform's own check (lendsim_examples) verifies, with
the bank's next key once it rotates."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from lendsim_examples._signing import Signing
from simulator.core import DeliveryResult, SigningConfig, SigningKey, signature_headers
from simulator.http import create_app
from simulator.world import Simulator
from tests.http.conftest import running

CONFIG = SigningConfig()
LOAN = "LN0000000001"
SCHEDULE = f"/loans/{LOAN}/schedule"


@dataclass
class Bank:
    sim: Simulator
    url: str

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> httpx.Response:
        return httpx.get(f"{self.url}/bank{path}", headers=dict(headers or {}), timeout=10)

    def signed(
        self, path: str = SCHEDULE, *, key: SigningKey = CONFIG.platform_key, at: datetime | None = None, nonce: str
    ) -> dict[str, str]:
        when = self.sim.clock.now() if at is None else at
        return signature_headers(key, method="GET", path=path, body=b"", at=when, nonce=nonce)


@pytest.fixture
def bank() -> Iterator[Bank]:
    sim = Simulator(seed=1, wall_clock=time.time)
    registered = sim.call("harness", "bank", "registerLoan", _loan())
    assert registered.status == 201
    sim.enable_signing(CONFIG)
    with running(create_app(sim)) as url:
        yield Bank(sim, url)


def _loan() -> dict[str, Any]:
    return {
        "loanOuterNo": LOAN,
        "borrowerId": "B000001",
        "creditContractNo": "CC0000000001",
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


def refusal(bank: Bank, response: httpx.Response) -> str:
    """The rule a 401 names, checked against its problem body and the journal's record of it."""
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    (error,) = body["errors"]
    assert body["rule"] == error["rule"] and body["detail"].startswith(error["rule"] + ": ")
    answer = bank.sim.journal.last(kind="response", partner="bank")
    assert answer is not None and answer.status == 401 and answer.data["refused"] is True
    assert answer.data["body"]["rule"] == body["rule"]
    return str(body["rule"])


def test_a_request_signed_as_the_docs_say_is_answered(bank: Bank) -> None:
    response = bank.get(SCHEDULE, bank.signed(nonce="good-nonce-0001"))

    assert response.status_code == 200, response.text
    assert response.json()["loanOuterNo"] == LOAN


def test_a_timestamp_beyond_the_window_is_refused_as_skew_in_virtual_time(bank: Bank) -> None:
    ahead = bank.sim.clock.now() + CONFIG.window + timedelta(seconds=1)
    within = bank.sim.clock.now() - CONFIG.window + timedelta(seconds=1)

    skewed = bank.get(SCHEDULE, bank.signed(at=ahead, nonce="skewed-nonce-01"))
    assert refusal(bank, skewed) == "skew" and "ahead of the bank's clock" in skewed.json()["detail"]
    assert bank.get(SCHEDULE, bank.signed(at=within, nonce="skewed-nonce-02")).status_code == 200

    bank.sim.advance(by=timedelta(hours=1))  # virtual time, not the wall clock, is what the window is about
    late = bank.get(SCHEDULE, bank.signed(at=within, nonce="skewed-nonce-03"))
    assert refusal(bank, late) == "skew" and "behind" in late.json()["detail"]


def test_a_nonce_used_again_within_the_window_is_refused_and_forgotten_after_it(bank: Bank) -> None:
    headers = bank.signed(nonce="replayed-nonce-1")

    assert bank.get(SCHEDULE, headers).status_code == 200
    assert refusal(bank, bank.get(SCHEDULE, headers)) == "nonce_reused"
    assert refusal(bank, bank.get(SCHEDULE, bank.signed(nonce="replayed-nonce-1"))) == "nonce_reused"

    bank.sim.advance(by=CONFIG.window * 2)
    assert bank.get(SCHEDULE, bank.signed(nonce="replayed-nonce-1")).status_code == 200
    assert bank.sim._verifier is not None and len(bank.sim._verifier) == 1  # the window's nonces only


def test_a_signature_made_with_the_wrong_secret_is_a_mismatch_and_does_not_use_up_its_nonce(bank: Bank) -> None:
    wrong = replace(CONFIG.platform_key, secret="not-the-platform-secret")

    assert refusal(bank, bank.get(SCHEDULE, bank.signed(key=wrong, nonce="wrong-key-nonce"))) == "signature_mismatch"
    assert bank.get(SCHEDULE, bank.signed(nonce="wrong-key-nonce")).status_code == 200


def test_a_signature_over_another_path_is_a_mismatch(bank: Bank) -> None:
    other = bank.signed(path=f"/loans/{LOAN}", nonce="other-path-nonce")

    assert refusal(bank, bank.get(SCHEDULE, other)) == "signature_mismatch"


@pytest.mark.parametrize(("app_id", "key_id"), [("platform", "p9"), ("someone", "p1"), ("bank", "b1")])
def test_a_key_the_bank_does_not_hold_for_the_platform_is_unknown(bank: Bank, app_id: str, key_id: str) -> None:
    key = SigningKey(app_id, key_id, CONFIG.platform_secret)

    assert refusal(bank, bank.get(SCHEDULE, bank.signed(key=key, nonce="unknown-key-nonce"))) == "unknown_key"


def test_an_unsigned_request_is_refused_naming_the_missing_headers(bank: Bank) -> None:
    response = bank.get(SCHEDULE)

    assert refusal(bank, response) == "signature_missing"
    assert "x-app-id, x-key-id, x-timestamp, x-nonce, x-signature missing" in response.json()["detail"]


def test_without_signing_nothing_is_checked() -> None:
    sim = Simulator(seed=1)
    sim.call("harness", "bank", "registerLoan", _loan())
    with running(create_app(sim)) as url:
        assert httpx.get(f"{url}/bank{SCHEDULE}", timeout=10).status_code == 200


# -- the bank's deliveries ------------------------------------------------------------------------------------


def test_deliveries_are_signed_with_the_bank_key_then_its_next_one_from_a_rotation() -> None:
    sim = Simulator(seed=1)
    sim.enable_signing(CONFIG)
    got: list[tuple[dict[str, str], bytes]] = []

    def deliver(operation: Any, body: Any, headers: Mapping[str, str]) -> DeliveryResult:
        from simulator.core import dumps

        got.append((dict(headers), dumps(body)))
        return DeliveryResult(200)

    sim.deliverer = deliver
    rotation = sim.clock.now() + timedelta(hours=1)
    sim.add_fault({"at": "bank.signing", "key_rotation": {}, "from": rotation.isoformat()})
    platform = Signing.from_setup(CONFIG.to_json(), "TEST")
    assert platform is not None
    body = {"respCode": "0000", "repayStatus": "SUCCESS", "repayOuterNo": "RP1"}
    sim.deliver("bank.repayResultNotify", body)
    sim.advance(by=timedelta(hours=2))
    sim.deliver("bank.repayResultNotify", body)
    sim.advance(by=timedelta(minutes=1))

    (before, raw_before), (after, raw_after) = got
    assert (before["x-key-id"], after["x-key-id"]) == ("b1", "b2")
    assert platform.check("/callbacks/bank/repay-result", before, raw_before, rotation - timedelta(hours=1)) is None
    assert platform.check("/callbacks/bank/repay-result", after, raw_after, sim.clock.now()) is None
    again = platform.check("/callbacks/bank/repay-result", after, raw_after, sim.clock.now())
    assert again is not None and again.startswith("nonce_reused")
    stale = Signing.from_setup({**CONFIG.to_json(), "bankKeys": [CONFIG.bank_key.to_json()]}, "OLD")
    assert stale is not None  # a platform that never learnt the next key refuses what is signed with it
    unknown = stale.check("/callbacks/bank/repay-result", after, raw_after, sim.clock.now())
    assert unknown is not None and unknown.startswith("unknown_key")
