"""The lendsim command through click's runner: help, contracts, lint, and error exits."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from simulator.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_help_lists_the_commands() -> None:
    code, output = run("--help")

    assert code == 0
    for command in ("serve", "contracts", "lint"):
        assert command in output


def test_serve_help_documents_the_safe_default_host() -> None:
    code, output = run("serve", "--help")

    assert code == 0 and "127.0.0.1" in output and "--speed" in output


def test_contracts_lists_operations_per_partner() -> None:
    code, output = run("contracts")

    assert code == 0
    assert "repayApply" in output and "sendSms" in output and "submitReport" in output


def test_lint_passes_the_built_in_contracts() -> None:
    code, output = run("lint")

    assert code == 0, output
    assert "bank.yaml: ok" in output


def test_lint_reports_file_line_and_reason_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "partner.yaml"
    bad.write_text(
        "openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths:\n  /x:\n    get:\n      responses: {}\n"
        "      operationId: 5\n",
        encoding="utf-8",
    )

    code, output = run("lint", str(bad))

    assert code == 2
    assert f"{bad}:7:" in output
    assert "operationId" in output


def test_lint_reports_an_example_that_breaks_its_schema(tmp_path: Path) -> None:
    bad = tmp_path / "partner.yaml"
    bad.write_text(
        "openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths:\n  /x:\n    get:\n      operationId: x\n"
        "      responses:\n        '200':\n          description: ok\n          content:\n"
        "            application/json:\n"
        "              schema: {type: object, properties: {amount: {type: string}}}\n"
        "              example: {amount: 12}\n",
        encoding="utf-8",
    )

    code, output = run("lint", str(bad))

    assert code == 2
    assert f"{bad}:13:" in output and "example.amount does not match its schema" in output


def test_lint_names_an_unquoted_date_with_its_line_and_the_fix(tmp_path: Path) -> None:
    bad = tmp_path / "partner.yaml"
    bad.write_text(
        "openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths:\n  /x:\n    get:\n      operationId: x\n"
        "      responses:\n        '200':\n          description: ok\n          content:\n"
        "            application/json:\n"
        "              schema: {type: object, properties: {due: {type: string, format: date}}}\n"
        "              example: {due: 2019-05-10}\n",
        encoding="utf-8",
    )

    code, output = run("lint", str(bad))

    assert code == 2
    assert (
        f"{bad}:13:25: " in output and "example.due: YAML reads 2019-05-10 as a date, not a string; quote it" in output
    )


def test_lint_reports_yaml_syntax_errors_with_position(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("openapi: 3.1.0\ninfo: {title: [x\n", encoding="utf-8")

    code, output = run("lint", str(bad))

    assert code == 2 and "invalid YAML" in output and f"{bad}:" in output


def test_lint_of_a_missing_file_exits_2() -> None:
    code, output = run("lint", "no/such/file.yaml")

    assert code == 2 and "no such file" in output


def test_lint_takes_a_folder_as_its_yaml_files_and_passes_the_catalog() -> None:
    code, output = run("lint", str(ROOT / "scenarios"))

    assert code == 0, output
    assert output.count(": ok") == len(list((ROOT / "scenarios").glob("*.yaml"))) >= 15


def test_run_takes_a_catalog_name_and_names_the_catalog_on_a_typo() -> None:
    code, output = run("run", "duplicate-callbak", "--platform", "resilient")

    assert code == 2
    assert "did you mean 'duplicate-callback'" in output.lower()
