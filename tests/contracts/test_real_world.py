"""A partner contract nobody on this project wrote, mocked as a user mocks one and checked as a user checks one:
``lendsim serve --contract`` the Swagger Petstore, then ``lendsim check`` (schemathesis: the contract's examples,
the edges of each schema, random data, and sequences along its links) against it.

The mock is served with the one credential to accept (``--credential``) and the check sends it, so every rule is
checked, ``ignored_auth`` included (a request without it, or with another, gets 401), and invalid data reaches the
body's validation instead of being refused for want of credentials. Left out: the two data checks on ``addPet`` and
``updatePet``, whose form bodies schemathesis encodes in a way that loses what it meant. For "a string where an
array is wanted" it sends ``photoUrls=AAA``, which is how a form encodes the array ``["AAA"]`` (OpenAPI's default
``style: form, explode: true``), so the mock takes it; for a valid list of ``Tag`` objects it sends their keys,
``tags=id&tags=name``, two strings, so the mock refuses it (400 naming ``tags``). Before credentials were sent,
the data checks passed on every operation that asks for them whatever the mock did with the body: each request
got 401, which both checks take."""

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
    with serving("--contract", str(PETSTORE), "--credential", "special-key") as served:
        checked = subprocess.run(
            [
                str(BIN / "lendsim"), "check", "--contract", str(PETSTORE), "--url", served.url,
                "--base-path", "/petstore", "--max-examples", "3", "--seed", "1",
                "--header", "api_key: special-key", "--header", "Authorization: Bearer special-key",
                "--exclude-check", "negative_data_rejection:addPet",
                "--exclude-check", "positive_data_acceptance:addPet",
                "--exclude-check", "negative_data_rejection:updatePet",
                "--exclude-check", "positive_data_acceptance:updatePet",
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
