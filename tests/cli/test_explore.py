"""``lendsim explore`` as a user runs it: a mutant of the resilient platform is found and written as a minimal
scenario that lint passes and ``lendsim run`` replays; the resilient platform gives nothing; bad input is exit 2."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from simulator.cli import cli

MUTANTS = """\
from lendsim_examples import resilient


def without_masked_logs():
    return resilient.create(disable={"masked_logs"})
"""
MUTANT = "explore_mutants:without_masked_logs"


def lendsim(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args])


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder to work in, holding a module with a mutant of the resilient platform."""
    (tmp_path / "explore_mutants.py").write_text(MUTANTS, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_mutant_is_found_shrunk_and_written_as_a_scenario_lint_passes_and_run_replays(workdir: Path) -> None:
    result = lendsim("explore", "--platform", MUTANT, "--budget", "5 runs", "--seed", "1", "--out", "found")

    assert result.exit_code == 1, result.output
    (written,) = sorted((workdir / "found").glob("*.yaml"))
    text = written.read_text(encoding="utf-8")
    assert text.startswith(f"# Found by `lendsim explore --platform {MUTANT}`, shrunk to 0 faults, 1 borrower")
    assert "# O7 pii_minimized violated" in text
    assert re.search(r"^expect:\n  pii_minimized: \{\}\n$", text, re.MULTILINE)
    assert "O7 pii_minimized violated: first at run 2" in result.output
    assert lendsim("lint", "--strict", written).exit_code == 0
    replay = lendsim("run", written, "--platform", MUTANT)
    assert replay.exit_code == 1
    assert re.search(r"VIOLATED\s+O7 pii_minimized", replay.output)
    assert lendsim("run", written, "--platform", "resilient").exit_code == 0  # the mutant's doing
    assert any((workdir / ".lendsim" / "explore").iterdir())  # hypothesis' database


def test_the_resilient_platform_gives_nothing_within_a_small_budget(workdir: Path) -> None:
    result = lendsim("explore", "--platform", "resilient", "--budget", "4 runs", "--seed", "7", "--out", "found")

    assert result.exit_code == 0, result.output
    assert "nothing found within the budget" in result.output
    assert not (workdir / "found").exists() or not any((workdir / "found").iterdir())


@pytest.mark.parametrize(
    ("budget", "shown"),
    [("10x", "'10x' is not a budget"), ("0 runs", "'0 runs' is not a budget"), ("-5m", "'-5m' is not a budget")],
)
def test_a_bad_budget_is_exit_2_naming_the_forms(workdir: Path, budget: str, shown: str) -> None:
    result = lendsim("explore", "--platform", "resilient", "--budget", budget)

    assert result.exit_code == 2
    assert shown in result.output
    assert "10m, 90s or 1h" in result.output
    assert not (workdir / ".lendsim").exists()


def test_a_bad_seed_is_exit_2_with_the_range(workdir: Path) -> None:
    result = lendsim("explore", "--platform", "resilient", "--seed", "-3")

    assert result.exit_code == 2
    assert "is not a seed: give a whole number from 0 to" in result.output
    assert not (workdir / ".lendsim").exists()


def test_an_unknown_platform_is_exit_2(workdir: Path) -> None:
    result = lendsim("explore", "--platform", "nosuch", "--budget", "1 run")

    assert result.exit_code == 2
    assert "neither a URL, module:factory" in result.output


def test_a_platform_that_is_not_there_stops_the_search_with_exit_2(workdir: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    result = lendsim("explore", "--platform", f"http://127.0.0.1:{port}", "--budget", "3 runs", "--seed", "1")

    assert result.exit_code == 2
    assert "error:" in result.output
    assert "error: run 1 stopped: the platform failed setupRun" in result.output


@pytest.mark.slow
def test_two_workers_search_apart_and_the_findings_are_merged_and_written(workdir: Path) -> None:
    result = lendsim(
        "explore", "--platform", MUTANT, "--budget", "6 runs", "--seed", "1", "--out", "found", "--workers", "2"
    )

    assert result.exit_code == 1, result.output
    assert "explore: 2 searches on 2 local processes, seeds 1..2" in result.stderr
    assert re.search(r"explore: search 1 \(seed 1\): \d+ runs", result.stderr)
    assert re.search(r"explore: search 2 \(seed 2\): \d+ runs", result.stderr)
    (written,) = sorted((workdir / "found").glob("*.yaml"))  # one file per invariant, the smallest of the two
    assert "# O7 pii_minimized violated" in written.read_text(encoding="utf-8")
    assert lendsim("run", written, "--platform", MUTANT).exit_code == 1
    assert any((workdir / ".lendsim" / "explore").iterdir())  # the workers share hypothesis' database


def test_a_platform_that_is_not_there_stops_every_worker_search_with_exit_2(workdir: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    result = lendsim(
        "explore", "--platform", f"http://127.0.0.1:{port}", "--budget", "4 runs", "--seed", "1", "--workers", "2"
    )

    assert result.exit_code == 2
    assert "the platform failed setupRun" in result.output
