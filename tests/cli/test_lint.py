"""``lendsim lint`` and the lint part of ``lendsim run`` as a user meets them: what is printed, in what order,
and the exit code — 2 for an error, or for a warning under --strict; a run refuses errors and goes ahead with
warnings, printing them."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tracemalloc
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


# -- hostile input: what lint must never do ------------------------------------------------------------------

# Runs `lendsim ARGS` with an audit hook that reports every connection and every file opened under the folder
# given first: what the command reads and reaches, seen from inside the interpreter whatever library does it.
_GUARDED = """\
import sys
watched = sys.argv[1]
def hook(event, args):
    if event in ("socket.connect", "socket.getaddrinfo"):
        sys.stderr.write(f"GUARD network {args!r}\\n")
    elif event == "open" and isinstance(args[0], str) and args[0].startswith(watched):
        sys.stderr.write(f"GUARD opened {args[0]}\\n")
sys.addaudithook(hook)
from simulator.cli import main
main(sys.argv[2:])
"""
_EXTERNAL = """\
openapi: 3.1.0
info: {{title: Their bank, version: "1"}}
paths:
  /things:
    get:
      operationId: getThings
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                {keyword}: "{ref}"
"""


@pytest.mark.parametrize(
    ("keyword", "ref"),
    [
        ("$ref", "http://127.0.0.1:{port}/schema.yaml"),
        ("$ref", "file://{outside}/secret.txt"),
        ("$ref", "../outside/secret.txt"),
        ("$ref", "secret.txt#/Thing"),
        ("$dynamicRef", "http://127.0.0.1:{port}/schema.yaml#meta"),
    ],
)
def test_lint_never_follows_a_reference_outside_the_document_nor_opens_a_connection(
    tmp_path: Path, keyword: str, ref: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("TOPSECRET-42: 110105199003071239\n")
    contract_dir = tmp_path / "contracts"
    contract_dir.mkdir()
    (contract_dir / "secret.txt").write_text("TOPSECRET-42: beside the contract\n")
    with socket.socket() as listener:  # a server the reference names: it must never be called
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        target = ref.format(port=listener.getsockname()[1], outside=outside)
        contract = contract_dir / "their-bank.yaml"
        contract.write_text(_EXTERNAL.format(keyword=keyword, ref=target))

        done = subprocess.run(
            [sys.executable, "-c", _GUARDED, str(tmp_path), "lint", str(contract)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody knocked
    assert done.returncode == 2
    assert "GUARD network" not in done.stderr
    opened = {line for line in done.stderr.splitlines() if line.startswith("GUARD opened")}
    assert opened == {f"GUARD opened {contract}"}  # the document itself, and nothing else under the folder
    assert "TOPSECRET" not in done.stdout + done.stderr
    assert f"{contract}:13:17: error: paths./things.get.responses.200.content.application/json.schema.{keyword}: " in (
        done.stderr
    )
    assert f"{target!r} refers outside this document; lendsim resolves only references inside it" in done.stderr


_STRING_BOMB = 'name: bomb\nlong: &a "{long}"\ncovers: [{aliases}]\n'


def test_a_long_string_repeated_by_aliases_is_refused_by_lint_and_run_without_expanding_it(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"  # 460 KB that expand to 13 GB of text
    bomb.write_text(_STRING_BOMB.format(long="x" * 230_000, aliases=", ".join(["*a"] * 57_000)))

    tracemalloc.start()
    try:
        linted = CliRunner().invoke(cli, ["lint", str(bomb)])
        ran = CliRunner().invoke(cli, ["run", str(bomb), "--platform", "naive"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    for result in (linted, ran):
        assert result.exit_code == 2
        assert f"{bomb}:3:9: error: " in result.output
        assert "expands to more than 33,554,432 characters once its aliases are followed" in result.output
    assert peak < 100 * 1024 * 1024


@pytest.mark.parametrize("command", ["lint", "run"])
@pytest.mark.slow
def test_a_fifo_or_a_device_is_refused_naming_what_it_is_never_read(tmp_path: Path, command: str) -> None:
    fifo = tmp_path / "scenario.yaml"
    os.mkfifo(fifo)  # nothing ever writes to it: reading it would wait forever
    extra = ["--platform", "naive"] if command == "run" else []

    for path, what in ((fifo, "a FIFO (named pipe)"), (Path("/dev/zero"), "a character device")):
        done = subprocess.run(
            [str(Path(sys.executable).parent / "lendsim"), command, str(path), *extra],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

        assert done.returncode == 2
        assert f"{path}: error: cannot read the file: it is {what}, not a regular file; give the path of a YAML" in (
            done.stderr
        )
        assert "Traceback" not in done.stderr


def test_a_contract_is_recognised_by_its_top_level_openapi_key_wherever_it_is_written(tmp_path: Path) -> None:
    """lint read a file as a contract only when ``openapi`` started a line of its first 4 KB: Twilio's and
    Stripe's JSON (``"openapi"`` after the ``info``) were linted as scenarios."""
    info = {"title": "x", "version": "1", "description": "long " * 2000}
    late = tmp_path / "late.json"
    late.write_text(json.dumps({"info": info, "openapi": "3.1.0", "paths": {}}), encoding="utf-8")
    commented = tmp_path / "commented.yaml"
    commented.write_text(
        "# a partner's contract\n" * 300 + "openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths: {}\n"
    )
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("name: x\nbank: {openapi: 3.1.0}\n", encoding="utf-8")

    code, output = run("lint", str(late), str(commented), str(scenario))

    assert code == 2
    assert f"{late}: ok" in output and f"{commented}: ok" in output
    assert f"{scenario}:1:1: error: missing required key 'start'" in output
