"""Nothing leaves the test: a client still pointing at the real bank fails, naming the host and the fix."""

from __future__ import annotations

import pytest

from acme_platform import AcmePlatform
from simulator.testing import Lendsim, UnroutedRequestError


def test_a_platform_left_pointing_at_the_real_bank_fails_naming_the_host_and_the_fix(lendsim: Lendsim) -> None:
    platform = AcmePlatform()  # forgot bank_url=lendsim.base_url("bank"): the production address

    with pytest.raises(UnroutedRequestError) as caught:
        platform.bank.schedule("LN-ACME-0001")

    message = str(caught.value)
    assert "'openapi.fundingbank.example'" in message  # the host
    assert "lendsim.base_url('bank')" in message and "passthrough_hosts" in message  # the two ways to fix it
