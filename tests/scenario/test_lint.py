"""Scenario lint: one malformed file per kind of problem, every problem of a file reported in one pass, in line
order, each with file, line, column, severity, the key path as written, what is wrong and the fix."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from simulator.scenario import FAILURE_MODES, ScenarioError, build_scenario, lint_scenario, load_scenario

BAD = Path(__file__).parent / "bad"
ROOT = Path(__file__).resolve().parents[2]
CATALOG = sorted((ROOT / "scenarios").glob("*.yaml"))

MISSING_EXPECT_FIX = (
    "give at least one, e.g. 'expect: {no_false_delinquency: {}}'. The invariants: no_false_delinquency"
)

# file → every finding, in order: (line:column, severity, key path, what is wrong, the fix)
EXPECTED: dict[str, list[tuple[str, str, str, str, str]]] = {
    "yaml-syntax.yaml": [("4:1", "error", "", "invalid YAML", "did not find expected ',' or ']'")],
    "empty.yaml": [
        ("1:1", "error", "", "the file is empty", "needs at least 'name', 'start', 'duration' and 'expect'")
    ],
    "not-a-mapping.yaml": [("1:1", "error", "", "this file holds a list", "a mapping of keys")],
    "wrong-type.yaml": [("4:1", "error", "seed", '"many" is not of type "integer"', "Seeds the population")],
    "unknown-key.yaml": [
        ("5:5", "error", "faults[0]", "give exactly one action", "found none"),
        ("6:5", "error", "faults[0].timout_after_commit", "unknown key", "did you mean 'timeout_after_commit'?"),
    ],
    "negative-duration.yaml": [("3:1", "error", "duration", "'-PT5H' is not positive", "e.g. '45 days'")],
    "alias-bomb.yaml": [("6:4", "error", "", "expands to more than 200,000 values", "write the values out")],
    "alias-loop.yaml": [
        ("1:11", "error", "", "the alias *a refers to the value that contains it", "write the value out")
    ],
    "alias-loop-mapping.yaml": [
        ("6:9", "error", "", "the alias *settings refers to the value that contains it", "write the value out")
    ],
    "python-tag.yaml": [
        ("1:7", "error", "", "could not determine a constructor", "tags that run code are not allowed")
    ],
    "missing-key.yaml": [("1:1", "error", "", "missing required key 'duration'", 'For example: "45 days"')],
    "missing-expect.yaml": [("1:1", "error", "", "missing required key 'expect'", MISSING_EXPECT_FIX)],
    "empty-expect.yaml": [("4:1", "error", "expect", "names no invariant", MISSING_EXPECT_FIX)],
    "seed-too-long-to-read.yaml": [
        ("4:7", "error", "", "an integer of 4,400 digits is too long to read", "at most 4,300 digits")
    ],
    "seed-too-large.yaml": [("4:1", "error", "seed", "greater than the maximum of 9223372036854775807", "")],
    "machine-time-zone.yaml": [
        ("4:12", "error", "calendar.timezone", "'localtime' is no place's time zone", "such as 'Asia/Shanghai'")
    ],
    "duplicate-key.yaml": [
        ("7:3", "error", "bank.grace", "the key 'grace' is given twice, on line 5 and again on line 7", "keep one")
    ],
    "bad-enum.yaml": [
        ("4:10", "error", "covers[0]", "'outage-across-cutof' is not allowed", "did you mean 'outage-across-cutoff'?")
    ],
    "two-actions.yaml": [("5:5", "error", "faults[0]", "give exactly one action", "found outage, drop")],
    "unknown-point.yaml": [
        ("5:5", "error", "faults[0].at", "unknown injection point 'bank.repayAply'", "did you mean 'bank.repayApply'")
    ],
    "action-at-wrong-point.yaml": [
        (
            "6:5",
            "error",
            "faults[0].reorder",
            "bank.repayApply does not take 'reorder'",
            "'reorder' applies at bank.bankNotice",
        )
    ],
    "backwards-range.yaml": [
        ("4:13", "error", "borrowers.late_days", "the range '20..1' runs backwards", "write 1..20")
    ],
    "share-over-100.yaml": [("4:13", "error", "borrowers.on_time", "'130%' is not a share", "between 0% and 100%")],
    "uncovered-year.yaml": [
        (
            "2:1",
            "warning",
            "start",
            "no 'mainland' holiday data for 2027",
            "list its holidays under calendar.extra_holidays",
        )
    ],
    "window-backwards.yaml": [
        ("8:5", "error", "faults[0].until", "is not after from=2019-05-14T18:00:00+08:00", "swap them")
    ],
    "bad-status.yaml": [
        ("6:14", "error", "faults[0].outage.status", "200 is less than the minimum of 400", "an HTTP error status")
    ],
    "impossible-date.yaml": [("2:8", "error", "", "'2019-02-30' is not a real date", "day is out of range")],
    "day-counts-and-rounding.yaml": [  # grace in working days is fine; hours are no day count
        ("4:31", "error", "bank.notice_lead", '"6 hours" is not valid here', "'30 working days'"),
        ("4:53", "error", "bank.penalty_rounding", "'dayly' is not allowed", "did you mean 'daily'?"),
    ],
    "grace-over-three.yaml": [
        ("4:8", "error", "bank.grace", "must be a whole number 0–3, got '5 days'", "the incident's bank gave 3")
    ],
    "fault-after-the-run.yaml": [
        (
            "7:5",
            "warning",
            "faults[0].from",
            "starts 2019-07-01 20:00, at or after the end of the run: it never fires",
            "move it inside the run",
        )
    ],
    "fault-before-the-run.yaml": [
        (
            "7:5",
            "warning",
            "faults[0].until",
            "ends 2019-04-30 08:00, at or before the start of the run",
            "move it inside the run",
        )
    ],
    "fault-partly-outside.yaml": [
        (
            "7:5",
            "warning",
            "faults[0].from",
            "the part before 2019-05-01 00:00 never happens",
            "start it then or later",
        ),
        ("8:5", "warning", "faults[0].until", "the part after 2019-06-15 00:00 never happens", "leave 'until' out"),
    ],
    "run-shorter-than-window.yaml": [
        (
            "5:26",
            "warning",
            "expect.no_false_delinquency.window",
            "the run ends 2019-05-31 00:00, before even a window of 30 business days opened at its start could "
            "close (2019-06-15 00:00)",
            "make the run last at least 45 days",
        )
    ],
    "sms-duplicated-by-the-gateway.yaml": [
        (
            "12:5",
            "warning",
            "faults[1].duplicate",
            "sms_unique (O2) counts every copy a phone receives",
            "put 'duplicate' at sms.smsReport",
        )
    ],
    "contact-hours-at-the-banks-batch.yaml": [
        (
            "12:19",
            "warning",
            "expect.contact_hours.senders",
            "the bank sends its overdue notices at its batch at 02:00, outside the permitted hours 08:00–21:00",
            "judge the platform's messages only (senders: [platform])",
        )
    ],
    "notice-lost-at-the-handset.yaml": [
        (
            "8:5",
            "warning",
            "faults[0].drop",
            "the bank counts a notice as given once the gateway accepts it",
            "keep the fault clear of 02:00",
        )
    ],
    "link-down-all-run.yaml": [
        (
            "8:5",
            "warning",
            "faults[0].outage",
            "this fault lasts the whole run at bank.repayApply: no repayment ever reaches the bank",
            "give it a window ('from'/'until') that ends inside the run",
        )
    ],
    "corrections-always-refused.yaml": [
        (
            "6:10",
            "warning",
            "bureau.reject_corrections",
            "a borrower reported wrongly can never be put right",
            "refuse them for a while",
        )
    ],
    "disputes-answered-late.yaml": [
        (
            "6:8",
            "warning",
            "bank.dispute_answer_days",
            "one filed 2019-05-01 is answered 2019-05-26, after dispute_sla's deadline of 2019-05-21",
            "let the bank answer sooner",
        )
    ],
    "disputes-nobody-files.yaml": [
        ("7:3", "warning", "expect.dispute_sla", "dispute_sla (O8) has nothing to judge", "borrowers: {disputes: 10%}")
    ],
    "signing-fault-unsigned-run.yaml": [
        ("7:5", "warning", "faults[0].forged_callback", "acts on signed traffic only", "add 'signing: {}'")
    ],
    "signed-callbacks-nothing-to-judge.yaml": [
        ("7:3", "warning", "expect.signed_callbacks_only", "(O12) has nothing to judge", "forged_callback: {}}'")
    ],
    "many-problems.yaml": [
        ("1:1", "error", "name", '"Broken Scenario" is not valid here', "lower-case with hyphens"),
        ("4:1", "error", "seed", '"many" is not of type "integer"', ""),
        ("5:36", "error", "population.loan.term", "the range '12..3' runs backwards", "write 3..12"),
        ("6:13", "error", "borrowers.on_time", "'130%' is not a share", ""),
        ("7:8", "error", "bank.grace", "must be a whole number 0–3, got '5 days'", ""),
        ("7:23", "error", "bank.cutoff", '"25:00" is not valid here', "HH:MM"),
        ("9:5", "error", "faults[0].at", "unknown injection point 'bank.repayAply'", "did you mean 'bank.repayApply'"),
        ("12:5", "warning", "faults[1].duplicate", "the gateway itself handles every send 3 times", ""),
        ("15:5", "warning", "faults[2].from", "at or after the end of the run", ""),
        ("17:26", "warning", "expect.no_false_delinquency.window", "before even a window of 30 business days", ""),
        ("19:22", "error", "expect.bureau_converges.windw", "unknown key 'windw'", "did you mean 'window'?"),
    ],
}


def test_every_bad_file_has_an_expectation() -> None:
    assert sorted(p.name for p in BAD.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_malformed_scenario_is_reported_with_its_position_key_path_and_fix(name: str) -> None:
    findings = lint_scenario(BAD / name)

    assert len(findings) == len(EXPECTED[name]), "\n".join(map(str, findings))
    for finding, (where, severity, key, what, fix) in zip(findings, EXPECTED[name], strict=True):
        assert str(finding).startswith(f"{BAD / name}:{where}: {severity}: {key + ': ' if key else ''}"), finding
        assert what in finding.message and fix in finding.message, finding


def test_a_file_with_many_problems_gets_them_all_in_one_pass_in_line_order() -> None:
    findings = lint_scenario(BAD / "many-problems.yaml")

    positions = [(finding.line or 0, finding.column or 0) for finding in findings]
    assert positions == sorted(positions)
    assert {finding.severity for finding in findings} == {"error", "warning"}
    assert len(findings) == 11


def test_no_finding_names_a_setting_as_the_code_calls_it() -> None:
    bank = {"grace": "5 days", "processing_delay": "2 days", "allocation_order": "penalty, interest"}
    bureau = {"dispute_window": "0 days", "feedback_delay": "-PT5H"}
    data = {"name": "x", "start": "2019-05-01", "duration": "45 days", "expect": {"ledgers_reconcile": {}}}

    with pytest.raises(ScenarioError) as caught:
        build_scenario({**data, "bank": bank, "bureau": bureau})

    findings = caught.value.findings
    assert [finding.path for finding in findings] == [f"bank.{key}" for key in bank] + [
        f"bureau.{key}" for key in bureau
    ]
    for finding in findings:
        for internal in ("Config", "grace_days", "dispute_days", "timedelta", "datetime", "('"):
            assert internal not in finding.message, finding
    assert "got '2 days'" in findings[1].message and "e.g. 'penalty, interest, principal'" in findings[2].message


def test_a_python_tag_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    scenario = tmp_path / "tag.yaml"
    scenario.write_text(f'name: !!python/object/apply:os.system ["touch {marker}"]\n', encoding="utf-8")

    lint_scenario(scenario)

    assert not marker.exists()


def test_an_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("description: " + "x" * (1024 * 1024 + 1) + "\n", encoding="utf-8")

    findings = lint_scenario(big)

    assert "a scenario is at most" in findings[0].message


@pytest.mark.parametrize("path", CATALOG, ids=lambda p: p.stem)
def test_the_catalog_has_no_errors(path: Path) -> None:
    assert [str(f) for f in lint_scenario(path) if f.severity == "error"] == []


@pytest.mark.parametrize("path", CATALOG, ids=lambda p: p.stem)
def test_the_catalog_is_clean_even_under_strict(path: Path) -> None:
    """`lendsim lint --strict scenarios/` passes: no catalog scenario carries a warning either."""
    assert [str(f) for f in lint_scenario(path) if f.severity == "warning"] == []


def test_the_incident_scenario_loads_with_its_instants_in_shanghai_time() -> None:
    scenario = load_scenario(str(ROOT / "scenarios" / "xiaomi-minsheng-2019.yaml"))

    shanghai = ZoneInfo("Asia/Shanghai")
    assert scenario.start == datetime(2019, 4, 20, tzinfo=shanghai)
    assert scenario.duration == timedelta(days=73)
    assert scenario.faults[0]["from"] == datetime(2019, 5, 10, 20, tzinfo=shanghai)
    assert scenario.expect["no_false_delinquency"]["window"].business is True
    assert set(scenario.covers) <= set(FAILURE_MODES)
    assert scenario.warnings == ()


def test_load_scenario_raises_with_every_finding() -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(str(BAD / "many-problems.yaml"))

    assert len(caught.value.findings) == 11 and len(caught.value.errors) == 8
    assert str(caught.value).count("\n") == 10


def test_load_scenario_keeps_the_warnings_of_a_scenario_that_runs() -> None:
    scenario = load_scenario(str(BAD / "fault-partly-outside.yaml"))

    assert [w.path for w in scenario.warnings] == ["faults[0].from", "faults[0].until"]


def test_the_smallest_scenario_of_the_docs_lints_clean(tmp_path: Path) -> None:
    docs = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    smallest = docs.split("The smallest valid scenario:", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "smoke.yaml"
    path.write_text(smallest, encoding="utf-8")

    assert lint_scenario(path) == []
