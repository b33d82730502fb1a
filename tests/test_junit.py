"""The one JUnit XML writer (``simulator._junit``) that ``lendsim run`` and ``lendsim check`` share."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from simulator._junit import JUnitCase, JUnitSuite, write_junit


def test_a_suite_counts_its_cases_and_failures_and_a_failed_case_carries_message_and_text(tmp_path: Path) -> None:
    path = tmp_path / "reports" / "junit.xml"
    suite = JUnitSuite(
        "lendsim check bank",
        [
            JUnitCase("lendsim.check.bank", "getLoan (GET /loans/{loanOuterNo})", 0.25),
            JUnitCase("lendsim.check.bank", "repayApply (POST /repayments)", 1.5, "not_a_server_error", "curl …"),
        ],
        2.0,
    )

    write_junit([suite], path)

    root = ET.parse(path).getroot()
    element = root.find("testsuite")
    assert root.tag == "testsuites" and element is not None
    assert (element.get("tests"), element.get("failures"), element.get("time")) == ("2", "1", "2.000")
    passed, failed = element.findall("testcase")
    assert passed.find("failure") is None and passed.get("time") == "0.250"
    failure = failed.find("failure")
    assert failure is not None and failure.get("message") == "not_a_server_error" and failure.text == "curl …"
