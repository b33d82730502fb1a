"""Where ``lendsim check`` sends its requests, and how it prints them: base URLs from the contract's server path,
bad URLs refused with the fix, personal data masked in the curl lines it prints."""

from __future__ import annotations

import pytest

from simulator._resources import bundled_contracts_dir
from simulator.conformance import mask_curl, resolve_target
from simulator.errors import ConfigError

BANK = bundled_contracts_dir() / "bank.yaml"


@pytest.mark.parametrize(
    ("url", "base_path", "expected"),
    [
        ("http://127.0.0.1:8080", None, "http://127.0.0.1:8080/bank"),  # the contract's servers[0]
        ("http://127.0.0.1:8080/", None, "http://127.0.0.1:8080/bank"),
        ("http://127.0.0.1:8080/bank", None, "http://127.0.0.1:8080/bank"),  # already there: not doubled
        ("https://sandbox.example/api", "/v2/", "https://sandbox.example/api/v2"),
        ("https://sandbox.example/api", "", "https://sandbox.example/api"),
    ],
)
def test_the_base_url_is_the_url_plus_the_contracts_server_path_unless_told_otherwise(
    url: str, base_path: str | None, expected: str
) -> None:
    assert resolve_target(BANK, url, base_path).base_url == expected


@pytest.mark.parametrize("url", ["127.0.0.1:8080", "ftp://127.0.0.1/", "http://"])
def test_a_url_that_is_not_http_is_refused_with_an_example(url: str) -> None:
    with pytest.raises(ConfigError, match=r"is not an http\(s\) URL with a host; write e.g. http://127.0.0.1:8080"):
        resolve_target(BANK, url)


def test_a_printed_request_masks_ids_phones_and_names_in_its_json_body() -> None:
    curl = (
        'curl -X POST -H \'Content-Type: application/json\' -d \'{"name": "\\u5f20\\u4f1f", '
        '"certNo": "110105199003071239", "phone": "13912345678"}\' http://127.0.0.1:9000/loans?phone=13912345678'
    )

    masked = mask_curl(curl)

    assert "张*" in masked and "1101**********1239" in masked and masked.count("139****5678") == 2
    assert "13912345678" not in masked and "110105199003071239" not in masked and "\\u5f20" not in masked
