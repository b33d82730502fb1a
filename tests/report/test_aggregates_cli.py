"""The aggregate views of a real run, from where the user stands (``lendsim run --html``): the 2019 incident against
the naive platform, whose blind retries put the same overdue SMS on each late borrower's phone seven times on
14 May, shows those borrowers at the top of the SMS view with the repeats drawn; the resilient platform's run of
the same scenario shows no repeat."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from simulator.cli import cli
from tests.report.conftest import Reported

TOP_ROW = re.compile(
    r'<tr><td>([^<]*)</td><td>([^<]*)</td><td class="n">(\d+)</td><td class="n">(\d+)</td><td class="n">(\d+)</td></tr>'
)


def sms_section(page: str, run: str = "run0") -> str:
    start = page.index(f'id="{run}-aggregates"')
    return page[start : page.index("</figure>", start)]


def test_the_naive_runs_sms_view_puts_the_borrower_with_seven_copies_first(reported: Reported) -> None:
    o2 = next(i for i in reported.json["invariants"] if i["key"] == "sms_unique")
    duplicated = {violation["borrower"] for violation in o2["violations"]}
    section = sms_section(reported.page)

    top = TOP_ROW.findall(section)
    assert top, section[:500]
    person, day, count, texts, most = top[0]
    assert person in duplicated and day == "2019-05-14" and int(most) == 7 and int(count) >= 7
    assert f"up to 7 copies of one text: {person} on 2019-05-14" in section
    repeats = re.findall(rf'<rect class="repeat" [^>]*data-key="{person}"><title>([^<]*)</title>', section)
    assert repeats == [f"{person} on 2019-05-14: {count} SMS, {texts} distinct texts, one of them 7 times"]


def test_the_resilient_runs_sms_view_shows_no_repeat(tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    result = CliRunner().invoke(
        cli, ["run", "xiaomi-minsheng-2019", "--platform", "resilient", "--borrowers", "12", "--html", str(html)]
    )
    page = html.read_text(encoding="utf-8")
    section = sms_section(page)

    assert "html report:" in result.output, result.output
    assert "on 0 person-days a phone got the same text again" in section
    assert '<rect class="repeat"' not in section
    rows = TOP_ROW.findall(section)
    assert rows and all(int(most) == 1 for *_, most in rows)  # the bank's notices reached them, once each
