"""Every Python example in docs/testing.md runs, as a platform team would paste it: each one a file of one suite,
run once in a pytest subprocess (``platform_suite``, tests/testing/conftest.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.testing.conftest import SuiteRun

pytest_plugins = ["pytester"]

DOC = Path(__file__).resolve().parents[2] / "docs" / "testing.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
SUITE = {f"test_example_{n}.py": source for n, source in enumerate(EXAMPLES, start=1)}


def test_the_page_has_examples() -> None:
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("file", SUITE, ids=[f"example-{n}" for n in range(1, len(EXAMPLES) + 1)])
def test_a_documented_example_passes(platform_suite: SuiteRun, file: str) -> None:
    source = SUITE[file]

    platform_suite.assert_outcomes(file, passed=source.count("\ndef test_") + source.startswith("def test_"))
