"""The HTML report in a real browser (Playwright driving the system's Chromium): the verdict table, a violation's
timeline with the cited chain highlighted and the fault window drawn, a mark's details, the search.

Marked ``browser``: without Chromium (or Playwright) these tests skip and say how to install it; ``scripts/test``
installs it when it can (root and apt-get)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests._browser import chromium
from tests.report.conftest import Reported

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Any, reported: Reported) -> Iterator[Any]:
    opened = browser.new_page(viewport={"width": 1400, "height": 900})
    opened.goto(reported.html.as_uri())
    yield opened
    opened.close()


def first_violation(reported: Reported) -> tuple[dict[str, Any], dict[str, Any]]:
    invariant = next(i for i in reported.json["invariants"] if i["violations"])
    return invariant, invariant["violations"][0]


def test_the_verdict_table_shows_each_invariants_verdict(page: Any, reported: Reported) -> None:
    table = page.locator("section.run table.verdicts tbody tr")

    assert table.count() == len(reported.json["invariants"])
    for index, invariant in enumerate(reported.json["invariants"]):
        cells = table.nth(index).locator("td").all_inner_texts()
        assert cells[0] == f"{invariant['invariant']} {invariant['key']}" and cells[1] == invariant["outcome"]


def test_clicking_a_violation_shows_its_timeline_with_the_cited_chain_and_the_fault_window(
    page: Any, reported: Reported
) -> None:
    _, violation = first_violation(reported)
    assert page.locator("figure.timeline:visible").count() == 0

    page.locator("div.violation").first.locator("button.show").click()

    figure = page.locator("figure.timeline:visible")
    assert figure.count() == 1 and violation["borrower"] in figure.locator("figcaption").inner_text()
    cited = figure.locator("circle.cited")
    assert sorted(int(seq) for seq in cited.evaluate_all("ms => ms.map(m => m.dataset.seq)")) == sorted(
        entry["entry"] for entry in violation["chain"]
    )
    assert set(cited.evaluate_all("ms => ms.map(m => getComputedStyle(m).r)")) == {"6px"}  # drawn larger
    plain = figure.locator("circle.m:not(.cited)").first.evaluate("m => getComputedStyle(m).r")
    assert plain == "3px"
    drawn = figure.locator("use").evaluate("u => u.getBBox().width")
    window = page.locator("#run0-backdrop rect.fw", has_text="bank.repayApply")
    assert drawn > 1000 and window.count() == 1 and float(window.get_attribute("width")) > 100
    chain = page.locator("section.run ol.chain li").all_inner_texts()
    assert [line.split()[0] for line in chain] == [f"#{entry['entry']}" for entry in violation["chain"]]


def test_clicking_a_mark_shows_the_masked_entry(page: Any, reported: Reported) -> None:
    page.locator("div.violation").first.locator("button.show").click()
    mark = page.locator("figure.timeline:visible circle.m").nth(3)

    mark.click(force=True)

    shown = json.loads(page.locator("section.run pre.detail").inner_text())
    assert {"kind", "virtualTime"} <= shown.keys()
    assert mark.get_attribute("class").split()[1] == f"k-{shown['kind']}"


def test_searching_a_loan_or_a_serial_leaves_only_its_violations(page: Any, reported: Reported) -> None:
    _, violation = first_violation(reported)
    loan = violation["loan"]
    expected = sum(1 for i in reported.json["invariants"] for v in i["violations"] if v["loan"] == loan)

    page.locator("#search").fill(loan.lower())

    visible = page.locator("div.violation:visible")
    assert visible.count() >= expected > 0
    assert all(loan in text for text in visible.all_text_contents())
    assert page.locator("#search-count").inner_text() == f"{visible.count()} violations match"
    page.locator("#search").fill("no-such-loan")
    assert page.locator("div.violation:visible").count() == 0


def test_searching_a_repayment_serial_finds_its_borrowers_violations(page: Any, reported: Reported) -> None:
    row = page.locator("div.violation").first
    serial = row.get_attribute("data-serials").split()[0]
    borrower = row.locator("span").nth(1).text_content()

    page.locator("#search").fill(serial.upper())

    visible = page.locator("div.violation:visible")
    assert visible.count() > 0
    assert set(visible.locator("span:nth-child(2)").all_text_contents()) == {borrower}


def test_the_sms_view_shows_the_borrower_with_seven_copies_of_one_text_as_the_tallest_red_bar(
    page: Any, reported: Reported
) -> None:
    chart = page.locator("#run0-sms")
    chart.scroll_into_view_if_needed()
    assert (
        chart.is_visible()
        and page.locator("#run0-bureau").is_visible()
        and page.locator("#run0-repayments").is_visible()
    )
    o2 = next(i for i in reported.json["invariants"] if i["key"] == "sms_unique")
    duplicated = {violation["borrower"] for violation in o2["violations"]}

    repeats = chart.locator("rect.repeat")
    heights = repeats.evaluate_all("rs => rs.map(r => [r.dataset.key, r.getBBox().height])")
    tallest = max(height for _, height in heights)
    first_row = chart.locator("text.row").first.text_content()

    assert first_row in duplicated and (first_row, tallest) in [tuple(pair) for pair in heights]
    assert computed_fill(page, "#run0-sms rect.repeat") == "rgb(211, 47, 47)"  # red
    assert "one of them 7 times" in (repeats.first.locator("title").text_content() or "")
    page.locator("#run0-aggregates details summary").first.click()
    row = page.locator("#run0-aggregates table.sms-top tbody tr").first.locator("td").all_inner_texts()
    assert row[0] == first_row and row[1] == "2019-05-14" and row[4] == "7"


def computed_fill(page: Any, selector: str) -> str:
    return str(page.locator(selector).first.evaluate("r => getComputedStyle(r).fill"))
