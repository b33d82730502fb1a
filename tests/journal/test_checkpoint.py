"""A journal file's write-ahead log is copied into the database by a thread of its own, never inside a commit (a
commit is on the server's event loop; SQLite's own checkpoint there held it 30–90 ms every second or two)."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from simulator.journal import Journal
from simulator.journal._journal import CHECKPOINT_ROWS

T0 = datetime(2019, 5, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
NAME = "lendsim-journal-checkpoint"


def _checkpointers() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == NAME]


def _append(journal: Journal, count: int) -> None:
    for number in range(count):
        journal.add("request", T0, "bank", "repayApply", data={"body": {"repayOuterNo": f"RP{number:06d}"}})


def test_a_commit_never_checkpoints_and_the_checkpointer_copies_the_log_into_the_file(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    before = len(_checkpointers())
    with Journal(path) as journal:
        _append(journal, CHECKPOINT_ROWS // 2)
        journal.flush()
        idle = len(_checkpointers())  # under CHECKPOINT_ROWS rows: no thread yet
        database_before = path.stat().st_size
        _append(journal, CHECKPOINT_ROWS)
        journal.flush()
        started = len(_checkpointers())
        deadline = time.monotonic() + 30
        while path.stat().st_size == database_before and time.monotonic() < deadline:
            time.sleep(0.01)
        copied = path.stat().st_size > database_before
        autocheckpoint = journal._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    after = len(_checkpointers())

    assert autocheckpoint == 0
    assert (idle, started, after) == (before, before + 1, before)  # started once it was needed, stopped at close
    assert copied  # the database file grew while the journal was open: the log was copied in, off this thread
    with sqlite3.connect(path) as reader:
        assert reader.execute("SELECT count(*) FROM entries").fetchone()[0] == CHECKPOINT_ROWS // 2 + CHECKPOINT_ROWS


def test_a_journal_in_memory_has_no_checkpointer() -> None:
    before = len(_checkpointers())
    with Journal() as journal:
        _append(journal, CHECKPOINT_ROWS * 2)
        journal.flush()
        during = len(_checkpointers())

    assert during == before
