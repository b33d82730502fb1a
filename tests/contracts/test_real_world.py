"""A partner contract nobody on this project wrote, mocked as a user mocks one and checked as a user checks one:
``lendsim serve --contract`` the Swagger Petstore, then ``lendsim check`` (schemathesis: the contract's examples,
the edges of each schema, random data, and sequences along its links) against it.

Every rule a static mock can keep is checked; ``ignored_auth`` is not, as a mock cannot know which api_key is
valid (it refuses a request without one, which the check does test)."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests._processes import BIN
from tests.cli.test_serve import serving

PETSTORE = Path(__file__).parent / "real" / "petstore.yaml"


@pytest.mark.slow
def test_lendsim_check_finds_the_mocked_swagger_petstore_conformant(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    with serving("--contract", str(PETSTORE)) as served:
        checked = subprocess.run(
            [
                str(BIN / "lendsim"), "check", "--contract", str(PETSTORE), "--url", served.url,
                "--base-path", "/petstore", "--max-examples", "3", "--seed", "1", "--exclude-check", "ignored_auth",
                "--junit", str(junit),
            ],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "19 operations: 19 passed, 0 failed" in checked.stdout
    cases = re.search(r"; ([\d,]+) cases \((\d+) along links\)", checked.stdout)
    assert cases is not None and int(cases[1].replace(",", "")) > 500 and int(cases[2]) > 0, checked.stdout
    tested = ET.parse(junit).getroot().iter("testcase")
    assert len(list(tested)) == 19
