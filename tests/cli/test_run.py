"""``lendsim run`` as CI sees it: the exit code, the console, the JSON reports and the JUnit file.

0 passed (every expected invariant exercised and held), 1 an invariant violated or not exercised, 2 bad input or
the platform failing a call of the harness — and 2 wins when runs of one command end differently.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import socket
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from simulator.cli import cli

ROOT = Path(__file__).resolve().parents[2]
HOLDS_AND_IDLES = """\
name: idle-check
seed: 9
start: 2019-05-01
duration: 20 days
population: {borrowers: 5, loan: {principal: 1000..2000, term: 2, due_day: 10}}
borrowers: {on_time: 100%, pay_at: "10:00"}
expect:
  no_false_delinquency: {window: 5 days}
  dispute_sla: {}
"""
JUDGES_NOTHING = HOLDS_AND_IDLES.replace(
    "  no_false_delinquency: {window: 5 days}\n  dispute_sla: {}\n",
    "  notice_before_negative_report: {}\n  dispute_sla: {}\n",
)
CREATED: list[str] = []


def lendsim(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def free_port() -> int:
    """A loopback port nothing listens on (bound, then let go)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def junit(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def cases(root: ET.Element) -> dict[str, str]:
    """Each test case (suite / name) and what it is: passed, failure or error."""
    found = {}
    for suite in root.iter("testsuite"):
        for case in suite.iter("testcase"):
            outcome = next((child.tag for child in case if child.tag in ("failure", "error", "skipped")), "passed")
            found[f"{suite.get('name')} / {case.get('name')}"] = outcome
    return found


# -- platforms in-process ------------------------------------------------------------------------------------


class Raising:
    """A platform whose every operation raises."""

    def __getattr__(self, name: str) -> Any:
        def fail(*args: object) -> None:
            raise RuntimeError(f"{name} is broken (card 6222021234567890123)")

        return fail


class Empty:
    """A platform object with no methods at all."""


class TickFails:
    """The resilient platform, until its third tick fails."""

    def __init__(self) -> None:
        from lendsim_examples import resilient

        self.inner = resilient.create()
        self.ticks = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def tick(self, body: dict[str, Any]) -> dict[str, Any]:
        self.ticks += 1
        CREATED.append(f"tick {self.ticks}")
        if self.ticks == 3:
            raise ConnectionError("the scheduler crashed")
        result: dict[str, Any] = self.inner.tick(body)
        return result


def raising() -> Raising:
    return Raising()


def empty() -> Empty:
    return Empty()


def tick_fails() -> TickFails:
    return TickFails()


def counted() -> object:
    """The resilient platform, counting how often one was made."""
    from lendsim_examples import resilient

    CREATED.append("made")
    return resilient.create()


# -- the platform failing is an error --------------------------------------------------------------------------


def test_an_unreachable_platform_is_an_error_exit_2_not_a_pass(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"

    result = lendsim(
        "run",
        "sms-retry-storm",
        "duplicate-callback",
        "--platform",
        url,
        "--borrowers",
        5,
        "--junit",
        tmp_path / "j.xml",
        "--report-dir",
        tmp_path / "reports",
    )

    assert result.exit_code == 2, result.output
    assert "sms-retry-storm against " + url + ": ERROR" in result.output
    assert f"the platform failed setupRun: POST {url}/harness/setup: could not connect" in result.output
    assert "invariants held" not in result.output
    root = junit(tmp_path / "j.xml")
    assert set(cases(root).values()) == {"error"} and len(cases(root)) == 4  # each expected invariant, in error
    assert [suite.get("errors") for suite in root.iter("testsuite")] == ["2", "2"]
    report = json.loads(next((tmp_path / "reports").glob("sms-retry-storm-*.json")).read_text(encoding="utf-8"))
    assert report["status"] == "error" and report["passed"] is False and report["invariants"] == []
    assert report["error"]["operation"] == "setupRun"


def test_a_platform_raising_in_every_operation_is_an_error_naming_the_operation_and_its_answer_masked(
    tmp_path: Path,
) -> None:
    result = lendsim(
        "run",
        "sms-retry-storm",
        "--platform",
        "tests.cli.test_run:raising",
        "--borrowers",
        5,
        "--junit",
        tmp_path / "j.xml",
    )

    assert result.exit_code == 2, result.output
    assert "the platform failed setupRun: setup_run() raised RuntimeError('setup_run is broken" in result.output
    assert "6222021234567890123" not in result.output  # what the platform said is masked
    assert "6222021234567890123" not in (tmp_path / "j.xml").read_text(encoding="utf-8")
    assert set(cases(junit(tmp_path / "j.xml")).values()) == {"error"}


def test_a_platform_object_without_methods_is_an_error_listing_what_it_lacks() -> None:
    result = lendsim("run", "sms-retry-storm", "--platform", "tests.cli.test_run:empty", "--borrowers", 5)

    assert result.exit_code == 2, result.output
    assert "the in-process platform Empty has no setup_run(), tick(), borrower_repay(), platform_ledger()" in (
        result.output
    )
    assert "sms_report()" in result.output


def test_a_harness_call_failing_mid_run_stops_the_run_at_once() -> None:
    CREATED.clear()

    result = lendsim("run", "sms-retry-storm", "--platform", "tests.cli.test_run:tick_fails", "--borrowers", 5)

    assert result.exit_code == 2, result.output
    assert "the platform failed tick: tick() raised ConnectionError('the scheduler crashed')" in result.output
    assert CREATED == ["tick 1", "tick 2", "tick 3"]  # no tick after the one that failed


async def refusing_platform(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An HTTP platform that refuses its set-up (422, with a borrower's phone in the problem) and answers the
    ledger with HTML."""
    if scope["type"] != "http":
        return
    if scope["path"] == "/harness/ledger":
        status, body, kind = 200, b"<html>ledger</html>", b"text/html"
    else:
        status, body, kind = 422, b'{"title": "timezone unknown", "phone": "13912345678"}', b"application/json"
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", kind)]})
    await send({"type": "http.response.body", "body": body})


def test_a_platform_refusing_its_set_up_over_http_is_an_error_with_its_answer_masked() -> None:
    from tests.http.conftest import running

    with running(refusing_platform) as url:
        result = lendsim("run", "sms-retry-storm", "--platform", url, "--borrowers", 5)

    assert result.exit_code == 2, result.output
    assert f"the platform failed setupRun: POST {url}/harness/setup answered 422:" in result.output
    assert "timezone unknown" in result.output and "13912345678" not in result.output


def test_an_error_outranks_a_violation_when_runs_end_differently(tmp_path: Path) -> None:
    result = lendsim(
        "run",
        "xiaomi-minsheng-2019",
        "--platform",
        "naive",
        "--platform",
        f"http://127.0.0.1:{free_port()}",
        "--borrowers",
        5,
    )

    assert result.exit_code == 2, result.output
    assert "1 failed, 1 in error" in result.output


# -- not exercised is not a pass -------------------------------------------------------------------------------


def test_an_expected_invariant_that_judged_nothing_fails_the_run_as_not_exercised(tmp_path: Path) -> None:
    scenario = tmp_path / "idle.yaml"
    scenario.write_text(HOLDS_AND_IDLES, encoding="utf-8")

    result = lendsim(
        "run",
        scenario,
        "--platform",
        "resilient",
        "--junit",
        tmp_path / "j.xml",
        "--report-dir",
        tmp_path / "reports",
    )

    assert result.exit_code == 1, result.output
    assert "idle-check against resilient: FAILED" in result.output
    assert re.search(r"held +O1 no_false_delinquency +5 +0", result.output)
    assert re.search(r"NOT EXERCISED +O8 dispute_sla +0 +0 +no disputes filed in the run", result.output)
    assert cases(junit(tmp_path / "j.xml")) == {
        "idle-check [resilient] / O1 no_false_delinquency": "passed",
        "idle-check [resilient] / O8 dispute_sla": "error",
    }
    error = junit(tmp_path / "j.xml").find(".//error")
    assert error is not None and error.get("message") == "not exercised: judged nothing: no disputes filed in the run"
    report = json.loads((tmp_path / "reports" / "idle-check-resilient-9.json").read_text(encoding="utf-8"))
    assert [(i["key"], i["outcome"], i["held"]) for i in report["invariants"]] == [
        ("no_false_delinquency", "held", True),
        ("dispute_sla", "not exercised", False),
    ]
    assert report["status"] == "failed" and report["passed"] is False


def test_a_scenario_whose_invariants_all_judge_nothing_does_not_pass(tmp_path: Path) -> None:
    scenario = tmp_path / "nothing.yaml"
    scenario.write_text(JUDGES_NOTHING, encoding="utf-8")

    result = lendsim("run", scenario, "--platform", "resilient")

    assert result.exit_code == 1, result.output
    assert "0/2 invariants held, 0 violated, 2 not exercised" in result.output


def test_a_scenario_expecting_no_invariant_does_not_pass(tmp_path: Path) -> None:
    scenario = tmp_path / "empty.yaml"
    scenario.write_text(JUDGES_NOTHING.split("expect:")[0], encoding="utf-8")

    result = lendsim("run", scenario, "--platform", "resilient")

    assert result.exit_code in (1, 2), result.output  # 2 once lint makes expect: required
    assert "0/0 invariants held" not in result.output and "passed" not in result.output


# -- bad input is refused before the run --------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--report-dir", "--junit"])
def test_an_output_path_that_cannot_be_written_is_refused_before_the_run(tmp_path: Path, option: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    target = blocker / "reports" if option == "--report-dir" else blocker / "junit.xml"
    CREATED.clear()

    result = lendsim("run", "sms-retry-storm", "--platform", "tests.cli.test_run:counted", option, target)

    assert result.exit_code == 2, result.output
    assert f"Invalid value for {option}: cannot write to" in result.output and "a-file' is a file" in result.output
    assert "Traceback" not in result.output and CREATED == []  # nothing ran


def test_a_folder_given_as_the_junit_file_is_refused(tmp_path: Path) -> None:
    result = lendsim("run", "sms-retry-storm", "--platform", "resilient", "--junit", tmp_path)

    assert result.exit_code == 2
    assert "is a directory" in result.output


@pytest.mark.parametrize("seed", ["9" * 5000, "-1", "9223372036854775808", "ten"])
def test_a_seed_out_of_range_is_refused_with_the_range(seed: str) -> None:
    result = lendsim("run", "sms-retry-storm", "--platform", "resilient", "--seed", seed)

    assert result.exit_code == 2
    assert "is not a seed: give a whole number from 0 to 9,223,372,036,854,775,807" in result.output
    assert "Traceback" not in result.output and len(result.output) < 1000


# -- reports -----------------------------------------------------------------------------------------------


def test_each_scenario_against_each_platform_has_its_own_report_suite_and_a_line_in_the_summary(
    tmp_path: Path,
) -> None:
    result = lendsim(
        "run",
        "xiaomi-minsheng-2019",
        "sms-retry-storm",
        "--platform",
        "naive",
        "--platform",
        "resilient",
        "--borrowers",
        10,
        "--report-dir",
        tmp_path / "reports",
        "--junit",
        tmp_path / "j.xml",
    )

    assert result.exit_code == 1, result.output
    assert sorted(path.name for path in (tmp_path / "reports").iterdir()) == [
        "report.html",  # the HTML report of all four runs
        "sms-retry-storm-naive-5.json",
        "sms-retry-storm-resilient-5.json",
        "xiaomi-minsheng-2019-naive-20190514.json",
        "xiaomi-minsheng-2019-resilient-20190514.json",
    ]
    page = (tmp_path / "reports" / "report.html").read_text(encoding="utf-8")
    assert [f'id="run{index}"' in page for index in range(5)] == [True, True, True, True, False]
    suites = [suite.get("name") for suite in junit(tmp_path / "j.xml").iter("testsuite")]
    assert suites == [
        "xiaomi-minsheng-2019 [naive]",
        "xiaomi-minsheng-2019 [resilient]",
        "sms-retry-storm [naive]",
        "sms-retry-storm [resilient]",
    ]
    summary = result.output[result.output.index("summary: 2 scenarios × 2 platforms: 2 passed, 2 failed, 0 in error") :]
    rows = summary.splitlines()[1:6]
    assert rows[0].split() == ["scenario", "platform", "result", "held", "violated", "not", "exercised", "seconds"]
    assert [row.split()[:3] for row in rows[1:]] == [
        ["xiaomi-minsheng-2019", "naive", "FAILED"],
        ["xiaomi-minsheng-2019", "resilient", "passed"],
        ["sms-retry-storm", "naive", "FAILED"],
        ["sms-retry-storm", "resilient", "passed"],
    ]
    assert len({row.index(row.split()[2]) for row in rows}) == 1  # the result column is aligned


def test_the_side_by_side_table_keeps_its_columns_apart() -> None:
    result = lendsim("run", "xiaomi-minsheng-2019", "--platform", "naive", "--platform", "resilient", "--borrowers", 10)

    table = result.output[result.output.index("xiaomi-minsheng-2019, side by side:") :].splitlines()[1:7]
    column = table[0].index("resilient")
    assert re.search(r"VIOLATED ×\d+ +held", table[1])  # never 'VIOLATED ×1022held'
    assert all(len(row) > column and row[column - 2 : column] == "  " for row in table)


def test_the_replay_line_is_a_command_that_replays_the_run(tmp_path: Path) -> None:
    scenario = tmp_path / "my scenarios" / "idle.yaml"
    scenario.parent.mkdir()
    scenario.write_text(HOLDS_AND_IDLES, encoding="utf-8")
    first = lendsim("run", scenario, "--platform", "resilient", "--borrowers", 3)
    catalog = lendsim("run", "sms-retry-storm", "--platform", "naive", "--borrowers", 5)

    replay = next(line for line in first.output.splitlines() if "replay:" in line).split("replay: ", 1)[1]
    catalog_replay = next(line for line in catalog.output.splitlines() if "replay:" in line).split("replay: ", 1)[1]
    again = lendsim(*shlex.split(replay)[1:])

    assert shlex.split(replay)[:3] == ["lendsim", "run", str(scenario)]  # the space in the path is quoted
    assert catalog_replay == "lendsim run sms-retry-storm --platform naive --seed 5 --borrowers 5"
    assert again.exit_code == first.exit_code == 1
    assert re.sub(r"[0-9.]+ s\)", "", again.output) == re.sub(r"[0-9.]+ s\)", "", first.output)  # all but the time


def test_no_json_report_is_mentioned_when_none_was_written() -> None:
    result = lendsim("run", "xiaomi-minsheng-2019", "--platform", "naive", "--borrowers", 10)

    assert result.exit_code == 1
    assert "more no_false_delinquency violations" in result.output
    assert "JSON report" not in result.output and "report:" not in result.output


def test_scripts_demo_writes_a_report_and_a_junit_suite_per_platform_and_the_html_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = importlib.util.spec_from_file_location("demo", ROOT / "scripts" / "demo.py")
    assert spec is not None and spec.loader is not None
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)

    code = demo.main(["10", str(tmp_path)])

    assert code == 0
    assert sorted(path.name for path in tmp_path.glob("*.json")) == [
        "xiaomi-minsheng-2019-naive-20190514.json",
        "xiaomi-minsheng-2019-resilient-20190514.json",
    ]
    assert [suite.get("name") for suite in junit(tmp_path / "junit.xml").iter("testsuite")] == [
        "xiaomi-minsheng-2019 [naive]",
        "xiaomi-minsheng-2019 [resilient]",
    ]
    resilient = json.loads((tmp_path / "xiaomi-minsheng-2019-resilient-20190514.json").read_text(encoding="utf-8"))
    assert resilient["status"] == "passed" and {i["outcome"] for i in resilient["invariants"]} == {"held"}
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "xiaomi-minsheng-2019 against naive" in page and "xiaomi-minsheng-2019 against resilient" in page
    assert f"The HTML report (open it in a browser): {tmp_path / 'report.html'}" in capsys.readouterr().out
