"""`lendsim serve --calendar/--rules` as a user runs it: the bank's day counts, the calendar, years without holidays.

Sources: lending-domain.md §2 #16 (calendar mismatch — "30 工作日" vs "30 天", 调休 Saturdays, Spring Festival: SLAs use
a configured calendar), §1.2 (7) (grace 0–3 days before the overdue batch).
"""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.cli.test_serve import serving, start
from tests.partners.bank.helpers import loan_body, repayment

APRIL_LOAN = loan_body(disburseDate="2019-04-10")  # installment 1 due Friday 10 May 2019


def _status_on_15_may(*args: str) -> str:
    with serving(*args) as served:
        assert httpx.post(f"{served.url}/bank/loans", json=APRIL_LOAN).status_code == 201
        advanced = httpx.post(f"{served.url}/_sim/clock/advance", json={"to": "2019-05-15T03:00:00+08:00"})
        assert advanced.status_code == 200, advanced.text
        loan = httpx.get(f"{served.url}/bank/loans/{APRIL_LOAN['loanOuterNo']}").json()
    status: str = loan["status"]
    return status


def test_a_rules_file_makes_the_grace_count_working_days(tmp_path: Path) -> None:
    """§2 #16: the same loan, 3 days of grace — calendar days end Monday 13 May (overdue at the batch of the 14th),
    working days end Wednesday 15 May (not yet overdue on the 15th)."""
    rules = tmp_path / "bank-rules.yaml"
    rules.write_text("bank: {grace: 3 working days}\n", encoding="utf-8")

    assert _status_on_15_may() == "OVERDUE"
    assert _status_on_15_may("--rules", str(rules)) == "ACTIVE"


def test_a_server_entering_a_year_without_holiday_data_warns_once_in_the_journal_and_the_log() -> None:
    """chinese-calendar's newest release knows 2004–2026: a server that runs into 2027 counts it weekends only and
    says so once — a holidayDataMissing event and a warning in its output — until the year's holidays are given."""
    with serving("--start", "2026-12-31T23:00:00") as served:
        for to in ("2027-01-02T00:00:00+08:00", "2027-03-01T00:00:00+08:00"):
            httpx.post(f"{served.url}/_sim/clock/advance", json={"to": to}).raise_for_status()
        found = httpx.get(f"{served.url}/_sim/journal", params={"operation": "holidayDataMissing"}).json()

    (entry,) = found["items"]
    assert (entry["virtualTime"], entry["data"]["year"]) == ("2027-01-01T00:00:00+08:00", 2027)
    assert served.output.count("no 'mainland' holiday data for 2027") == 1, served.output


def test_a_rules_file_that_lists_the_years_holidays_silences_the_warning(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("calendar: {extra_holidays: [2027-01-01, 2027-02-06]}\n", encoding="utf-8")

    with serving("--start", "2026-12-31T23:00:00", "--rules", str(rules)) as served:
        httpx.post(f"{served.url}/_sim/clock/advance", json={"by": "P2D"}).raise_for_status()
        found = httpx.get(f"{served.url}/_sim/journal", params={"operation": "holidayDataMissing"}).json()

    assert found["items"] == []
    assert "holiday data" not in served.output


def test_a_bad_rules_file_is_refused_naming_file_line_the_value_and_the_fix(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("bank:\n  grace: 3 fortnights\n  penalty_rounding: dayly\nname: x\n", encoding="utf-8")

    result = start("serve", "--rules", str(rules))

    assert result.returncode == 2 and result.stdout == ""
    assert f'{rules}:2:3: error: bank.grace: "3 fortnights" is not valid here' in result.stderr
    assert "'30 working days'" in result.stderr
    assert f"{rules}:3:3: error: bank.penalty_rounding: 'dayly' is not allowed; did you mean 'daily'?" in result.stderr
    assert f"{rules}:4:1: error: name: unknown key 'name'; a rules file holds only calendar, bank" in result.stderr
    assert "Traceback" not in result.stderr


def test_calendar_and_a_rules_file_that_disagree_are_refused(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("calendar: {holidays: mainland}\n", encoding="utf-8")

    result = start("serve", "--calendar", "none", "--rules", str(rules))

    assert result.returncode == 2
    assert "--calendar none contradicts the rules file's calendar (holidays: mainland)" in result.stderr


def _repay_at(url: str, loan: str, collected: str) -> None:
    body = repayment(f"RP-{loan}", 1, "1000.00", "18.00", loan=loan, collected=collected)
    answer = httpx.post(f"{url}/bank/repayments", json=body)
    assert answer.status_code == 200, answer.text


def test_the_grace_edge_over_http_23_59_59_is_on_time_00_00_01_is_late_though_both_arrive_before_the_batch() -> None:
    """lending-domain.md §2 #14 ("due‑ness judged on actualRepayDate in Asia/Shanghai; the same verdict on both
    sides at the 23:59:59 edge") and §1.2 (7) (grace, then the overdue batch): installment 1 due Friday 10 May
    2019, 3 days of grace to 13 May 23:59:59. Two repayments reach ``lendsim serve`` at 00:00:30 on the 14th,
    before the 02:00 batch: the one collected at 23:59:59 is on time, the one collected at 00:00:01 is late —
    overdue with four days of penalty (2.00), which the platform did not pay, so 2.00 of principal stays owed."""
    on_time, late = "LN-EDGE-ONTIME", "LN-EDGE-LATE"
    with serving() as served:
        for loan, borrower, cert in ((on_time, "B1", "110105199003071239"), (late, "B2", "110105199003071255")):
            body = {**APRIL_LOAN, "loanOuterNo": loan, "borrowerId": borrower, "certNo": cert}
            assert httpx.post(f"{served.url}/bank/loans", json=body).status_code == 201
        advance = {"to": "2019-05-14T00:00:30+08:00"}
        httpx.post(f"{served.url}/_sim/clock/advance", json=advance).raise_for_status()
        _repay_at(served.url, on_time, "2019-05-13T23:59:59+08:00")
        _repay_at(served.url, late, "2019-05-14T00:00:01+08:00")
        httpx.post(f"{served.url}/_sim/clock/advance", json={"to": "2019-05-14T03:00:00+08:00"}).raise_for_status()
        rows = {
            loan: httpx.get(f"{served.url}/bank/loans/{loan}/schedule").json()["installments"][0]
            for loan in (on_time, late)
        }
        overdue = httpx.get(f"{served.url}/_sim/journal", params={"operation": "installmentOverdue"}).json()

    assert (rows[on_time]["status"], rows[on_time]["dueFundPenalty"]) == ("REPAYED", "0.00")
    assert (rows[late]["status"], rows[late]["dueFundPenalty"], rows[late]["paidPrincipal"]) == (
        "OVERDUE",
        "2.00",
        "998.00",
    )
    assert [(e["loan"], e["data"]["collectedAt"]) for e in overdue["items"]] == [(late, "2019-05-14T00:00:01+08:00")]
