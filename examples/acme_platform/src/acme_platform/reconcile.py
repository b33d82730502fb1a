"""The nightly reconciler: asks the bank about many repayments at once, with an ``httpx.AsyncClient``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from acme_platform.bank import DEFAULT_BANK_URL, AsyncBankClient

__all__ = ["bank_states"]


async def bank_states(keys: Iterable[str], *, bank_url: str = DEFAULT_BANK_URL) -> dict[str, str | None]:
    """Each repayment's state at the bank (None: the bank never received it), asked concurrently."""
    wanted = list(keys)
    bank = AsyncBankClient(bank_url)
    try:
        results = await asyncio.gather(*(bank.repay_result(key) for key in wanted))
    finally:
        await bank.aclose()
    return {key: result.status if result is not None else None for key, result in zip(wanted, results, strict=True)}
