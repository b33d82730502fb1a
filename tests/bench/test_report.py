"""bench/run's table and report code, on made-up rows and tiny measurements: it works, it never times anything."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import pytest

from bench import __main__ as bench_run
from bench import _replay
from bench._report import Row, format_table, markdown_block, write_report


def rows(section: str = "inprocess") -> list[Row]:
    return [
        Row(section, "through the transport", "200.0 µs/call", "100.0 µs/call", 2.0, "≤ 1.3×", False),
        Row(section, "core alone", "50.0 µs/call", note="the engine and the bank"),
    ]


def test_the_table_shows_each_ratio_its_target_and_whether_it_was_met() -> None:
    table = format_table(rows())

    assert "| through the transport " in table
    assert "2.00×" in table and "≤ 1.3×" in table and "**no**" in table
    assert "core alone [1]" in table and "[1] the engine and the bank" in table


def test_the_report_replaces_only_the_sections_that_ran(tmp_path: Path) -> None:
    report = tmp_path / "benchmarks.md"
    report.write_text("# Benchmarks\n\nHand-written notes.\n\n## Optimizations\n\nKept as written.\n")
    write_report(report, {"population": markdown_block("population", rows("population"), date(2026, 1, 1))})
    first = report.read_text()

    write_report(report, {"inprocess": markdown_block("inprocess", rows(), date(2026, 1, 2))})
    write_report(report, {"inprocess": markdown_block("inprocess", rows(), date(2026, 1, 3))})
    text = report.read_text()

    assert "Hand-written notes." in text and "Kept as written." in text
    assert text.count("<!-- bench:inprocess -->") == 1 and "2026-01-03" in text and "2026-01-02" not in text
    assert text.index("<!-- bench:inprocess -->") < text.index("<!-- bench:population -->")
    assert first[first.index("<!-- bench:population -->") :] in text


def test_bench_run_prints_the_table_and_writes_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "benchmarks.md"

    def fake(args: argparse.Namespace) -> tuple[list[Row], list[str]]:
        return rows(), ["details line"]

    code = bench_run.main(["inprocess", "--report", str(report)], runners={"inprocess": fake})

    assert code == 0
    assert "through the transport" in capsys.readouterr().out
    assert "details line" in report.read_text()


def test_bench_run_refuses_an_unknown_section() -> None:
    with pytest.raises(SystemExit):
        bench_run.parse(["htpp"])


def test_a_replay_size_beyond_the_time_cap_is_extrapolated_not_run() -> None:
    runs = [_replay.Run(1_000, 2.0, 10_000, 50_000, 200 * 2**20, True)]

    seconds, rss, how = _replay._extrapolate(runs, 100_000)
    row = _replay._extrapolated_row(100_000, seconds, rss, how, cap=60.0)

    assert seconds == pytest.approx(200.0)
    assert "extrapolated" in row.measurement and row.met is False
    assert "from 1,000 borrowers" in row.note


def test_one_tiny_replay_runs_and_reports_its_figures() -> None:
    run = _replay.replay(20)

    row = _replay._measured_row(run)

    assert run.events > 0 and run.entries > 0 and run.peak_rss > 0
    assert "20 borrowers" in row.measurement and "events/s" in row.figure


def test_the_scale_section_reports_each_run_the_memory_per_borrower_and_two_shards_against_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bench import _scale

    peaks = {(10_000, 1): 500_000, (100_000, 1): 700_000, (10_000, 2): 400_000, (100_000, 2): 450_000}  # KiB
    seconds = {1: 600.0, 2: 300.0}

    def run_once(shards: int, borrowers: int, platform: str) -> tuple[float, int, str, dict[int, tuple[str, int]]]:
        return seconds[shards] * borrowers / 100_000, 0, "", {1: ("lendsim", peaks[borrowers, shards]), 2: ("x", 9)}

    monkeypatch.setattr(_scale, "run_once", run_once)

    rows, details = _scale.measure(_scale.Settings())

    shown = {row.measurement: (row.figure, row.met) for row in rows}
    assert shown["100,000 borrowers, --shards 1: peak RSS (largest process)"] == ("0.67 GiB", True)
    assert shown["--shards 1: memory per borrower (10,000 → 100,000)"] == ("2.28 KB", False)  # 200,000 KiB / 90,000
    assert shown["--shards 2: memory per borrower (10,000 → 100,000)"] == ("0.57 KB", True)
    assert shown["100,000 borrowers, --shards 2 vs 1"] == ("300.0 s", True)
    assert len(details) == 5 and "load" in details[1]
