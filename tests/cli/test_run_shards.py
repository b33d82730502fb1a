"""``lendsim run --shards N`` as CI sees it: the same exit code, verdicts, JSON reports and JUnit as the run in one
process — the naive platform caught at the very same violations — with ``--workers`` and ``--seeds`` too; ``--shards``
with a platform over HTTP, ``--shards 0`` and more shards than borrowers refused with the fix (exit 2)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from simulator.cli import cli

#: What differs between two runs of the same thing, and between a run and its shards by design (docs/cluster.md):
#: the seconds, the clock events (each shard runs its own ticks and batches), where an entry sits in the journal,
#: what the platform mints (a serial with its run's tag: each shard's platform is told a runId of its own) and the
#: exchange ids a shard marks with its prefix.
_NOISE = (
    (re.compile(r'"(wallSeconds|events)": [0-9.]+'), r'"\1": "…"'),
    (re.compile(r'"entry": \d+'), '"entry": "…"'),
    (re.compile(r"#\d+ "), "#… "),
    (re.compile(r"\b(NV|RP|RQ|CR)[0-9A-F]{4}\d{6}\b"), r"\1…"),
    (re.compile(r"\bs\d+-"), ""),
    (re.compile(r'"correlation": "[rq]\d+"'), '"correlation": "…"'),
)


def lendsim(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def normalized(text: str) -> str:
    for pattern, replacement in _NOISE:
        text = pattern.sub(replacement, text)
    return text


def reports(folder: Path) -> dict[str, Any]:
    """The JSON reports of a folder by name, normalized; each invariant's violations in the order of their text
    (an oracle may list them by the platform's serials)."""
    found = {}
    for path in sorted(folder.glob("*.json")):
        report = json.loads(normalized(json.dumps(json.loads(path.read_text(encoding="utf-8")), sort_keys=True)))
        for invariant in report["invariants"]:
            invariant["violations"].sort(key=lambda violation: json.dumps(violation, sort_keys=True))
        found[path.name] = report
    return found


def cases(junit: Path) -> list[tuple[object, ...]]:
    """Each test case of a JUnit file: suite, name, and its failure's or error's message."""
    found = []
    for suite in ET.parse(junit).getroot().iter("testsuite"):
        for case in suite.iter("testcase"):
            failure, error = case.find("failure"), case.find("error")
            found.append(
                (
                    suite.get("name"),
                    case.get("name"),
                    None if failure is None else failure.get("message"),
                    None if error is None else error.get("message"),
                    None if failure is None else sorted(normalized(failure.text or "").splitlines()),
                )
            )
    return found


@pytest.mark.slow  # over 7 s: processes started as a user starts them; scripts/test runs it after the default suite
def test_shards_report_what_one_process_reports(tmp_path: Path) -> None:
    common = ["xiaomi-minsheng-2019", "--platform", "naive", "--platform", "resilient", "--borrowers", "24"]
    one, two = tmp_path / "one", tmp_path / "two"

    whole = lendsim("run", *common, "--report-dir", one, "--junit", one / "junit.xml")
    sharded = lendsim("run", *common, "--shards", "2", "--report-dir", two, "--junit", two / "junit.xml")

    assert whole.exit_code == sharded.exit_code == 1, sharded.output
    assert "2 runs in 2 shards each on 2 local processes" in sharded.stderr
    expected = reports(one)
    assert reports(two) == expected
    assert len(expected) == 2
    naive = expected["xiaomi-minsheng-2019-naive-20190514.json"]
    caught = {item["key"]: len(item["violations"]) for item in naive["invariants"] if item["outcome"] == "violated"}
    assert caught.keys() >= {"no_false_delinquency", "sms_unique"} and all(caught.values())  # caught, in shards too
    assert expected["xiaomi-minsheng-2019-resilient-20190514.json"]["status"] == "passed"
    assert cases(two / "junit.xml") == cases(one / "junit.xml")
    assert (two / "report.html").is_file()


@pytest.mark.slow  # over 7 s: processes started as a user starts them; scripts/test runs it after the default suite
def test_shards_with_workers_and_seeds_report_what_one_process_reports(tmp_path: Path) -> None:
    common = ["out-of-order-callback", "--platform", "naive", "--seeds", "3,4", "--borrowers", "9"]
    one, three = tmp_path / "one", tmp_path / "three"

    whole = lendsim("run", *common, "--report-dir", one)
    sharded = lendsim("run", *common, "--shards", "3", "--workers", "2", "--report-dir", three)

    assert whole.exit_code == sharded.exit_code == 1, sharded.output
    assert "2 runs in 3 shards each on 2 local processes" in sharded.stderr
    assert reports(three) == reports(one)
    assert len(reports(one)) == 2


@pytest.mark.slow  # over 7 s: processes started as a user starts them; scripts/test runs it after the default suite
def test_the_journal_kept_of_a_sharded_run_renders_its_report(tmp_path: Path) -> None:
    kept = tmp_path / "run.sqlite"

    result = lendsim("run", "out-of-order-callback", "--platform", "naive", "--borrowers", "6", "--shards", "2",
                     "--journal", kept)  # fmt: skip
    again = lendsim("report", kept, "--html", tmp_path / "later.html")

    assert result.exit_code == 1, result.output
    assert again.exit_code == 0, again.output
    page = (tmp_path / "later.html").read_text(encoding="utf-8")
    assert "terminal_states_absorb" in page and "B000005" in page  # a borrower of the second shard


def test_shards_with_a_platform_over_http_are_refused_with_the_fix() -> None:
    result = lendsim("run", "out-of-order-callback", "--platform", "http://127.0.0.1:9", "--shards", "2")

    assert result.exit_code == 2
    assert "a platform over HTTP is one running instance" in result.output
    assert "run it without --shards" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("shards", ["0", "-3"])
def test_no_shards_at_all_are_refused_with_the_fix(shards: str) -> None:
    result = lendsim("run", "out-of-order-callback", "--platform", "naive", "--shards", shards)

    assert result.exit_code == 2
    assert f"{shards} is not a number of shards; give 1" in result.output
    assert "such as --shards 2" in result.output


def test_more_shards_than_borrowers_are_refused_with_the_fix() -> None:
    result = lendsim("run", "out-of-order-callback", "--platform", "naive", "--borrowers", "3", "--shards", "4")

    assert result.exit_code == 2
    assert "4 shards for the 3 borrowers of out-of-order-callback" in result.output
    assert "give --shards 3 or fewer, or more --borrowers" in result.output
