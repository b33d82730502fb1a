"""``/_sim/ui``, the live view of ``lendsim serve``: the page over the wire (behind the control API's guard), and in
Chromium — the clock advanced, a fault added and removed, a new request appearing in the journal's tail, filters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from simulator import Simulator
from simulator.http import create_app
from tests._browser import chromium
from tests.http.conftest import running

TOKEN = "a-control-token-of-some-length"


@pytest.fixture
def served() -> Iterator[tuple[Simulator, str]]:
    sim = Simulator(seed=3, start=datetime(2019, 5, 10, 12, tzinfo=UTC), control_token=TOKEN)
    with running(create_app(sim, host="127.0.0.1")) as url:
        yield sim, url


def test_the_page_is_served_with_headers_that_keep_it_unframed_and_self_contained(
    served: tuple[Simulator, str],
) -> None:
    _, url = served

    answer = httpx.get(f"{url}/_sim/ui")

    assert answer.status_code == 200 and answer.headers["content-type"] == "text/html; charset=utf-8"
    assert (
        answer.headers["x-frame-options"] == "DENY"
        and "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    )
    assert "connect-src 'self'" in answer.headers["content-security-policy"]
    assert "<title>lendsim serve — live view</title>" in answer.text and "http" not in answer.text.split("<script>")[0]


def test_the_page_is_behind_the_control_apis_guard(served: tuple[Simulator, str]) -> None:
    _, url = served

    rebound = httpx.get(f"{url}/_sim/ui", headers={"host": "evil.example"})
    data = httpx.get(f"{url}/_sim/clock")

    assert rebound.status_code == 403 and "header.host" in rebound.json()["detail"]
    assert data.status_code == 401  # the page holds nothing; what it reads needs the token


@pytest.mark.browser
def test_in_a_browser_the_clock_advances_a_fault_comes_and_goes_and_a_request_appears_in_the_tail(
    served: tuple[Simulator, str],
) -> None:
    sim, url = served
    with chromium() as browser:
        page: Any = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(15_000)  # the page polls once a second; a busy CI machine is slower
        page.goto(f"{url}/_sim/ui#token={TOKEN}")
        expect = pytest.importorskip("playwright.sync_api").expect  # waits without eval: the page's CSP forbids it
        expect(page.locator("#status")).to_have_text("connected", timeout=15_000)
        before = page.locator("#clock-now").inner_text()
        assert datetime.fromisoformat(before) == datetime(2019, 5, 10, 12, tzinfo=UTC)

        page.get_by_role("button", name="+1 h").click()
        expect(page.locator("#clock-now")).not_to_have_text(before, timeout=15_000)
        assert sim.clock.now() == datetime(2019, 5, 10, 13, tzinfo=UTC)

        page.locator("#fault-spec").fill('{"at": "bank.repayApply", "outage": {"status": 503}}')
        page.get_by_role("button", name="add", exact=True).click()
        page.locator("#fault-list tr").first.wait_for()
        added = page.locator("#fault-list tr").first.inner_text()
        assert added.startswith('f1\tbank.repayApply\toutage {"status":503}')
        assert [fault.id for fault in sim.faults] == ["f1"]

        httpx.get(f"{url}/bank/repayments/RP-UI-1")  # a platform asking after a repayment the bank never saw
        page.locator("#entries tr", has_text="RP-UI-1").first.wait_for()
        page.locator("#f-serial").fill("RP-UI-1")
        page.locator("#entries tr", has_text="RP-UI-1").first.wait_for()
        assert set(page.locator("#entries tr td:nth-child(9)").all_inner_texts()) == {"RP-UI-1"}
        assert set(page.locator("#entries tr td:nth-child(5)").all_inner_texts()) == {"repayResultQuery"}

        page.locator("#fault-list button.remove").click()
        expect(page.locator("#fault-list tr")).to_have_count(0, timeout=15_000)
        assert list(sim.faults) == []
