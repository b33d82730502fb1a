"""The parallel section's rows from made-up timings (never a timing here): the ratio against one process, the
target, the load average beside them, and a refusal when the ways of running did not end alike."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import pytest

from bench import _parallel
from bench._parallel import Settings, Timed, measure

SUMMARY = "summary: 23 scenarios × 2 seeds × 1 platform: 46 passed, 0 failed, 0 in error"


def fake_runs(monkeypatch: pytest.MonkeyPatch, *timings: Timed) -> list[Sequence[str]]:
    commands: list[Sequence[str]] = []
    answers = iter(timings)

    def timed(command: Sequence[str]) -> Timed:
        commands.append(command)
        return next(answers)

    monkeypatch.setattr(_parallel, "_timed", timed)
    monkeypatch.setitem(sys.modules, "distributed", None)  # no cluster: its row says so
    return commands


def test_two_workers_are_measured_against_one_with_the_target_and_the_load(monkeypatch: pytest.MonkeyPatch) -> None:
    commands = fake_runs(monkeypatch, Timed(100.0, 0, SUMMARY), Timed(50.0, 0, SUMMARY))

    rows, details = measure(Settings(seeds=2, borrowers=30))

    one, two, cluster = rows
    assert (one.figure, two.figure, two.ratio, two.target, two.met) == ("100.0 s", "50.0 s", 2.0, "≥ 1.8×", True)
    assert cluster.figure == "not available" and "lendsim[cluster]" in cluster.note
    assert [command[-2:] for command in commands] == [["--workers", "1"], ["--workers", "2"]]
    assert all("--seeds" in command and "1..2" in command and "30" in command for command in commands)
    assert any(line.startswith("Load average (1 / 5 / 15 min) before: ") for line in details)
    assert any("A subset of the work" in line for line in details)


def test_runs_that_did_not_end_alike_are_not_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_runs(monkeypatch, Timed(100.0, 0, SUMMARY), Timed(50.0, 1, SUMMARY.replace("46 passed, 0", "45 passed, 1")))

    with pytest.raises(RuntimeError, match="did not end alike"):
        measure(Settings(seeds=2, borrowers=30))
