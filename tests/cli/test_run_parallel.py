"""``lendsim run --seeds … --workers N`` as CI sees it: the same exit code, console, JSON reports, JUnit and HTML
report as one process gives; bad ``--seeds``, ``--workers`` and ``--cluster`` refused with the fix (exit 2)."""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from simulator.cli import cli
from simulator.run import _pool

SCENARIOS = ("out-of-order-callback", "late-or-lost-callback")


def lendsim(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def _reports(folder: Path) -> dict[str, dict[str, Any]]:
    """The JSON reports of a folder by file name, without what differs between two runs of the same thing."""
    reports = {}
    for path in sorted(folder.glob("*.json")):
        report = json.loads(path.read_text(encoding="utf-8"))
        report.pop("wallSeconds")
        reports[path.name] = report
    return reports


def _cases(junit: Path) -> list[tuple[str | None, str | None, str | None, str | None]]:
    """Every test case of a JUnit file: suite, name, and its failure's or error's message."""
    cases = []
    for suite in ET.parse(junit).getroot().iter("testsuite"):
        for case in suite.iter("testcase"):
            failure, error = case.find("failure"), case.find("error")
            cases.append(
                (
                    suite.get("name"),
                    case.get("name"),
                    None if failure is None else failure.get("message"),
                    None if error is None else error.get("message"),
                )
            )
    return cases


def _console(output: str, folder: Path) -> str:
    """The console without the seconds each run took and the folder the files went to."""
    output = output.replace(str(folder), "OUT")
    output = re.sub(r"\d+\.\d s\)", "… s)", output)
    return re.sub(r"(?m) +\d+\.\d$", "", output)


def _page(path: Path) -> str:
    """An HTML report without the seconds each run took."""
    return re.sub(r"\d+\.\d+ s", "… s", path.read_text(encoding="utf-8"))


@pytest.mark.slow  # over 7 s: processes started as a user starts them; scripts/test runs it after the default suite
def test_two_workers_report_what_one_process_reports(tmp_path: Path) -> None:
    common = ["--platform", "naive", "--platform", "resilient", "--seeds", "3..4", "--borrowers", "12"]
    one, two = tmp_path / "one", tmp_path / "two"

    serial = lendsim("run", *SCENARIOS, *common, "--report-dir", one, "--junit", one / "junit.xml")
    pooled = lendsim("run", *SCENARIOS, *common, "--report-dir", two, "--junit", two / "junit.xml", "--workers", "2")

    assert serial.exit_code == pooled.exit_code == 1, pooled.output
    reports = _reports(one)
    assert len(reports) == 8  # 2 scenarios × 2 seeds × 2 platforms
    assert _reports(two) == reports
    assert {report["status"] for report in reports.values()} == {"passed", "failed"}
    assert _cases(two / "junit.xml") == _cases(one / "junit.xml")
    assert _console(pooled.stdout, two) == _console(serial.stdout, one)
    assert "summary: 2 scenarios × 2 seeds × 2 platforms: 4 passed, 4 failed, 0 in error" in pooled.stdout
    assert "8 runs on 2 local processes" in pooled.stderr
    # the one HTML report, made from the journals the workers shipped back, is the one a single process writes
    assert _page(two / "report.html").count('class="run"') == 8
    assert _page(two / "report.html") == _page(one / "report.html")


@pytest.mark.slow  # over 7 s: processes started as a user starts them; scripts/test runs it after the default suite
def test_the_journals_of_pooled_runs_are_kept_as_one_process_keeps_them(tmp_path: Path) -> None:
    result = lendsim(
        "run", SCENARIOS[0], "--platform", "naive", "--seeds", "1,2", "--borrowers", "8", "--workers", "2",
        "--journal", tmp_path / "run.sqlite",
    )  # fmt: skip

    assert result.exit_code == 1, result.output
    kept = sorted(path.name for path in tmp_path.glob("*.sqlite"))
    assert kept == [f"run-{SCENARIOS[0]}-naive-1.sqlite", f"run-{SCENARIOS[0]}-naive-2.sqlite"]
    again = lendsim("report", tmp_path / kept[0], "--html", tmp_path / "later.html")
    assert again.exit_code == 0, again.output
    assert "--seed 1" in (tmp_path / "later.html").read_text(encoding="utf-8")


@pytest.mark.slow  # over 7 s: processes started as a user starts them; scripts/test runs it after the default suite
def test_a_platform_that_fails_the_harness_in_a_worker_is_exit_2(tmp_path: Path) -> None:
    result = lendsim(
        "run", SCENARIOS[0], "--platform", "naive", "--platform", "http://127.0.0.1:9", "--borrowers", "5",
        "--workers", "2", "--junit", tmp_path / "junit.xml",
    )  # fmt: skip

    assert result.exit_code == 2, result.output
    assert "ERROR" in result.stdout
    assert any(error for *_, error in _cases(tmp_path / "junit.xml"))


@pytest.mark.parametrize(
    ("seeds", "says"),
    [
        ("20..1", "runs backwards; write the smaller seed first: 1..20"),
        ("1-20", "write a range such as 1..20, a list such as 1,5,9, or one seed such as 7"),
        ("one", "is not a seed or a range of seeds"),
        ("1,,2", "'' is not a seed or a range of seeds"),
        ("0..20000", "more than 10,000 seeds"),
        ("99999999999999999999", "seeds are whole numbers from 0 to 9,223,372,036,854,775,807"),
    ],
)
def test_seeds_that_are_not_seeds_are_refused_with_the_forms_that_are(seeds: str, says: str) -> None:
    result = lendsim("run", SCENARIOS[0], "--platform", "naive", "--seeds", seeds)

    assert result.exit_code == 2
    assert "Invalid value for '--seeds'" in result.output
    assert says in result.output
    assert "Traceback" not in result.output


def test_seed_and_seeds_together_are_refused() -> None:
    result = lendsim("run", SCENARIOS[0], "--platform", "naive", "--seed", "1", "--seeds", "1..2")

    assert result.exit_code == 2
    assert "give --seed or --seeds, not both" in result.output


def test_one_seed_in_seeds_runs_as_that_seed() -> None:
    result = lendsim("run", SCENARIOS[0], "--platform", "resilient", "--seeds", "7", "--borrowers", "5")

    assert result.exit_code == 0, result.output
    assert "(seed 7, 5 borrowers" in result.stdout


def test_zero_workers_are_refused() -> None:
    result = lendsim("run", SCENARIOS[0], "--platform", "naive", "--workers", "0")

    assert result.exit_code == 2
    assert "Invalid value for '--workers'" in result.output


@pytest.mark.parametrize("address", ["localhost", "scheduler:8786", "tcp://"])
def test_a_cluster_address_without_its_scheme_is_refused_with_an_example(address: str) -> None:
    result = lendsim("run", SCENARIOS[0], "--platform", "naive", "--cluster", address)

    assert result.exit_code == 2
    assert "is not a scheduler address" in result.output
    assert "tcp://scheduler-host:8786" in result.output


def test_workers_and_a_cluster_together_are_refused() -> None:
    result = lendsim("run", SCENARIOS[0], "--platform", "naive", "--workers", "2", "--cluster", "tcp://127.0.0.1:1")

    assert result.exit_code == 2
    assert "give --workers or --cluster, not both" in result.output


def test_a_cluster_without_distributed_installed_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed raises ImportError

    result = lendsim("run", SCENARIOS[0], "--platform", "naive", "--cluster", "tcp://127.0.0.1:8786")

    assert result.exit_code == 2
    assert "Invalid value for --cluster: the cluster engine, Dask distributed, is not installed" in result.output
    assert "pip install 'lendsim[cluster]'" in result.output
    assert "Traceback" not in result.output


def test_a_scheduler_that_does_not_answer_is_named_with_how_to_start_one(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr(_pool, "_CONNECT_SECONDS", 1)

    result = lendsim("run", SCENARIOS[0], "--platform", "naive", "--cluster", "tcp://127.0.0.1:9")

    assert result.exit_code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.output
    assert "dask scheduler" in result.output
