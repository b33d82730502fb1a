"""The canonical form and its signature, as docs/signing.md works them through — read from the page itself, and
reproduced by lendsim's implementation and by the reference platforms' own — and the signing settings' errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lendsim_examples._signing import Signing
from simulator.core import SigningConfig, canonical_form, sign
from simulator.errors import ConfigError

DOC = (Path(__file__).resolve().parents[2] / "docs" / "signing.md").read_text(encoding="utf-8")
BODY = b'{"repayOuterNo":"RP7F3A000001","loanOuterNo":"LN000070000001","repayAmount":"1006.00"}'
FIELDS = {"app_id": "platform", "key_id": "p1", "timestamp": "1557490500000", "nonce": "n7F3A0000000001"}


def documented(pattern: str) -> str:
    found = re.search(pattern, DOC, re.S)
    assert found is not None, pattern
    return found[1]


def test_the_worked_example_of_the_docs_is_what_lendsim_signs() -> None:
    text = documented(r"The canonical form \(the empty fourth line.*?```text\n(.*?)\n```")
    signature = documented(r"X-Signature: (\S+)\n")
    assert documented(r"```http\nPOST /bank/repayments\n.*?\n\n(.*?)\n```") == BODY.decode()

    canonical = canonical_form(
        algorithm="HMAC-SHA256", method="POST", path="/repayments", query="", body=BODY, **FIELDS
    )

    assert canonical == text.encode()
    assert sign(SigningConfig().platform_key, canonical) == signature


def test_the_docs_figures_for_a_query_and_for_sm3_are_what_both_implementations_make() -> None:
    query_signature = documented(r"and the signature\n`(\S+?)`\. With")
    sm3_digest = documented(r"has the body digest\n`([0-9a-f]{64})`")
    sm3_signature = documented(r"`3267f9c4[0-9a-f]+` and the signature\n`(\S+?)`")
    platform = Signing.from_setup(SigningConfig().to_json(), "DOCS")
    sm3 = Signing.from_setup(SigningConfig(algorithm="HMAC-SM3").to_json(), "DOCS")
    assert platform is not None and sm3 is not None

    get = {**FIELDS, "nonce": "n7F3A0000000002"}
    ours = sign(
        SigningConfig().platform_key,
        canonical_form(
            algorithm="HMAC-SHA256",
            method="GET",
            path="/reconciliation-files/2019-05-10",
            query="page=2",
            body=b"",
            **get,
        ),
    )
    theirs = platform.key.mac(
        b"\n".join(
            part.encode()
            for part in (
                "HMAC-SHA256", "GET", "/reconciliation-files/2019-05-10", "page=2", "platform", "p1",
                "1557490500000", "n7F3A0000000002", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            )
        )
    )  # fmt: skip
    canonical = canonical_form(algorithm="HMAC-SM3", method="POST", path="/repayments", query="", body=BODY, **FIELDS)

    assert ours == theirs == query_signature
    assert canonical.decode().endswith(sm3_digest)
    assert sign(SigningConfig(algorithm="HMAC-SM3").platform_key, canonical) == sm3_signature


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"windw": "5 minutes"}, "signing.windw: unknown key; did you mean 'window'?"),
        ({"window": "0 seconds"}, "signing.window: must be above zero and at most an hour"),
        ({"window": "2 days"}, "signing.window: must be above zero and at most an hour, got '2 days'"),
        ({"algorithm": "HMAC-MD5"}, "signing.algorithm: 'HMAC-MD5' is not one of HMAC-SHA256, HMAC-SM3"),
        ({"app_id": ""}, "signing.app_id: expected text of 1–128 characters, got ''"),
        ({"app_id": "放贷平台"}, "signing.app_id: '放贷平台' is sent as the X-App-Id header, so it takes printable"),
        ({"app_id": "acme loans"}, "signing.app_id: 'acme loans' is sent as the X-App-Id header"),
        ("yes", "signing: expected a mapping (or true), got 'yes'"),
    ],
)
def test_a_bad_signing_setting_names_the_field_the_value_and_the_fix(spec: object, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        SigningConfig.from_mapping(spec)

    assert str(caught.value).startswith(message)
