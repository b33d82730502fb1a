"""A run stopped by a signal (Ctrl-C, a CI runner's SIGTERM) while ``lendsim run --html X --journal J`` is under
way still leaves a usable journal and an HTML report marked incomplete, with the virtual time it stopped at;
``lendsim report J`` renders it later and says so too. Nothing is judged from half a run (no verdicts)."""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.cli import cli
from simulator.journal import Journal
from simulator.report import INTERRUPTED, RECORDED

BIN = Path(sys.executable).parent
#: How soon after the signal the process must be gone (as every command: tests/cli/test_stop.py).
PROMPTLY = 2.0


def delivered_sms(journal: Path) -> int:
    """The smsDelivered entries committed to the journal file so far (0 before it exists)."""
    if not journal.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=1) as db:
            return int(db.execute("SELECT count(*) FROM entries WHERE operation = 'smsDelivered'").fetchone()[0])
    except sqlite3.Error:
        return 0  # not created yet


@pytest.mark.parametrize(
    "signum", [pytest.param(signal.SIGTERM, id="SIGTERM"), pytest.param(signal.SIGINT, id="SIGINT")]
)
def test_a_run_stopped_by_a_signal_keeps_its_journal_and_a_report_marked_incomplete(
    tmp_path: Path, signum: int
) -> None:
    html, journal, log = tmp_path / "report.html", tmp_path / "run.sqlite", tmp_path / "run.log"
    command = [
        str(BIN / "lendsim"), "run", "xiaomi-minsheng-2019", "--platform", "naive", "--borrowers", "400",
        "--html", str(html), "--journal", str(journal),
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while delivered_sms(journal) < 100:  # the overdue SMS of 14 May have gone out: well into the run
            assert process.poll() is None, log.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, "no SMS journaled within 120 s"
            time.sleep(0.1)
        sent = time.monotonic()
        process.send_signal(signum)
        process.wait(timeout=30)
        seconds = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = log.read_text(encoding="utf-8")
    name = signal.Signals(signum).name

    assert process.returncode == -signum, output
    assert seconds < PROMPTLY, f"{seconds:.2f} s\n{output}"
    assert "Traceback" not in output
    assert f"interrupted by {name}: xiaomi-minsheng-2019 [naive] was not judged" in output
    assert (
        f"journal: {journal} (incomplete" in output
        and f"html report: {html} (the stopped run marked incomplete)" in output
    )
    with Journal(journal) as kept:
        *_, before, record = kept.iter(after=len(kept) - 2)
        entries = len(kept)
    assert record.operation == RECORDED and record.data["status"] == INTERRUPTED and record.data["signal"] == name
    assert entries > 1000 and record.data["borrowers"] == 400
    stopped_at = record.data["stoppedAt"]
    assert stopped_at == before.virtual_time.isoformat()  # the virtual time of the last thing the run did
    shown_at = re.escape(stopped_at[:10])

    page = html.read_text(encoding="utf-8")
    assert re.search(rf"incomplete: stopped by {name} at virtual time {shown_at} \d\d:\d\d:\d\d \+0800", page)
    assert "1 incomplete (stopped by a signal)" in page and 'class="verdicts"' not in page
    assert re.search(r"[\d,]+ SMS reached [\d,]+ people", page)  # what the run did until then

    later = tmp_path / "later.html"
    result = CliRunner().invoke(cli, ["report", str(journal), "--html", str(later)])

    assert result.exit_code == 0, result.output
    assert f"xiaomi-minsheng-2019 against naive: {INTERRUPTED} (seed 20190514" in result.output
    again = later.read_text(encoding="utf-8")
    assert re.search(rf"incomplete: stopped by {name} at virtual time {shown_at} ", again)
    assert 'class="verdicts"' not in again and "not judged" in again
