"""The reconciler's asyncio client reaches the simulated bank like the synchronous one."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx
import pytest

from acme_platform import AcmePlatform, AsyncBankClient, Loan, bank_states
from simulator.testing import Lendsim

pytestmark = pytest.mark.lendsim(freeze_time=True)


def test_the_reconciler_asks_the_bank_about_many_repayments_at_once(
    lendsim: Lendsim, acme: AcmePlatform, loan: Loan
) -> None:
    first = acme.repayments.collect(loan.loan_no, 1, Decimal("1018.00"))
    second = acme.repayments.collect(loan.loan_no, 2, Decimal("500.00"))
    lendsim.advance(minutes=5)

    states = asyncio.run(bank_states([first.key, second.key, "ACME-NEVER-SENT"], bank_url=lendsim.base_url("bank")))

    assert states == {first.key: "SUCCESS", second.key: "SUCCESS", "ACME-NEVER-SENT": None}


def test_an_outage_reaches_the_async_client_as_the_real_httpx_exception(lendsim: Lendsim) -> None:
    lendsim.fault("bank.repayResultQuery", outage={"error": "connection_refused"})

    async def ask() -> None:
        bank = AsyncBankClient(lendsim.base_url("bank"))
        try:
            await bank.repay_result("ACME-1")
        finally:
            await bank.aclose()

    with pytest.raises(httpx.ConnectError):
        asyncio.run(ask())
