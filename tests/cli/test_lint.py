"""``lendsim lint`` and the lint part of ``lendsim run`` as a user meets them: what is printed, in what order,
and the exit code — 2 for an error, or for a warning under --strict; a run refuses errors and goes ahead with
warnings, printing them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.cli import cli

BAD = Path(__file__).resolve().parents[1] / "scenario" / "bad"
WARNINGS = [
    "fault-after-the-run.yaml",
    "fault-before-the-run.yaml",
    "fault-partly-outside.yaml",
    "run-shorter-than-window.yaml",
    "sms-duplicated-by-the-gateway.yaml",
    "notice-lost-at-the-handset.yaml",
    "corrections-always-refused.yaml",
    "link-down-all-run.yaml",
    "disputes-answered-late.yaml",
    "disputes-nobody-files.yaml",
]
LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<column>\d+): (?P<severity>error|warning): ")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("name", WARNINGS)
def test_a_warning_is_printed_and_exits_0_and_strict_makes_it_exit_2(name: str) -> None:
    path = str(BAD / name)

    code, output = run("lint", path)
    strict_code, strict_output = run("lint", "--strict", path)

    assert code == 0, output
    assert f"{path}: ok, " in output and ": warning: " in output and ": error: " not in output
    assert strict_code == 2 and "(--strict: warnings count as errors)" in strict_output


def test_an_error_exits_2_with_or_without_strict() -> None:
    path = str(BAD / "missing-expect.yaml")

    code, output = run("lint", path)

    assert code == 2
    assert f"{path}:1:1: error: missing required key 'expect'" in output
    assert "1 error, 0 warnings in 1 file" in output


def test_a_file_with_many_problems_prints_them_all_at_once_in_line_order() -> None:
    code, output = run("lint", str(BAD / "many-problems.yaml"))

    located = [match for line in output.splitlines() if (match := LOCATED.match(line))]
    assert code == 2
    assert [(int(m["line"]), int(m["column"])) for m in located] == sorted(
        (int(m["line"]), int(m["column"])) for m in located
    )
    assert [m["severity"] for m in located].count("warning") == 3 and len(located) == 11
    assert "8 errors, 3 warnings in 1 file" in output
    assert ": error: bank.grace: must be a whole number 0–3, got '5 days'" in output
    assert "BankConfig" not in output and "grace_days" not in output


def test_a_repeated_key_is_an_error_naming_both_lines() -> None:
    code, output = run("lint", str(BAD / "duplicate-key.yaml"))

    assert code == 2
    assert ":7:3: error: bank.grace: the key 'grace' is given twice, on line 5 and again on line 7" in output


@pytest.mark.parametrize(("name", "where"), [("alias-loop.yaml", "1:11"), ("alias-loop-mapping.yaml", "6:9")])
def test_an_alias_loop_is_an_error_with_its_position_not_a_traceback(name: str, where: str) -> None:
    result = CliRunner().invoke(cli, ["lint", str(BAD / name)])

    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)  # an exit, not a crash
    assert f"{BAD / name}:{where}: error: invalid YAML: the alias" in result.output
    assert "Traceback" not in result.output and "RecursionError" not in result.output


def test_a_repeated_key_in_a_contract_is_an_error_too(tmp_path: Path) -> None:
    contract = tmp_path / "partner.yaml"
    contract.write_text(
        "openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths: {}\ninfo: {title: y, version: '2'}\n", encoding="utf-8"
    )

    code, output = run("lint", str(contract))

    assert code == 2
    assert f"{contract}:4:1: error: info: the key 'info' is given twice, on line 2 and again on line 4" in output


def test_run_refuses_a_scenario_with_errors_printing_every_finding() -> None:
    code, output = run("run", str(BAD / "many-problems.yaml"), "--platform", "resilient")

    assert code == 2
    assert output.count(": error: ") == 8 and output.count(": warning: ") == 3


def test_run_goes_ahead_with_warnings_and_prints_them_first() -> None:
    code, output = run("run", str(BAD / "fault-after-the-run.yaml"), "--platform", "resilient", "--borrowers", "2")

    assert code == 0, output
    warning = output.index(": warning: faults[0].from: the fault starts 2019-07-01 20:00")
    assert warning < output.index("invariants held")
