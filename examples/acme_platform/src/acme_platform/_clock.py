"""The platform's clock: the wall clock, in the company's time zone (tests put it on lendsim's virtual clock)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

__all__ = ["TZ", "local_date", "now"]

TZ = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return datetime.now(TZ)


def local_date(instant: datetime) -> date:
    return instant.astimezone(TZ).date()
