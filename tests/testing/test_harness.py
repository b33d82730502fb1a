"""``Lendsim`` itself, in-process (what the fixture yields): scenario worlds, the borrowers' payments, the platform's
own jobs, payments told by the test, and the platform's wall clock on the virtual one."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from simulator._resources import bundled_scenario
from simulator.errors import ConfigError
from simulator.oracles import Outcome
from simulator.testing import InvariantFailure, Lendsim, Repayment
from tests.testing.test_parity import LOAN


def test_a_catalog_scenario_by_name_gives_its_world_with_the_loans_registered_and_the_faults_in_place() -> None:
    with Lendsim(scenario="xiaomi-minsheng-2019", borrowers=3) as lendsim:
        bank = httpx.Client(base_url=lendsim.base_url("bank"))

        answers = [bank.get(f"/loans/{loan['loanOuterNo']}").status_code for loan in lendsim.loans]

    assert lendsim.scenario is not None and lendsim.scenario.name == "xiaomi-minsheng-2019"
    assert lendsim.now == lendsim.scenario.start
    assert answers == [200, 200, 200]
    assert [b["borrowerId"] for b in lendsim.borrowers] == [loan["borrowerId"] for loan in lendsim.loans]
    assert lendsim.journal.count(kind="fault", operation="faultAdded") == len(lendsim.scenario.faults)
    assert lendsim.setup_body()["partners"]["bank"] == "http://bank.lendsim.invalid"


def test_the_same_scenario_and_seed_give_the_same_borrowers() -> None:
    first = Lendsim(scenario="outage-across-cutoff", borrowers=2, seed=5)
    second = Lendsim(scenario="outage-across-cutoff", borrowers=2, seed=5)
    other = Lendsim(scenario="outage-across-cutoff", borrowers=2, seed=6)

    assert first.loans == second.loans != other.loans


def test_an_unknown_scenario_name_names_the_catalog_and_the_closest_one() -> None:
    with pytest.raises(ConfigError) as caught:
        Lendsim(scenario="xiaomi-minsheng")

    message = str(caught.value)
    assert "no scenario 'xiaomi-minsheng' in the catalog" in message
    assert "did you mean 'xiaomi-minsheng-2019'?" in message
    assert "outage-across-cutoff" in message and "timeout-after-commit" in message


def test_a_scenario_file_is_loaded_from_its_path(tmp_path: Path) -> None:
    source = bundled_scenario("outage-across-cutoff").read_text(encoding="utf-8")
    path = tmp_path / "our-outage.yaml"
    path.write_text(source.replace("name: outage-across-cutoff", "name: our-outage"), encoding="utf-8")

    lendsim = Lendsim(scenario=path, borrowers=1)

    assert lendsim.scenario is not None and lendsim.scenario.name == "our-outage"


def test_a_missing_scenario_file_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no scenario file .*nowhere\.yaml.*a catalog name: .*correction-rejected"):
        Lendsim(scenario=str(tmp_path / "nowhere.yaml"))


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"borrowers": 5}, r"borrowers=5 sizes a scenario's population, and no scenario was given"),
        (
            {"scenario": "outage-across-cutoff", "start": datetime(2019, 1, 1, tzinfo=UTC)},
            r"a scenario starts when it says \(2019-05-01T00:00:00\+08:00 for 'outage-across-cutoff'\)",
        ),
        ({"freeze_time": "yes"}, r"freeze_time must be True or False, got 'yes'"),
    ],
)
def test_options_that_do_not_fit_together_are_refused_with_the_fix(options: dict[str, object], expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        Lendsim(**options)  # type: ignore[arg-type]


def test_on_repay_hands_each_payment_to_the_platform_at_its_instant_after_journaling_it() -> None:
    seen: list[tuple[datetime, datetime, int]] = []
    with Lendsim(scenario="outage-across-cutoff", borrowers=2) as lendsim:

        def collect(repayment: Repayment) -> None:
            paid = lendsim.journal.count(kind="event", operation="borrowerRepaid", loan=repayment.body["loanOuterNo"])
            seen.append((repayment.at, lendsim.now, paid))

        planned = lendsim.on_repay(collect)
        lendsim.run_until_end()

    assert planned == len(seen) > 0
    assert all(at == now for at, now, _ in seen)
    assert all(paid >= 1 for _, _, paid in seen)  # journaled before the platform hears of it
    assert lendsim.now == lendsim.scenario.end  # type: ignore[union-attr]


def test_on_repay_is_refused_twice_after_advancing_and_without_a_scenario() -> None:
    once = Lendsim(scenario="outage-across-cutoff", borrowers=1)
    once.on_repay(lambda repayment: None)
    late = Lendsim(scenario="outage-across-cutoff", borrowers=1)
    late.advance(hours=1)

    with pytest.raises(ConfigError, match="called already"):
        once.on_repay(lambda repayment: None)
    with pytest.raises(ConfigError, match="call on_repay\\(\\) before advancing the clock"):
        late.on_repay(lambda repayment: None)
    with pytest.raises(ConfigError, match=r"on_repay\(\) needs a scenario; .*scenario='xiaomi-minsheng-2019'"):
        Lendsim().on_repay(lambda repayment: None)
    with pytest.raises(ConfigError, match=r"run_until_end\(\) needs a scenario"):
        Lendsim().run_until_end()


def test_every_runs_the_platform_job_on_the_virtual_clock() -> None:
    lendsim = Lendsim()
    runs: list[str] = []
    lendsim.every(timedelta(hours=1), lambda: runs.append(lendsim.now.strftime("%H:%M")))

    lendsim.advance(hours=3, minutes=30)

    assert runs == ["01:00", "02:00", "03:00"]
    with pytest.raises(ConfigError, match="positive interval"):
        lendsim.every(timedelta(0), lambda: None)


def test_a_payment_told_by_the_test_lets_o1_catch_a_platform_that_never_forwarded_it() -> None:
    with Lendsim() as lendsim:
        httpx.post(lendsim.base_url("bank") + "/loans", json=LOAN).raise_for_status()
        lendsim.advance(days=9, hours=10)  # 2019-05-10 10:00, the due date

        lendsim.borrower_repaid(LOAN["loanOuterNo"], "1018.00", installment=1)  # …and the platform sends nothing
        lendsim.advance(days=10)

    assert lendsim.journal.last(operation="borrowerRepaid").borrower == "B-PARITY-1"  # type: ignore[union-attr]
    with pytest.raises(
        InvariantFailure, match=r"(?s)O1 no_false_delinquency: 1 violation.*loan LN-PARITY-1 installment 1"
    ):
        lendsim.check({"no_false_delinquency": {}})


def test_a_payment_told_by_the_test_and_forwarded_in_time_holds_o1() -> None:
    from tests.testing.test_parity import REPAY

    with Lendsim() as lendsim:
        httpx.post(lendsim.base_url("bank") + "/loans", json=LOAN).raise_for_status()
        lendsim.advance(days=9, hours=10)
        lendsim.borrower_repaid(LOAN["loanOuterNo"], 1018, installment=1)
        at = lendsim.now.isoformat()
        httpx.post(lendsim.base_url("bank") + "/repayments", json={**REPAY, "actualRepayDate": at}).raise_for_status()
        lendsim.advance(days=10)

    lendsim.check({"no_false_delinquency": {}})


def test_check_returns_the_verdicts_and_fails_an_invariant_it_was_told_to_judge_that_judged_nothing() -> None:
    from tests.testing.test_parity import REPAY

    with Lendsim() as lendsim:
        httpx.post(lendsim.base_url("bank") + "/loans", json=LOAN).raise_for_status()
        lendsim.advance(days=9, hours=10)
        lendsim.borrower_repaid(LOAN["loanOuterNo"], 1018, installment=1)
        at = lendsim.now.isoformat()
        httpx.post(lendsim.base_url("bank") + "/repayments", json={**REPAY, "actualRepayDate": at}).raise_for_status()
        lendsim.advance(days=10)

    verdicts = lendsim.check({"no_false_delinquency": {}})
    with pytest.raises(InvariantFailure) as caught:
        lendsim.check({"no_false_delinquency": {}, "dispute_sla": {}})

    assert [(v.key, v.outcome) for v in verdicts] == [("no_false_delinquency", Outcome.HELD)]
    assert "O8 dispute_sla: not exercised — judged nothing: no disputes filed in the run" in str(caught.value)
    assert "named in check()" in str(caught.value) and "no_false_delinquency" not in str(caught.value)


def test_check_with_the_default_set_fails_only_when_nothing_at_all_was_judged() -> None:
    with Lendsim() as lendsim:
        lendsim.advance(days=1)
        with pytest.raises(InvariantFailure, match="no invariant judged anything"):
            lendsim.check()

        httpx.post(lendsim.base_url("bank") + "/loans", json=LOAN).raise_for_status()  # O7 reads what was sent
        lendsim.advance(days=8, hours=10)
        lendsim.borrower_repaid(LOAN["loanOuterNo"], 1018, installment=1)  # O1 has a payment to judge (and the
        lendsim.advance(days=10)  # platform forwarded nothing: a violation)

    with pytest.raises(InvariantFailure) as caught:
        lendsim.check()

    assert "O1 no_false_delinquency: 1 violation" in str(caught.value)
    assert "not exercised" not in str(caught.value)  # the others judged nothing, and none was named


def test_check_holds_a_scenarios_expected_invariants_to_judging_something() -> None:
    with Lendsim(scenario="dispute-during-window", borrowers=2) as lendsim:
        lendsim.advance(days=1)

    with pytest.raises(InvariantFailure) as caught:
        lendsim.check()

    assert "not exercised" in str(caught.value) and "expected by the scenario" in str(caught.value)


def platform_clock() -> tuple[datetime, float]:
    """What a platform reads when it asks the time itself."""
    return datetime.now(UTC), time.time()


def test_with_freeze_time_the_platform_clock_follows_the_virtual_one() -> None:
    heard: list[datetime] = []
    with Lendsim(freeze_time=True) as lendsim:
        lendsim.platform(lambda operation, body, headers: heard.append(datetime.now(UTC)) or 200)
        lendsim.sim.deliver("bank.bankNotice", {"noticeId": "N1"}, after=timedelta(hours=5))
        before = platform_clock()
        naive = datetime.now()

        lendsim.advance(days=3)
        after = platform_clock()

    assert before == (datetime(2019, 4, 30, 16, tzinfo=UTC), 1556640000.0)  # 2019-05-01 00:00 in Shanghai
    assert naive == datetime(2019, 5, 1)  # local time in the calendar's zone (Asia/Shanghai)
    assert heard == [datetime(2019, 4, 30, 21, tzinfo=UTC)]  # the delivery ran at its own instant
    assert after == (datetime(2019, 5, 3, 16, tzinfo=UTC), 1556640000.0 + 3 * 86400)
    assert datetime.now().year > 2019  # the wall clock is back once the harness is left


def test_freeze_time_without_time_machine_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "time_machine", None)

    with pytest.raises(
        ConfigError, match=r"time-machine package, which is not installed; .*pip install 'lendsim\[time\]'"
    ):
        Lendsim(freeze_time=True)
