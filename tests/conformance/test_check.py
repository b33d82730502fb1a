"""``lendsim check`` against real servers on loopback ports: a conformant platform passes, broken receivers are
caught with the operation, the rule and the request named, and bad input is one line and exit 2."""

from __future__ import annotations

import asyncio
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lendsim_examples import app_for
from simulator import Simulator
from simulator.cli import cli, main
from simulator.cli._check import _PHASES
from simulator.conformance import PHASES
from simulator.http import create_app
from tests.http.conftest import running

ROOT = Path(__file__).resolve().parents[2]
PLATFORM = str(ROOT / "contracts" / "platform.yaml")
# What the partners and the app call on a platform. Its harness operations are left out here: setupRun makes the
# platform call the partner URLs it is given, which fuzzing fills with random hosts (docs/contract-testing.md).
RECEIVERS = ("borrowerRepay", "repayResultNotify", "bankNotice", "smsReport")
QUICK = ("--max-examples", "3", "--seed", "1", "--no-stateful", "--time-limit", "60")

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def check(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["check", "--contract", PLATFORM, "--url", url, *QUICK, *args])
    return result.exit_code, result.output


def answering(status: int, body: Any) -> Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]:
    """A receiver that answers every request with ``status`` and ``body``, whatever it was sent."""

    async def app(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        payload = json.dumps(body).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    return app


@pytest.fixture(scope="module")
def resilient_platform() -> Iterator[str]:
    with running(app_for("resilient")) as url:
        yield url


@pytest.mark.slow
def test_the_resilient_platforms_receivers_conform_to_the_platform_contract(resilient_platform: str) -> None:
    code, output = check(resilient_platform, *(arg for name in RECEIVERS for arg in ("--operation", name)))

    assert code == 0, output
    assert "4 operations: 4 passed, 0 failed" in output
    assert re.search(r"passed  repayResultNotify \(POST /callbacks/bank/repay-result\) +\d+ cases", output)


@pytest.mark.parametrize("name", ["resilient", "naive"])
def test_the_reference_platforms_harness_operations_conform_even_to_a_clock_leaping_years_ahead(name: str) -> None:
    with running(app_for(name)) as url:
        code, output = check(
            url, *(arg for op in ("resetRun", "tick", "platformLedger") for arg in ("--operation", op))
        )

    assert code == 0, output
    assert "3 operations: 3 passed, 0 failed" in output


def test_a_receiver_answering_a_body_outside_its_schema_fails_naming_operation_rule_and_request(
    tmp_path: Path,
) -> None:
    with running(answering(200, {"respCode": 0})) as url:  # respCode is a string
        code, output = check(url, "--operation", "repayResultNotify", "--junit", str(tmp_path / "check.xml"))

    assert code == 1
    assert "FAILED  repayResultNotify (POST /callbacks/bank/repay-result)" in output
    assert "- response_schema_conformance: Response violates schema" in output
    assert re.search(rf"request: curl -X POST .*-d '\{{.*\}}' {url}/callbacks/bank/repay-result", output)
    assert "Traceback" not in output
    case = ET.parse(tmp_path / "check.xml").find(".//testcase")
    assert case is not None and case.get("name") == "repayResultNotify (POST /callbacks/bank/repay-result)"
    failure = case.find("failure")
    assert failure is not None and "response_schema_conformance" in (failure.get("message") or "")


def test_a_receiver_failing_with_500_breaks_not_a_server_error() -> None:
    with running(answering(500, {"error": "boom"})) as url:
        code, output = check(url, "--operation", "bankNotice")

    assert code == 1
    assert "FAILED  bankNotice (POST /callbacks/bank/notices)" in output
    assert "- not_a_server_error: Server error" in output


def test_personal_data_in_the_printed_requests_is_masked() -> None:
    with running(answering(500, {"error": "boom"})) as url:
        code, output = check(url, "--operation", "smsReport")

    assert code == 1 and "request: curl" in output
    assert re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", output) is None  # no whole mobile number
    assert "139****5678" in output  # the contract example's phone, as the check printed it


@pytest.mark.slow
def test_a_check_excluded_for_an_operation_is_not_run_there_and_the_others_still_are() -> None:
    with running(answering(200, {"respCode": 0})) as url:
        code, output = check(
            url, "--operation", "repayResultNotify", "--exclude-check", "response_schema_conformance:repayResultNotify"
        )

    assert code == 1
    assert "response_schema_conformance" not in output.split("replay:")[0]
    assert "- negative_data_rejection" in output  # it accepts anything, invalid bodies included


def test_only_the_operations_named_are_sent_requests_even_with_a_check_excluded_for_one_of_them() -> None:
    paths: set[str] = set()
    take = answering(200, {"respCode": "0000"})

    async def recording(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            paths.add(scope["path"])
        await take(scope, receive, send)

    with running(recording) as url:
        check(url, "--operation", "repayResultNotify", "--exclude-check", "negative_data_rejection:repayResultNotify")

    probes = {path for path in paths if path == "/" or path.startswith("/schemathesis-probe")}  # is anyone there?
    assert paths - probes == {"/callbacks/bank/repay-result"}


def test_the_phases_named_are_the_ones_run_and_the_replay_names_them() -> None:
    # A receiver that takes anything: the examples phase sends only valid data, so only coverage finds it out.
    with running(answering(200, {"respCode": "0000"})) as url:
        examples_code, examples = check(url, "--operation", "repayResultNotify", "--phases", "examples")
        coverage_code, coverage = check(url, "--operation", "repayResultNotify", "--phases", "coverage,examples")

    assert examples_code == 0, examples
    assert re.search(r"passed  repayResultNotify \(POST /callbacks/bank/repay-result\) +\d+ cases", examples)
    assert coverage_code == 1, coverage
    assert "- negative_data_rejection: Schema-violating request accepted (coverage)" in coverage
    assert "--phases examples,coverage" in coverage.split("replay:")[1]


def test_operations_checked_by_two_workers_are_each_reported() -> None:
    with running(answering(500, {"error": "boom"})) as url:
        code, output = check(url, "--workers", "2", *(arg for name in RECEIVERS for arg in ("--operation", name)))

    assert code == 1
    assert "4 operations: 0 passed, 4 failed" in output
    assert output.count("- not_a_server_error: Server error") == 4
    replay = output.split("replay:")[1]
    assert "--workers" not in replay  # how fast, not what is sent
    assert replay.rstrip().endswith("--no-stateful") and "--phases" not in replay


def test_the_phases_the_command_offers_are_the_ones_the_check_runs() -> None:
    assert _PHASES == PHASES


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_:
        main(["check", *args])
    captured = capsys.readouterr()
    return int(exit_.value.code or 0), captured.out + captured.err


def test_a_service_that_does_not_answer_is_bad_input_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, output = run_main(capsys, "--contract", PLATFORM, "--url", "http://127.0.0.1:9")

    assert code == 2
    assert output.startswith("error: nothing answers at http://127.0.0.1:9 (") and output.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--url", "localhost:8080"), "is not an http(s) URL"),
        (("--url", "http://127.0.0.1:9", "--operation", "repayResultNotfy"), "did you mean 'repayResultNotify'"),
        (("--url", "http://127.0.0.1:9", "--exclude-check", "not_a_server_eror"), "did you mean 'not_a_server_error'"),
        (("--url", "http://127.0.0.1:9", "--header", "Authorization"), "is not a header; write it as 'Name: value'"),
        (("--url", "http://127.0.0.1:9", "--phases", "examples,coverag"), "'coverag' is not a phase; did you mean"),
        (("--url", "http://127.0.0.1:9", "--phases", "stateful", "--no-stateful"), "leaves no phase to run"),
        (("--url", "http://127.0.0.1:9", "--workers", "0"), "'--workers'"),
    ],
)
def test_bad_options_are_bad_input_with_the_fix(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], expected: str
) -> None:
    code, output = run_main(capsys, "--contract", PLATFORM, *args)

    assert code == 2 and expected in output and "Traceback" not in output


def test_an_unreadable_contract_is_bad_input_naming_file_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    contract = tmp_path / "broken.yaml"
    contract.write_text("openapi: 3.1.0\npaths: [\n", encoding="utf-8")

    code, output = run_main(capsys, "--contract", str(contract), "--url", "http://127.0.0.1:9")

    assert code == 2 and f"{contract}:" in output and "invalid YAML" in output


def slow(seconds: float) -> Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]:
    """A receiver that keeps the contract but takes ``seconds`` over every answer."""
    fast = answering(200, {"respCode": "0000"})

    async def app(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        await asyncio.sleep(seconds)
        await fast(scope, receive, send)

    return app


def test_generation_stops_at_the_time_limit_and_the_report_says_so() -> None:
    with running(slow(0.2)) as url:
        _, output = check(url, "--operation", "repayResultNotify", "--time-limit", "1", "--max-examples", "50")

    assert "Time limit of 1 s reached: generation stopped early" in output, output
    assert re.search(r"in [1-4]\.\d s", output), output


# -- reachability: an answer counts only if it came from the operation ----------------------------------------

BANK = str(ROOT / "contracts" / "bank.yaml")


@pytest.fixture(scope="module")
def simulator_url() -> Iterator[str]:
    with running(create_app(Simulator(seed=3))) as url:
        yield url


def test_a_wrong_base_path_reaches_no_operation_and_is_bad_input_naming_the_right_url(
    simulator_url: str, tmp_path: Path
) -> None:
    junit = tmp_path / "check.xml"

    result = CliRunner().invoke(
        cli, ["check", "--contract", BANK, "--url", f"{simulator_url}/sms", *QUICK, "--junit", str(junit)]
    )

    assert result.exit_code == 2, result.output
    assert re.search(r"FAILED  registerLoan \(POST /loans\) +\d+ cases?, none answered by the operation", result.output)
    assert "passed  " not in result.output  # the router's 404 to a made-up loan number passes nothing
    assert (
        f"error: no operation of {BANK} answered at {simulator_url}/sms/bank — is the base path right? "
        f"Its operations answer at {simulator_url}/bank (try --url {simulator_url}/bank)." in result.output
    )
    suite = ET.parse(junit).find("testsuite")
    assert suite is not None and suite.get("tests") == "9"  # 8 operations and the run
    assert suite.get("failures") == "8" and suite.get("errors") == "1"  # the run could not judge: an error
    run = suite.find("testcase[@name='(run)']/error")
    assert run is not None and run.get("message") == "no operation of the contract answered"
    query = suite.find("testcase[@name='repayResultQuery (GET /repayments/{repayOuterNo})']/failure")
    assert query is not None and query.get("message") == "not_reached"
    assert "no operation of 'sms' matches GET /sms/bank/repayments/" in (query.text or "")


def test_a_server_answering_404_to_everything_passes_nothing(tmp_path: Path) -> None:
    async def not_found(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"Not Found"})

    with running(not_found) as url:
        code, output = check(url, "--operation", "repayResultNotify", "--operation", "platformLedger")

    assert code == 2, output
    assert f"error: no operation of {PLATFORM} answered at {url} — is the base path right?" in output
    assert 'Every answer came from something else, e.g. 404 text/plain "Not Found".' in output
    assert "The check stopped once every operation had answers and none came from it." in output


def test_an_operation_the_service_lacks_fails_while_the_others_pass() -> None:
    platform = app_for("resilient")

    async def without_sms_reports(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/callbacks/sms/reports":
            await answering(404, {"detail": "Not Found"})(scope, receive, send)  # a framework's default 404
        else:
            await platform(scope, receive, send)

    with running(without_sms_reports) as url:
        code, output = check(url, "--operation", "repayResultNotify", "--operation", "smsReport")

    assert code == 1, output
    assert re.search(r"passed  repayResultNotify \(POST /callbacks/bank/repay-result\) +\d+ cases\n", output)
    assert re.search(r"FAILED  smsReport \(POST /callbacks/sms/reports\) +\d+ cases?, none answered", output)
    assert "- not_reached: No answer came from the operation" in output
    assert '404 application/json "Not Found": a 404 or 405 that is not an answer the contract documents' in output
    assert "error:" not in output  # the contract's other operation answered: this is no base-path mistake


def test_a_documented_404_of_the_operation_itself_is_an_answer(simulator_url: str) -> None:
    result = CliRunner().invoke(
        cli, ["check", "--contract", BANK, "--url", simulator_url, *QUICK, "--operation", "repayResultQuery"]
    )

    # every generated repayOuterNo is unknown: the bank answers 404 "never received", the operation's own answer
    assert result.exit_code == 0, result.output
    assert re.search(r"passed  repayResultQuery \(GET /repayments/\{repayOuterNo\}\) +\d+ cases\n", result.output)


def test_an_operation_no_case_was_sent_to_has_not_passed() -> None:
    with running(slow(0.5)) as url:
        code, output = check(
            url, "--operation", "repayResultNotify", "--operation", "bankNotice", "--time-limit", "0.2"
        )

    assert code == 1, output
    assert re.search(r"FAILED  bankNotice \(POST /callbacks/bank/notices\) +0 cases, none sent\n", output)
    assert "- not_exercised: No case was sent\n      No request was sent to it: the time limit was reached" in output
