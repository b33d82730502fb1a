"""bench/run's instructions section without valgrind: callgrind's totals read, rows made, valgrind missing."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from bench import _instructions
from bench._report import markdown_block, write_report
from bench._tools import Unavailable
from simulator.journal import BATCH

STDERR = """==4242== Callgrind, a call-graph generating cache profiler
==4242== For interactive control, run 'callgrind_control -h'.
==4242== Events    : Ir
==4242== Collected : 461998271
==4242==
==4242== I   refs:      461,998,271
"""
OUT_FILE = """# callgrind format
version: 1
creator: callgrind-3.19.0
events: Ir
fl=(1) ???
fn=(1) 0x0000000000001000
0 17
summary: 461998271
totals: 461998271
"""
COUNTS = {
    "respx": 1_540_000.0,
    "bare-respx": 1_143_000.0,
    "bare-respx-httpx": 800_000.0,
    "transport": 1_162_000.0,
    "mock-transport": 793_000.0,
    "core": 338_000.0,
    "core-stubbed": 177_000.0,
}


def test_the_total_is_read_from_valgrinds_stderr_or_from_the_out_file() -> None:
    assert _instructions.callgrind_total(STDERR) == 461_998_271
    assert _instructions.callgrind_total(OUT_FILE) == 461_998_271
    assert _instructions.callgrind_total("events: Ir\nsummary: 1200\n") == 1200
    assert _instructions.callgrind_total("==1== Callgrind, a call-graph generating cache profiler\n") is None


def test_counted_paths_become_instructions_per_call_ratios_and_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_instructions, "missing_tools", lambda: None)
    monkeypatch.setattr(_instructions, "count", lambda name, settings: COUNTS[name])

    rows, details = _instructions.measure(_instructions.Settings())

    respx, same_level, transport, core, stubbed = rows
    assert (respx.figure, respx.baseline, respx.target, respx.met) == (
        "1,540k instr/call",
        "1,143k instr/call",
        "≤ 1.2×",
        False,
    )
    assert respx.ratio == pytest.approx(1_540 / 1_143)
    assert same_level.ratio == pytest.approx(1_540 / 800)
    assert (same_level.target, same_level.met) == ("—", None) and "httpcore" in same_level.note
    assert transport.target == "≤ 1.3×" and transport.ratio == pytest.approx(1_162 / 793)
    assert core.figure == "338k instr/call" and core.note == "0.43× a bare MockTransport call" and core.met is None
    assert stubbed.figure == "177k instr/call"
    assert "callgrind" in details[0] and "1,024 calls" in details[0]


def test_the_counted_calls_take_in_whole_journal_batches() -> None:
    # Two rows a call: a multiple of BATCH / 2 calls crosses the batch size exactly calls / (BATCH / 2) times.
    for settings in (_instructions.Settings(), _instructions.Settings.quick()):
        assert settings.calls % (BATCH // 2) == 0


def test_without_valgrind_every_row_says_not_available_and_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda tool: None)

    def never(name: str, settings: _instructions.Settings) -> float:
        raise AssertionError("nothing is counted without valgrind")

    monkeypatch.setattr(_instructions, "count", never)

    rows, _ = _instructions.measure(_instructions.Settings())

    assert [row.figure for row in rows] == ["not available"] * 5
    assert all("valgrind and callgrind_control not installed" in row.note for row in rows)
    assert [row.target for row in rows] == ["≤ 1.2×", "—", "≤ 1.3×", "—", "—"]


def test_a_path_that_fails_spoils_only_its_own_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_instructions, "missing_tools", lambda: None)

    def count(name: str, settings: _instructions.Settings) -> float:
        if name == "bare-respx":
            raise Unavailable("bare-respx: no 'ready' from the child within the time limit")
        return COUNTS[name]

    monkeypatch.setattr(_instructions, "count", count)

    rows, _ = _instructions.measure(_instructions.Settings())

    assert rows[0].figure == "not available" and "no 'ready'" in rows[0].note
    assert [row.figure for row in rows[1:]] == [
        "1,540k instr/call",
        "1,162k instr/call",
        "338k instr/call",
        "177k instr/call",
    ]


def test_the_instructions_block_goes_right_after_the_in_process_block(tmp_path: Path) -> None:
    report = tmp_path / "benchmarks.md"
    write_report(report, {"inprocess": markdown_block("inprocess", [], date(2026, 1, 1))})
    write_report(report, {"replay": markdown_block("replay", [], date(2026, 1, 1))})

    write_report(report, {"instructions": markdown_block("instructions", [], date(2026, 1, 2))})
    text = report.read_text()

    assert (
        text.index("<!-- /bench:inprocess -->")
        < text.index("<!-- bench:instructions -->")
        < text.index("<!-- bench:replay -->")
    )
