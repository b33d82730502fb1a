"""A scenario's ``signing:`` section: checked by lint where it stands in the file, and what it turns on in a run."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from simulator.cli import cli
from simulator.scenario import build_scenario, build_world

SCENARIO = """\
name: signed
start: 2019-05-01
duration: 1 day
population: {borrowers: 2}
SIGNING
expect: {ledgers_reconcile: {}}
"""


def test_lint_names_each_bad_signing_key_at_its_line_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "signed.yaml"
    path.write_text(SCENARIO.replace("SIGNING", "signing: {window: 2 days, algoritm: HMAC-SHA256}"), encoding="utf-8")

    result = CliRunner().invoke(cli, ["lint", str(path)])

    assert result.exit_code == 2
    assert f"{path}:5:11: error: signing.window: must be above zero and at most an hour, got '2 days'" in result.output
    assert "signing.algoritm: unknown key 'algoritm'; did you mean 'algorithm'?" in result.output


def test_without_the_section_a_run_is_unsigned_and_with_it_setup_run_carries_the_keys() -> None:
    frame = {"start": "2019-05-01", "duration": "1 day", "population": {"borrowers": 1}}
    unsigned = build_world(build_scenario({"name": "u", **frame, "expect": {"ledgers_reconcile": {}}}))
    signed = build_world(
        build_scenario(
            {
                "name": "s",
                "start": "2019-05-01",
                "duration": "1 day",
                "population": {"borrowers": 1},
                "signing": {"window": "2 minutes", "app_id": "acme"},
                "expect": {"ledgers_reconcile": {}},
            }
        )
    )

    assert unsigned.sim.signing is None and "signing" not in unsigned.setup_body({})
    signing = signed.setup_body({})["signing"]
    assert signing["window"] == "PT2M" and signing["key"]["appId"] == "acme" and signing["key"]["keyId"] == "p1"
    assert [key["keyId"] for key in signing["bankKeys"]] == ["b1", "b2"]
