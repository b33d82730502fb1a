"""Every Python example in docs/testing.md runs, as a platform team would paste it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

DOC = Path(__file__).resolve().parents[2] / "docs" / "testing.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_the_page_has_examples() -> None:
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("source", EXAMPLES, ids=[f"example-{n}" for n in range(1, len(EXAMPLES) + 1)])
def test_a_documented_example_passes(pytester: pytest.Pytester, source: str) -> None:
    pytester.makepyfile(source)

    result = pytester.runpytest_subprocess("-p", "lendsim", "-W", "error")

    result.assert_outcomes(passed=source.count("\ndef test_") + source.startswith("def test_"))
