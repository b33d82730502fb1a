"""JUnit XML, the one format every CI understands: suites of test cases, each passed, failed or in error.

Shared by the reports that write it (``lendsim run --junit``, ``lendsim check --junit``), so they agree on
the layout: one ``<testsuites>`` root, a ``<testsuite>`` per suite with its counts, a ``<testcase>`` per case,
a ``<failure>`` (message and text) for each case that failed — its check ran and found something wrong — and
an ``<error>`` for each case that could not do its job (nothing to judge, or the system under test did not
answer). GitHub's and GitLab's test reports and Jenkins all show both in red and count them apart; a
``<skipped>`` case would look green while the job fails. Callers mask what they put in.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["JUnitCase", "JUnitSuite", "write_junit"]


@dataclass(frozen=True, slots=True)
class JUnitCase:
    """One test case; ``failure`` set (a one-line message) means it failed, ``error`` set that it could not do
    its job; ``details`` is the text of either."""

    classname: str
    name: str
    seconds: float | None = None
    failure: str | None = None
    details: str = ""
    error: str | None = None


@dataclass(frozen=True, slots=True)
class JUnitSuite:
    name: str
    cases: Sequence[JUnitCase] = field(default_factory=tuple)
    seconds: float = 0.0


def write_junit(suites: Sequence[JUnitSuite], path: Path, *, name: str = "lendsim") -> None:
    """Write ``suites`` to ``path`` (its folder is created if missing)."""
    root = ET.Element("testsuites", name=name)
    for suite in suites:
        element = ET.SubElement(
            root,
            "testsuite",
            name=suite.name,
            tests=str(len(suite.cases)),
            failures=str(sum(1 for case in suite.cases if case.failure is not None)),
            errors=str(sum(1 for case in suite.cases if case.error is not None)),
            time=f"{suite.seconds:.3f}",
        )
        for case in suite.cases:
            attributes = {"classname": case.classname, "name": case.name}
            if case.seconds is not None:
                attributes["time"] = f"{case.seconds:.3f}"
            testcase = ET.SubElement(element, "testcase", attributes)
            if case.failure is not None:
                ET.SubElement(testcase, "failure", message=case.failure).text = case.details
            elif case.error is not None:
                ET.SubElement(testcase, "error", message=case.error).text = case.details
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
