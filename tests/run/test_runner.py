"""The runner: population, borrower actions, ticks and deliveries reach the platform; verdicts come back."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from simulator.cli import cli
from simulator.run import InProcessDriver, run_scenario
from simulator.scenario import build_scenario

SCENARIO = {
    "name": "runner-check",
    "seed": 9,
    "start": "2019-05-01",
    "duration": "20 days",
    "population": {"borrowers": 5, "loan": {"principal": "1000..2000", "term": 2, "due_day": 10}},
    "borrowers": {"on_time": "100%", "pay_at": "10:00"},
    "expect": {"no_false_delinquency": {"window": "5 days"}, "ledgers_reconcile": {}},
}


class Forwarder:
    """A small honest platform: forwards each repayment, retries with the same key, keeps a ledger."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.pending: list[dict[str, Any]] = []
        self.ledger: dict[tuple[str, int], dict[str, Any]] = {}
        self.log = logging.getLogger("lendsim.platform")

    def setup_run(self, body: dict[str, Any]) -> dict[str, Any]:
        self.calls.append("setup_run")
        self.bank = httpx.Client(base_url=body["partners"]["bank"], timeout=3)
        self.loans = {loan["loanOuterNo"]: loan for loan in body["loans"]}
        return {"ready": True}

    def tick(self, body: dict[str, Any]) -> dict[str, Any]:
        self.calls.append("tick")
        for repayment in list(self.pending):
            self._forward(repayment)
        return {"now": body["now"]}

    def borrower_repay(self, body: dict[str, Any]) -> dict[str, Any]:
        self.calls.append("borrower_repay")
        plan = self.bank.get(f"/loans/{body['loanOuterNo']}/schedule").json()["installments"]
        row = next(r for r in plan if r["installmentNo"] == body["installmentNo"])
        repayment = {
            "reqNo": f"Q-{body['loanOuterNo']}-{body['installmentNo']}",
            "repayOuterNo": f"R-{body['loanOuterNo']}-{body['installmentNo']}",
            "loanOuterNo": body["loanOuterNo"],
            "repayAmount": body["amount"],
            "repayMode": "PARTNER_COLLECT",
            "repayType": "NORMAL_REPAY",
            "actualRepayDate": body["paidAt"],
            "repayList": [
                {
                    "installmentNo": body["installmentNo"],
                    "paidPrincipal": row["duePrincipal"],
                    "paidInterest": row["dueInterest"],
                    "paidFee": row["dueCharge"],
                }
            ],
        }
        self.ledger[(body["loanOuterNo"], body["installmentNo"])] = repayment["repayList"][0]
        self.log.info("collected %s for %s", body["amount"], body["loanOuterNo"])
        self.pending.append(repayment)
        self._forward(repayment)
        return {"accepted": True, "platformRepayNo": repayment["repayOuterNo"]}

    def _forward(self, repayment: dict[str, Any]) -> None:
        try:
            if self.bank.post("/repayments", json=repayment).status_code == 200:
                self.pending.remove(repayment)
        except httpx.HTTPError:
            pass

    def platform_ledger(self) -> dict[str, Any]:
        loans: dict[str, list[dict[str, Any]]] = {}
        for (loan, number), line in sorted(self.ledger.items()):
            loans.setdefault(loan, []).append(
                {
                    "installmentNo": number,
                    "paidPrincipal": line["paidPrincipal"],
                    "paidInterest": line["paidInterest"],
                    "paidFee": line["paidFee"],
                    "paidPenalty": "0.00",
                    "status": "REPAYED",
                }
            )
        return {"loans": [{"loanOuterNo": loan, "installments": rows} for loan, rows in loans.items()]}

    def repay_result_notify(self, body: dict[str, Any]) -> dict[str, Any]:
        self.calls.append("repay_result_notify")
        return {}

    def bank_notice(self, body: dict[str, Any]) -> dict[str, Any]:
        return {}

    def sms_report(self, body: list[Any]) -> dict[str, Any]:
        return {"code": 0, "msg": "成功"}


def test_a_run_drives_the_platform_and_judges_it() -> None:
    platform = Forwarder()

    result = run_scenario(build_scenario(SCENARIO), InProcessDriver(platform))

    assert platform.calls[0] == "setup_run"
    assert platform.calls.count("borrower_repay") == 5  # one installment of each loan falls due in the run
    assert "repay_result_notify" in platform.calls and "tick" in platform.calls
    assert result.sim.journal.count(kind="event", operation="borrowerRepaid") == 5
    assert result.sim.journal.count(kind="event", operation="repayPosted") == 5
    assert result.sim.journal.count(kind="event", operation="platformLog") == 5
    assert result.passed, [v for v in result.verdicts if not v.held]


class LooseLedger(Forwarder):
    """Its ledger carries a total of its own and a loan without a number, beside the loans it names."""

    def platform_ledger(self) -> dict[str, Any]:
        ledger = super().platform_ledger()
        return {"loans": [*ledger["loans"], {"installments": []}], "total": "0.00"}


def test_the_platforms_ledger_is_journaled_an_entry_per_loan_and_what_names_none_as_it_came() -> None:
    result = run_scenario(build_scenario(SCENARIO), InProcessDriver(LooseLedger()))

    entries = list(result.sim.journal.iter(operation="platformLedger"))
    (rest,) = [entry for entry in entries if entry.loan is None]
    assert rest.data == {"loans": [{"installments": []}], "total": "0.00"}
    named = [entry for entry in entries if entry.loan is not None]
    assert len(named) == 5 and all(entry.data["loans"][0]["loanOuterNo"] == entry.loan for entry in named)
    assert len({entry.virtual_time for entry in entries}) == 1  # one reading
    (o4,) = [verdict for verdict in result.verdicts if verdict.key == "ledgers_reconcile"]
    assert (o4.checked, o4.held) == (5, True)


class HeaderReader:
    """A receiver that is an object (unhashable, as one defining ``__eq__`` is) and asks for the headers."""

    def __init__(self) -> None:
        self.headers: list[dict[str, str]] = []

    def __eq__(self, other: object) -> bool:
        return other is self

    def __call__(self, body: dict[str, Any], headers: dict[str, str], raw: bytes) -> dict[str, Any]:
        self.headers.append(headers)
        return {}


def test_a_receiver_that_asks_for_headers_gets_them_on_every_delivery_whatever_callable_it_is() -> None:
    platform = Forwarder()
    platform.repay_result_notify = HeaderReader()  # type: ignore[method-assign,assignment]

    run_scenario(build_scenario(SCENARIO), InProcessDriver(platform))

    assert len(platform.repay_result_notify.headers) >= 5  # type: ignore[attr-defined]
    received = platform.repay_result_notify.headers  # type: ignore[attr-defined]
    assert all(headers.get("x-lendsim-source") == "bank" for headers in received)


def test_a_run_with_the_link_down_across_the_batch_is_caught() -> None:
    scenario = build_scenario(
        {
            **SCENARIO,
            "faults": [
                {
                    "at": "bank.repayApply",
                    "outage": {"status": 503},
                    "from": "2019-05-10 00:00",
                    "until": "2019-05-19 00:00",
                }
            ],
        }
    )
    platform = Forwarder()
    platform.tick = lambda body: {"now": body["now"]}  # type: ignore[method-assign]  # never retries

    result = run_scenario(scenario, InProcessDriver(platform))

    o1 = next(v for v in result.verdicts if v.key == "no_false_delinquency")
    assert not o1.held and len(o1.violations) == 5


def test_the_same_seed_replays_the_same_journal() -> None:
    def fingerprint() -> list[tuple[str, str | None, str | None]]:
        result = run_scenario(build_scenario(SCENARIO), InProcessDriver(Forwarder()))
        return [(e.virtual_time.isoformat(), e.operation, e.loan) for e in result.sim.journal]

    assert fingerprint() == fingerprint()


def test_lendsim_run_reports_and_exits_by_verdict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = tmp_path / "my_platform.py"
    module.write_text("from tests.run.test_runner import Forwarder\n\ndef create():\n    return Forwarder()\n")
    scenario = tmp_path / "check.yaml"
    scenario.write_text(
        "name: runner-check\nseed: 9\nstart: 2019-05-01\nduration: 20 days\n"
        "population: {borrowers: 5, loan: {principal: 1000..2000, term: 2, due_day: 10}}\n"
        "borrowers: {on_time: 100%}\nexpect: {ledgers_reconcile: {}}\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    result = CliRunner().invoke(
        cli,
        [
            "run",
            str(scenario),
            "--platform",
            "my_platform:create",
            "--report-dir",
            str(tmp_path / "reports"),
            "--junit",
            str(tmp_path / "j.xml"),
        ],
    )

    assert result.exit_code == 0, result.output
    assert "1/1 invariants held" in result.output
    assert (tmp_path / "reports" / "runner-check-my-platform-create-9.json").exists()
    assert "<testcase" in (tmp_path / "j.xml").read_text(encoding="utf-8")


def test_lendsim_run_with_a_bad_platform_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["run", "scenarios/xiaomi-minsheng-2019.yaml", "--platform", "nonsense"])

    assert result.exit_code == 2
    assert "neither a URL, module:factory" in result.output


class Clockwatcher(Forwarder):
    """Records what its own clock said: the ticks' now and when borrowers paid."""

    def __init__(self) -> None:
        super().__init__()
        self.told: list[str] = []

    def tick(self, body: dict[str, Any]) -> dict[str, Any]:
        self.told.append(body["now"])
        return super().tick(body)

    def borrower_repay(self, body: dict[str, Any]) -> dict[str, Any]:
        self.told.append(body["paidAt"])
        return super().borrower_repay(body)


def test_a_skewed_platform_clock_shifts_what_the_platform_is_told_not_what_happened() -> None:
    platform = Clockwatcher()
    skewed = {
        **SCENARIO,
        "faults": [{"at": "platform.clock", "skew": {"by": "-5 minutes"}, "from": "2019-05-10", "until": "2019-05-11"}],
    }

    result = run_scenario(build_scenario(skewed), InProcessDriver(platform))

    assert "2019-05-10T09:55:00+08:00" in platform.told  # the borrowers paid at 10:00
    assert "2019-05-10T00:55:00+08:00" in platform.told and "2019-05-11T01:00:00+08:00" in platform.told
    truth = {e.data["paidAt"] for e in result.sim.journal.iter(kind="event", operation="borrowerRepaid")}
    assert truth == {"2019-05-10T10:00:00+08:00"}


INTO_2027 = {**SCENARIO, "name": "into-2027", "start": "2026-12-20", "duration": "25 days"}


def test_a_run_that_enters_a_year_without_holiday_data_warns_once_in_the_journal_and_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """lending-domain.md §2 #16 (SLAs use a configured calendar): chinese-calendar's newest release (1.11) knows
    2004–2026, so 2027 counts weekends only — the run says so once, when it enters the year, and still runs."""
    with caplog.at_level(logging.WARNING, logger="lendsim"):
        result = run_scenario(build_scenario(INTO_2027), InProcessDriver(Forwarder()))

    (missing,) = result.sim.journal.iter(kind="event", operation="holidayDataMissing")
    assert (missing.virtual_time.isoformat(), missing.data["year"]) == ("2027-01-01T00:00:00+08:00", 2027)
    assert [r.getMessage().startswith("no 'mainland' holiday data for 2027") for r in caplog.records] == [True]
    assert result.passed, [v for v in result.verdicts if not v.held]


def test_a_scenario_that_lists_the_years_holidays_runs_into_it_unwarned() -> None:
    """§2 #16: the scenario supplies 2027's New Year (calendar.extra_holidays) — the year is described, no warning."""
    scenario = build_scenario({**INTO_2027, "calendar": {"extra_holidays": ["2027-01-01"]}})

    result = run_scenario(scenario, InProcessDriver(Forwarder()))

    assert not scenario.warnings
    assert result.sim.journal.count(kind="event", operation="holidayDataMissing") == 0
    assert result.sim.clock.calendar.is_business_day(date(2027, 1, 1)) is False
