"""The HTML report as a file people open from a CI artifact: self-contained, the verdicts the JSON report has,
every violation listed, each violating borrower's timeline with its marks, fault windows and calendar, masked."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from click.testing import CliRunner

from simulator.cli import cli
from simulator.journal import Journal
from tests.report.conftest import Reported


def section(page: str) -> str:
    return page[page.index('<section class="run"') : page.index("</section>", page.index('<section class="run"'))]


def test_run_writes_the_page_where_asked_and_beside_the_json_report(reported: Reported) -> None:
    assert reported.exit_code == 1, reported.output  # the naive platform violates invariants
    assert f"html report: {reported.html}" in reported.output
    assert reported.html.read_bytes() == reported.beside.read_bytes()


def test_the_page_is_self_contained_no_network_no_external_asset(reported: Reported) -> None:
    page = reported.page

    assert re.findall(r"""(?:src|href)\s*=\s*["'](?!#)[^"']*""", page) == []
    assert "http://" not in page and "https://" not in page and "@import" not in page
    assert "<style>" in page and "<script>" in page  # inlined


def test_the_verdict_table_says_what_the_json_report_says(reported: Reported) -> None:
    page = section(reported.page)

    rows = re.findall(
        r'<tr data-key="([a-z_]+)"><td>(O\d+) \1</td><td class="o-[a-z-]+">([a-z ]+)</td><td class="n">([\d,]+)</td>'
        r'<td>[^<]*</td><td class="n">([\d,]+)</td>',
        page,
    )
    expected = [
        (i["key"], i["invariant"], i["outcome"], f"{i['checked']:,}", f"{len(i['violations']):,}")
        for i in reported.json["invariants"]
    ]
    assert rows == expected
    assert {outcome for _, _, outcome, _, _ in rows} >= {"held", "violated"}


def test_the_summary_names_the_run_its_parameters_and_the_replay_command(reported: Reported) -> None:
    page = reported.page

    assert html.escape(reported.json["replay"]) in page
    assert "<dt>seed</dt><dd>20190514</dd>" in page and "<dt>borrowers</dt><dd>12</dd>" in page
    assert '<td class="s-failed">failed</td>' in page


def test_every_violation_is_a_row_and_each_borrower_it_concerns_has_a_timeline(reported: Reported) -> None:
    page = section(reported.page)
    violations = [v for i in reported.json["invariants"] for v in i["violations"]]

    row = r'<div class="violation" role="row" data-serials="[^"]*" data-chain="([\d,]+)" data-timeline="([^"]+)">'
    rows = re.findall(row, page)
    assert len(rows) == len(violations) > 0
    assert [chain.split(",") for chain, _ in rows] == [[str(e["entry"]) for e in v["chain"]] for v in violations]
    for chain, anchor in rows:
        figure = page[page.index(f'id="{anchor}"') : page.index("</figure>", page.index(f'id="{anchor}"'))]
        marks = set(re.findall(r'data-seq="(\d+)"', figure))
        assert set(chain.split(",")) <= marks  # every entry the oracle cites is a mark on the borrower's timeline
        assert '<use href="#run0-backdrop"/>' in figure


def test_the_backdrop_shades_non_business_days_draws_the_bank_hours_and_the_fault_windows(reported: Reported) -> None:
    page = reported.page
    backdrop = page[page.index('<g id="run0-backdrop">') : page.index("</g>", page.index('<g id="run0-backdrop">'))]

    assert len(re.findall(r'<rect class="nb weekend"', backdrop)) >= 20  # 73 days: 10 weekends, and May Day's week
    assert '<rect class="nb holiday"' in backdrop  # 1 May 2019
    assert backdrop.count("<title>cut-off</title>") == backdrop.count("<title>overdue batch</title>") >= 73
    faults = re.findall(r'<rect class="fw"[^>]*><title>([^<]*)</title>', backdrop)
    assert any("bank.repayApply outage" in f and "2019-05-10 20:00 until 2019-05-14 18:00" in f for f in faults)
    assert any("sms.sendSms latency" in f for f in faults)


def test_a_marks_details_are_the_masked_journal_entry(reported: Reported) -> None:
    page = section(reported.page)
    details = json.loads(re.search(r'<script type="application/json" class="entries">(.*?)</script>', page, re.S)[1])
    with Journal(reported.journal) as journal:
        phones = {e.data["phone"] for e in journal.iter(operation="smsDelivered") if "phone" in e.data}

    assert phones and all(re.fullmatch(r"1\d{10}", phone) for phone in phones)  # the journal holds them whole
    assert not any(phone in reported.page for phone in phones)  # the page never does
    delivered = [d for d in details.values() if d.get("operation") == "smsDelivered"]
    assert delivered and all(re.fullmatch(r"1\d\d\*{4}\d{4}", d["data"]["phone"]) for d in delivered)


def test_the_json_reports_chains_are_records_of_the_entries_they_cite(reported: Reported) -> None:
    chain = next(v for i in reported.json["invariants"] for v in i["violations"])["chain"]

    first = chain[0]
    assert set(first) == {"entry", "time", "kind", "party", "operation", "status", "ids", "summary"}
    assert isinstance(first["entry"], int) and first["summary"].startswith(f"#{first['entry']} {first['time']}")
    with Journal(reported.journal) as journal:
        entry = journal.query(after=first["entry"] - 1, limit=1).items[0]
    assert (first["kind"], first["party"], first["operation"]) == (entry.kind, entry.partner, entry.operation)
    assert first["ids"].get("borrower") == entry.borrower


def test_an_html_path_that_is_a_folder_is_refused_before_the_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["run", "sms-retry-storm", "--platform", "naive", "--html", str(tmp_path)])

    assert result.exit_code == 2
    assert "is a directory" in result.output or "is a folder" in result.output
