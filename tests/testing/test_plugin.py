"""The pytest plugin through pytester, as a platform team would use it (the suite itself runs with it off).

The files of ``SUITE`` make up one platform team's suite, run once in a pytest subprocess (``platform_suite``,
tests/testing/conftest.py); each test, written below the file it checks, asserts on that file's outcomes."""

from __future__ import annotations

import pytest

from simulator._resources import bundled_scenarios_dir
from tests.testing.conftest import SuiteRun

pytest_plugins = ["pytester"]

SCENARIOS = bundled_scenarios_dir()

SUITE: dict[str, str] = {}


SUITE["test_routing.py"] = """
import asyncio
import httpx
import pytest

CLIENT = httpx.Client()  # created at import time, before the fixture routes anything

REPAY = {"reqNo": "Q1", "repayOuterNo": "RP-1", "loanOuterNo": "LN-1", "repayAmount": "10.00",
         "repayMode": "PARTNER_COLLECT", "repayType": "NORMAL_REPAY",
         "actualRepayDate": "2019-05-10T20:15:00+08:00",
         "repayList": [{"installmentNo": 1, "paidPrincipal": "10.00", "paidInterest": "0.00", "paidFee": "0.00"}]}

@pytest.mark.lendsim(seed=3)
def test_sync(lendsim):
    response = CLIENT.post(lendsim.base_url("bank") + "/repayments", json=REPAY)
    # Without a scenario the bank holds no loan: its own 404 for LN-1 shows the request reached repayApply.
    assert (response.status_code, response.json()["operation"]) == (404, "repayApply")
    assert lendsim.requests("bank", "repayApply") == [REPAY]

def test_async(lendsim):
    async def go():
        async with httpx.AsyncClient(base_url=lendsim.base_url("_sim")) as client:
            return (await client.get("/clock")).json()
    assert asyncio.run(go())["now"] == "2019-05-01T00:00:00+08:00"
"""


def test_the_fixture_routes_module_level_sync_and_async_clients(platform_suite: SuiteRun) -> None:
    platform_suite.assert_outcomes("test_routing.py", passed=2)


SUITE["test_clock.py"] = """
from datetime import timedelta

def test_clock(lendsim):
    received = []
    lendsim.platform(lambda operation, body, headers: received.append((operation, body)) or 200)
    lendsim.sim.deliver("bank.bankNotice", {"noticeId": "N1"}, after=timedelta(hours=2))
    lendsim.advance(hours=1)
    assert received == []
    lendsim.advance(hours=1)
    assert received == [("bankNotice", {"noticeId": "N1"})]
    assert lendsim.now.isoformat() == "2019-05-01T02:00:00+08:00"
"""


def test_virtual_time_and_deliveries_to_the_platform_handler(platform_suite: SuiteRun) -> None:
    platform_suite.assert_outcomes("test_clock.py", passed=1)


SUITE["test_faults.py"] = """
from datetime import timedelta
import httpx, pytest

def test_outage(lendsim):
    lendsim.fault("bank.repayResultQuery", outage={"error": "connection_refused"}, for_=timedelta(hours=6))
    with pytest.raises(httpx.ConnectError):
        httpx.get(lendsim.base_url("bank") + "/repayments/RP-1")
    lendsim.advance(hours=6)
    # The outage is over: the bank itself answers, with its 404 for a repayment RP-1 it never received.
    response = httpx.get(lendsim.base_url("bank") + "/repayments/RP-1")
    assert (response.status_code, response.json()["operation"]) == (404, "repayResultQuery")
"""


def test_faults_from_python_reach_the_client_as_httpx_exceptions(platform_suite: SuiteRun) -> None:
    platform_suite.assert_outcomes("test_faults.py", passed=1)


SUITE["test_unrouted.py"] = """
import httpx

def test_forgot_to_route(lendsim):
    httpx.get("https://sandbox.realbank.example/api")
"""


def test_a_request_to_an_unrouted_host_fails_the_test_naming_the_host_and_the_fix(platform_suite: SuiteRun) -> None:
    platform_suite.assert_outcomes("test_unrouted.py", failed=1)
    platform_suite.result.stdout.fnmatch_lines(["*UnroutedRequestError*'sandbox.realbank.example'*passthrough_hosts*"])


SUITE["test_marker_typo.py"] = """
import pytest

@pytest.mark.lendsim(sede=1)
def test_typo(lendsim):
    pass
"""


def test_a_wrong_marker_argument_is_a_usage_error_naming_the_accepted_ones(platform_suite: SuiteRun) -> None:
    platform_suite.assert_outcomes("test_marker_typo.py", errors=1)
    platform_suite.result.stdout.fnmatch_lines(
        [
            "*UsageError: @pytest.mark.lendsim: unknown argument 'sede' (did you mean 'seed'?); accepted: scenario, "
            "seed, borrowers, start, passthrough_hosts, strict, freeze_time"
        ]
    )


def test_loading_the_plugin_imports_nothing_of_lendsim_until_a_test_asks_for_the_fixture(
    pytester: pytest.Pytester,
) -> None:
    # A session of its own: in the shared one, another file's tests would have imported the simulator already.
    pytester.makepyfile(
        """
import sys

def ours():
    return sorted(name for name in sys.modules if name.split(".")[0] in ("simulator", "lendsim_examples"))

def test_a_test_without_the_fixture(request):
    assert any(line.startswith("lendsim(scenario=None") for line in request.config.getini("markers"))
    assert ours() == []

def test_a_test_with_the_fixture(lendsim):
    assert "simulator.testing" in ours()
"""
    )

    result = pytester.runpytest_subprocess("-p", "lendsim", "-W", "error")

    result.assert_outcomes(passed=2)


SUITE["our-outage.yaml"] = (
    (SCENARIOS / "outage-across-cutoff.yaml")
    .read_text(encoding="utf-8")
    .replace("name: outage-across-cutoff", "name: our-outage")
)
SUITE["test_scenario_marker.py"] = """
import pytest

pytestmark = pytest.mark.lendsim(scenario="xiaomi-minsheng-2019", borrowers=2)

def test_module_marker(lendsim):
    assert lendsim.scenario.name == "xiaomi-minsheng-2019" and len(lendsim.loans) == 2
    paid = []
    assert lendsim.on_repay(paid.append) > 0
    lendsim.run_until_end()
    assert len(paid) == lendsim.journal.count(operation="borrowerRepaid") > 0

@pytest.mark.lendsim(borrowers=3, seed=7)
def test_the_closest_marker_wins_per_argument(lendsim):
    assert lendsim.scenario.name == "xiaomi-minsheng-2019" and len(lendsim.loans) == 3
    assert lendsim.world.seed == 7

@pytest.mark.lendsim(scenario="our-outage.yaml", borrowers=1)
def test_a_scenario_file_beside_the_test(lendsim):
    assert lendsim.scenario.name == "our-outage"
"""


def test_the_marker_starts_from_a_catalog_scenario_and_a_module_marker_combines_with_a_test_marker(
    platform_suite: SuiteRun,
) -> None:
    platform_suite.assert_outcomes("test_scenario_marker.py", passed=3)


SUITE["test_scenario_typo.py"] = """
import pytest

@pytest.mark.lendsim(scenario="xiaomi-2019")
def test_typo(lendsim):
    pass
"""


def test_an_unknown_scenario_name_fails_the_test_naming_the_catalog_and_the_closest_name(
    platform_suite: SuiteRun,
) -> None:
    platform_suite.assert_outcomes("test_scenario_typo.py", errors=1)
    platform_suite.result.stdout.fnmatch_lines(
        [
            "*@pytest.mark.lendsim: no scenario 'xiaomi-2019' in the catalog; did you mean 'xiaomi-minsheng-2019'?*"
            "The catalog has: *correction-rejected, *, outage-across-cutoff, *xiaomi-minsheng-2019; or give the path*"
        ]
    )


SUITE["test_check.py"] = """
import httpx, pytest
from simulator.testing import InvariantFailure

SMS = {"PhoneNumbers": "13912345678", "SignName": "小米金融", "TemplateCode": "SMS_153055080",
       "TemplateParam": '{"bank":"民生银行"}', "OutId": "my-LN1-1-SMS_153055080"}

def test_check(lendsim):
    with pytest.raises(InvariantFailure, match="no invariant judged anything"):
        lendsim.check()  # nothing happened yet: nothing was judged, which is no pass
    for _ in range(2):  # a platform that sends the same keyed SMS twice
        assert httpx.post(lendsim.base_url("sms") + "/send", json=SMS).json()["Code"] == "OK"
    lendsim.advance(minutes=1)
    with pytest.raises(InvariantFailure) as caught:
        lendsim.check()
    message = str(caught.value)
    assert "O2 sms_unique: 1 violation(s)" in message
    assert "delivered 2 times" in message and "smsDelivered" in message
    assert "13912345678" not in message  # personal data masked
"""


def test_check_refuses_an_empty_journal_and_fails_with_each_violation_and_its_chain(platform_suite: SuiteRun) -> None:
    platform_suite.assert_outcomes("test_check.py", passed=1)
