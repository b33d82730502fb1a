"""``lendsim explore`` reaches, with no catalog scenario to start from, what scenarios/notice-storm.yaml shows: the
bank's link down while borrowers pay, the bank's overdue notices, and the SMS gateway failing as the platform
reassures its borrowers. Without its SMS de-duplication the resilient platform sends the same text twice (O2,
judged by what the phone receives); the resilient platform itself gives nothing over the same runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from simulator.cli import cli

MUTANTS = """\
from lendsim_examples import resilient


def without_sms_dedupe():
    return resilient.create(disable={"sms_dedupe"})
"""
MUTANT = "explore_sms_mutant:without_sms_dedupe"
#: A search of this many runs at this seed reaches the violation: at run 23 when written (the bank's link down
#: past the grace, then a fault where the probe saw the platform meet a partner after the bank's batch: two
#: deliveries of the same reassurance SMS), shrunk to 2 faults and 1 borrower. The budget leaves room: a change in
#: what explore draws may move the run, and this test says whether it still gets there.
BUDGET = "60 runs"
SEED = "2"

pytestmark = pytest.mark.slow  # two searches of up to 60 runs each, and the shrink: 1.5 minutes or more


def lendsim(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args])


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder to work in, holding a module with the mutant."""
    (tmp_path / "explore_sms_mutant.py").write_text(MUTANTS, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_mutant_without_sms_dedupe_is_found_on_o2_shrunk_and_replayed_by_lendsim_run(workdir: Path) -> None:
    result = lendsim("explore", "--platform", MUTANT, "--budget", BUDGET, "--seed", SEED, "--out", "found")

    assert result.exit_code == 1, result.output
    assert "O2 sms_unique violated: first at run" in result.output
    (written,) = (workdir / "found").glob("*-sms-unique.yaml")
    text = written.read_text(encoding="utf-8")
    assert "# O2 sms_unique violated" in text
    data = yaml.safe_load(text)
    assert len(data.get("faults", ())) <= 3 and data["population"]["borrowers"] <= 20
    assert data["expect"]["sms_unique"] == {"senders": ["platform"]}
    assert lendsim("lint", "--strict", written).exit_code == 0
    replay = lendsim("run", written, "--platform", MUTANT)
    assert replay.exit_code == 1, replay.output
    assert re.search(r"VIOLATED\s+O2 sms_unique", replay.output)
    assert lendsim("run", written, "--platform", "resilient").exit_code == 0  # the mutant's doing


def test_the_resilient_platform_gives_nothing_over_the_same_runs(workdir: Path) -> None:
    result = lendsim("explore", "--platform", "resilient", "--budget", BUDGET, "--seed", SEED, "--out", "found")

    assert result.exit_code == 0, result.output
    assert "nothing found within the budget" in result.output
