"""``lendsim run --window N`` as CI sees it: a run of more than N borrowers is made in pieces of N at most, one after
another in this process, and reports what the whole run reports — the same exit code, verdicts, violations, JSON
report and JUnit — with ``--journal FILE`` the merged journal of the whole run, which ``lendsim report`` renders; a
run of N or fewer is made whole, as ever (no piece, no shard mark); ``--window 0`` is refused with the fix."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.cli.test_run_shards import cases, lendsim, reports

COMMON = ("out-of-order-callback", "--platform", "naive", "--borrowers", "9")


def test_a_run_bigger_than_its_window_reports_what_the_whole_run_reports(tmp_path: Path) -> None:
    one, pieces = tmp_path / "one", tmp_path / "pieces"

    whole = lendsim("run", *COMMON, "--report-dir", one, "--junit", one / "junit.xml")
    windowed = lendsim("run", *COMMON, "--window", "4", "--report-dir", pieces, "--junit", pieces / "junit.xml",
                       "--journal", pieces / "run.sqlite")  # fmt: skip

    assert whole.exit_code == windowed.exit_code == 1, windowed.output
    assert "1 run (pieces of 4 borrowers at most) on this process, one after another" in windowed.stderr
    expected = reports(one)
    assert reports(pieces) == expected
    (report,) = expected.values()
    caught = [item for item in report["invariants"] if item["violations"]]
    assert caught  # the naive platform is caught, in pieces too
    assert cases(pieces / "junit.xml") == cases(one / "junit.xml")
    with sqlite3.connect(pieces / "run.sqlite") as db:  # the three pieces' journals, merged in the kept file
        marks = {row[0][:3] for row in db.execute("SELECT correlation FROM entries WHERE correlation LIKE 's_-%'")}
        borrowers = {row[0] for row in db.execute("SELECT DISTINCT borrower FROM entries WHERE borrower IS NOT NULL")}
    assert marks == {"s1-", "s2-", "s3-"}
    assert borrowers == {f"B{index:06d}" for index in range(9)}
    again = lendsim("report", pieces / "run.sqlite", "--html", tmp_path / "later.html")
    assert again.exit_code == 0, again.output
    assert "B000008" in (tmp_path / "later.html").read_text(encoding="utf-8")  # a borrower of the last piece


def test_a_run_no_bigger_than_its_window_is_made_whole(tmp_path: Path) -> None:
    result = lendsim("run", *COMMON, "--window", "9", "--journal", tmp_path / "run.sqlite")

    assert result.exit_code == 1, result.output
    assert "pieces of" not in result.stderr and "on this process" not in result.stderr
    with sqlite3.connect(tmp_path / "run.sqlite") as db:
        marked = db.execute("SELECT count(*) FROM entries WHERE correlation LIKE 's_-%'").fetchone()[0]
        stamped = db.execute("SELECT count(*) FROM entries WHERE wall_time IS NOT NULL").fetchone()[0]
    assert marked == 0  # one piece: the whole run, unmarked
    assert stamped > 0  # journaled straight into the file as ever, each entry stamped with the wall clock


@pytest.mark.parametrize("window", ["0", "-5"])
def test_no_window_at_all_is_refused_with_the_fix(window: str) -> None:
    result = lendsim("run", *COMMON, "--window", window)

    assert result.exit_code == 2
    assert f"{window} is not a number of borrowers" in result.output
    assert "such as --window 5000" in result.output
    assert "Traceback" not in result.output


def test_a_window_that_is_not_a_number_is_refused() -> None:
    result = lendsim("run", *COMMON, "--window", "lots")

    assert result.exit_code == 2
    assert "'lots' is not a valid integer" in result.output
