"""The funding bank's API as Acme calls it: a synchronous client for the app and the jobs, an asynchronous one for
the reconciler. Network failures are raised as httpx raises them; the bank's own answers become results or
:class:`BankError`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

__all__ = ["DEFAULT_BANK_URL", "AsyncBankClient", "BankClient", "BankError", "RepayResult"]

#: Where the bank is in production (``ACME_BANK_URL`` overrides it).
DEFAULT_BANK_URL = os.environ.get("ACME_BANK_URL", "https://openapi.fundingbank.example")
TIMEOUT = httpx.Timeout(5.0)


class BankError(Exception):
    """The bank answered with an error. ``retry``: whether the same request may succeed later (5xx, 429)."""

    def __init__(self, response: httpx.Response) -> None:
        self.status = response.status_code
        self.retry = self.status == 429 or self.status >= 500
        super().__init__(
            f"{response.request.method} {response.request.url} answered {self.status}: {response.text[:200]}"
        )


@dataclass(frozen=True, slots=True)
class RepayResult:
    """The bank's word on a repayment (an answer to repayApply or repayResultQuery, or a callback)."""

    key: str
    status: str  # PROCESSING, SUCCESS or FAIL
    code: str
    posted_at: datetime | None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> RepayResult:
        posted = body.get("postedAt") or (body.get("notifiedAt") if body.get("repayStatus") == "SUCCESS" else None)
        return cls(
            key=str(body["repayOuterNo"]),
            status=str(body["repayStatus"]),
            code=str(body.get("respCode", "")),
            posted_at=datetime.fromisoformat(posted) if posted else None,
        )


def _checked(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise BankError(response)
    return response.json()


class BankClient:
    """Loans, repayments and corrections at the bank, over one pooled ``httpx.Client``."""

    def __init__(
        self, base_url: str = DEFAULT_BANK_URL, *, client: httpx.Client | None = None, auth: httpx.Auth | None = None
    ) -> None:
        self.http = client or httpx.Client(base_url=base_url, timeout=TIMEOUT, auth=auth)

    def register_loan(self, body: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = _checked(self.http.post("/loans", json=body))
        return answer

    def schedule(self, loan_no: str) -> list[dict[str, Any]]:
        answer: list[dict[str, Any]] = _checked(self.http.get(f"/loans/{loan_no}/schedule"))["installments"]
        return answer

    def repay_apply(self, body: dict[str, Any]) -> RepayResult:
        return RepayResult.from_json(_checked(self.http.post("/repayments", json=body)))

    def repay_result(self, key: str) -> RepayResult | None:
        """The bank's state of repayment ``key``; None when the bank never received it (safe to send again)."""
        response = self.http.get(f"/repayments/{key}")
        if response.status_code == 404:
            return None
        return RepayResult.from_json(_checked(response))

    def correction_apply(self, body: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = _checked(self.http.post("/corrections", json=body))
        return answer

    def correction(self, number: str) -> dict[str, Any]:
        answer: dict[str, Any] = _checked(self.http.get(f"/corrections/{number}"))
        return answer


class AsyncBankClient:
    """The same bank, for asyncio code (the reconciler asks about many repayments at once)."""

    def __init__(
        self,
        base_url: str = DEFAULT_BANK_URL,
        *,
        client: httpx.AsyncClient | None = None,
        auth: httpx.Auth | None = None,
    ) -> None:
        self.http = client or httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT, auth=auth)

    async def repay_result(self, key: str) -> RepayResult | None:
        response = await self.http.get(f"/repayments/{key}")
        if response.status_code == 404:
            return None
        return RepayResult.from_json(_checked(response))

    async def aclose(self) -> None:
        await self.http.aclose()
