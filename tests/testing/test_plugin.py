"""The pytest plugin through pytester, as a platform team would use it (the suite itself runs with it off)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(source)
    return pytester.runpytest_subprocess("-p", "lendsim", "-W", "error", *args)


def test_the_fixture_routes_module_level_sync_and_async_clients(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
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
    assert response.status_code in (200, 404)
    assert lendsim.requests("bank", "repayApply") == [REPAY]

def test_async(lendsim):
    async def go():
        async with httpx.AsyncClient(base_url=lendsim.base_url("_sim")) as client:
            return (await client.get("/clock")).json()
    assert asyncio.run(go())["now"] == "2019-05-01T00:00:00+08:00"
""",
    )

    result.assert_outcomes(passed=2)


def test_virtual_time_and_deliveries_to_the_platform_handler(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
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
""",
    )

    result.assert_outcomes(passed=1)


def test_faults_from_python_reach_the_client_as_httpx_exceptions(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
from datetime import timedelta
import httpx, pytest

def test_outage(lendsim):
    lendsim.fault("bank.repayResultQuery", outage={"error": "connection_refused"}, for_=timedelta(hours=6))
    with pytest.raises(httpx.ConnectError):
        httpx.get(lendsim.base_url("bank") + "/repayments/RP-1")
    lendsim.advance(hours=6)
    assert httpx.get(lendsim.base_url("bank") + "/repayments/RP-1").status_code in (200, 404)
""",
    )

    result.assert_outcomes(passed=1)


def test_a_request_to_an_unrouted_host_fails_the_test_naming_the_host_and_the_fix(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
import httpx

def test_forgot_to_route(lendsim):
    httpx.get("https://sandbox.realbank.example/api")
""",
    )

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*UnroutedRequestError*'sandbox.realbank.example'*passthrough_hosts*"])


def test_a_wrong_marker_argument_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
import pytest

@pytest.mark.lendsim(sede=1)
def test_typo(lendsim):
    pass
""",
    )

    result.stdout.fnmatch_lines(["*@pytest.mark.lendsim*sede*accepted: seed, start, passthrough_hosts, strict*"])
    assert result.ret != 0


def test_check_passes_a_clean_journal_and_fails_with_each_violation_and_its_chain(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
import httpx, pytest
from simulator.testing import InvariantFailure

SMS = {"PhoneNumbers": "13912345678", "SignName": "小米金融", "TemplateCode": "SMS_153055080",
       "TemplateParam": '{"bank":"民生银行"}', "OutId": "my-LN1-1-SMS_153055080"}

def test_check(lendsim):
    lendsim.check()  # nothing happened yet: every invariant holds
    for _ in range(2):  # a platform that sends the same keyed SMS twice
        assert httpx.post(lendsim.base_url("sms") + "/send", json=SMS).json()["Code"] == "OK"
    lendsim.advance(minutes=1)
    with pytest.raises(InvariantFailure) as caught:
        lendsim.check()
    message = str(caught.value)
    assert "O2 sms_unique: 1 violation(s)" in message
    assert "delivered 2 times" in message and "smsDelivered" in message
    assert "13912345678" not in message  # personal data masked
""",
    )

    result.assert_outcomes(passed=1)
