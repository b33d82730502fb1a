"""``lendsim run --journal FILE`` keeps the run's journal; ``lendsim report FILE --html OUT`` renders the run's report
from it later, judged again from the journal alone."""

from __future__ import annotations

import re
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner, Result

from simulator.cli import cli
from simulator.journal import Journal
from simulator.report import RECORDED
from tests.report.conftest import BORROWERS, Reported


def lendsim(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def without_wall_time(page: str) -> str:
    return re.sub(r"<dt>wall time</dt><dd>[^<]*</dd>", "", page)


def test_the_report_from_a_kept_journal_is_the_report_of_the_run(reported: Reported, tmp_path: Path) -> None:
    later = tmp_path / "later.html"

    result = lendsim("report", reported.journal, "--html", later)

    assert result.exit_code == 0, result.output
    assert f"xiaomi-minsheng-2019 against naive: failed (seed 20190514, {reported.journal})" in result.output
    assert without_wall_time(later.read_text(encoding="utf-8")) == without_wall_time(reported.page)


def test_the_kept_journal_is_the_runs_journal_entry_for_entry_then_the_run_recorded(reported: Reported) -> None:
    with Journal(reported.journal) as journal:
        last = journal.last()
        registered = journal.count(operation="loanRegistered")

    assert last is not None and last.operation == RECORDED and last.partner == "_sim"
    assert last.data["borrowers"] == BORROWERS and last.data["platform"] == "naive"
    assert last.data["source"].startswith("# yaml-language-server") and registered == BORROWERS
    assert f"journal: {reported.journal}" in reported.output


def test_several_runs_keep_one_journal_each_named_after_the_run(tmp_path: Path) -> None:
    result = lendsim(
        "run", "sms-retry-storm", "--platform", "naive", "--platform", "resilient", "--borrowers", "3",
        "--journal", tmp_path / "kept.sqlite",
    )  # fmt: skip

    assert result.exit_code == 1, result.output
    kept = sorted(path.name for path in tmp_path.glob("*.sqlite"))
    assert kept == ["kept-sms-retry-storm-naive-5.sqlite", "kept-sms-retry-storm-resilient-5.sqlite"]
    both = lendsim("report", *sorted(tmp_path.glob("*.sqlite")), "--html", tmp_path / "both.html")
    assert both.exit_code == 0, both.output
    page = (tmp_path / "both.html").read_text(encoding="utf-8")
    assert 'id="run0"' in page and 'id="run1"' in page and "sms-retry-storm against resilient" in page


def test_a_missing_journal_is_refused_with_how_to_make_one(tmp_path: Path) -> None:
    result = lendsim("report", tmp_path / "nowhere.sqlite", "--html", tmp_path / "r.html")

    assert result.exit_code == 2
    assert "no such file; give a journal written by lendsim run --journal FILE" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "r.html").exists()


def test_a_file_that_is_no_journal_is_refused_not_a_traceback(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.sqlite"
    bogus.write_text("these are not the entries you are looking for\n" * 50, encoding="utf-8")

    result = lendsim("report", bogus, "--html", tmp_path / "r.html")

    assert result.exit_code == 2, result.output
    assert f"{bogus} is not a lendsim journal" in result.output and "Traceback" not in result.output


def test_a_journal_no_run_kept_is_refused_naming_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "serve.sqlite"
    with Journal(path) as journal:  # what lendsim serve --journal leaves: entries, no run
        journal.append("event", datetime(2019, 5, 1, tzinfo=UTC), partner="bank", operation="overdueBatch")

    result = lendsim("report", path, "--html", tmp_path / "r.html")

    assert result.exit_code == 2
    assert f"holds no {RECORDED} entry" in result.output and "lendsim run SCENARIO --journal FILE" in result.output
    assert sqlite3.connect(path).execute("select count(*) from sqlite_master").fetchone()[0] > 0


def test_every_kept_entry_has_the_wall_time_it_was_journaled_at_in_order(reported: Reported) -> None:
    with Journal(reported.journal) as journal:
        walls = [entry.wall_time for entry in journal]
    now = time.time()

    assert len(walls) > 100 and None not in walls
    stamped = [wall for wall in walls if wall is not None]
    assert stamped == sorted(stamped)  # stamped as they were appended, seq order
    assert now - 3600 < stamped[0] <= stamped[-1] <= now  # during the run, this session
    assert stamped[-1] - stamped[0] > 0  # the run took wall time: not one stamp copied onto every entry
