"""A partner contract nobody on this project wrote, mocked as a user mocks one and checked as a user checks one:
``lendsim serve --contract`` the Swagger Petstore, then ``lendsim check`` (schemathesis: the contract's examples,
the edges of each schema, random data, and sequences along its links) against it. Then a part of Stripe's spec3
(from the real-world corpus, skipped without it), as docs/mock-your-partner.md checks the whole of it.

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

import os
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests._processes import BIN
from tests.cli.test_serve import serving

PETSTORE = Path(__file__).parent / "real" / "petstore.yaml"
#: ../shared/reference/real-contracts beside the clone (or LENDSIM_REAL_CONTRACTS): public contracts, not ours to ship.
CORPUS = Path(
    os.environ.get("LENDSIM_REAL_CONTRACTS")
    or Path(__file__).resolve().parents[3] / "shared" / "reference" / "real-contracts"
)


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


#: Operations of Stripe's spec3 whose requests the whole check once found read wrong: deepObject query parameters
#: (``created[gt]=0``, ``relationship[owner]=false``), an empty field of an object (``status_transitions[posted_at]=``),
#: a multipart part sent as JSON (``file_link_data``); beside them reads, a delete and a plain form.
STRIPE_OPERATIONS = (
    "GetCharges", "GetInvoices", "GetAccountsAccountPersons", "GetTreasuryTransactions", "GetChargesCharge",
    "GetCustomersCustomer", "DeleteCustomersCustomer", "GetBalance", "PostFiles", "PostRefunds",
)  # fmt: skip
#: The POSTs' bodies all take ``expand``, an array of strings. For "not an array" schemathesis sends ``expand=AAA``
#: (``expand`` a part holding ``{}`` in a multipart body), which is how a form writes the list ``["AAA"]``: the mock
#: takes it, and negative_data_rejection would fail on the encoding, not on the mock.
STRIPE_FORM_ENCODED = ("PostFiles", "PostRefunds")


@pytest.mark.slow
@pytest.mark.skipif(not (CORPUS / "stripe.yaml").is_file(), reason=f"the real-world contracts are not at {CORPUS}")
def test_lendsim_check_finds_the_mocked_stripe_spec3_conformant_where_it_reads_deep_objects_and_json_parts() -> None:
    stripe = CORPUS / "stripe.yaml"
    with serving("--contract", str(stripe), "--credential", "sk_test_lendsim") as served:
        checked = subprocess.run(
            [
                str(BIN / "lendsim"), "check", "--contract", str(stripe), "--url", served.url,
                "--base-path", "/stripe", "--phases", "examples,coverage", "--max-examples", "1", "--seed", "1",
                "--time-limit", "600", "--header", "Authorization: Bearer sk_test_lendsim",
                *(arg for name in STRIPE_OPERATIONS for arg in ("--operation", name)),
                *(arg for op in STRIPE_FORM_ENCODED for arg in ("--exclude-check", f"negative_data_rejection:{op}")),
            ],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"{len(STRIPE_OPERATIONS)} operations: {len(STRIPE_OPERATIONS)} passed, 0 failed" in checked.stdout
    for name in STRIPE_OPERATIONS:
        found = re.search(rf"passed  {name} \(.*\) +([\d,]+) cases", checked.stdout)
        assert found is not None and int(found[1].replace(",", "")) >= 3, (name, checked.stdout)
