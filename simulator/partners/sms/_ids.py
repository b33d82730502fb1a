"""Deterministic ids: BizId, RequestId and delivery jitter from the run's seed and the message's own facts.

Nothing here counts across borrowers: an id is a hash of the seed, the number(s), the virtual time and how
many messages that number already had, so a run split into shards by borrower makes the same ids.
"""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta

__all__ = ["biz_id", "delivery_delay", "request_id"]


def _digest(*parts: object) -> bytes:
    return hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=16).digest()


def biz_id(seed: int, phones: str, now: datetime, sequence: int) -> str:
    """An Aliyun-style BizId (``900619557514803254^0``): 18 digits, then ``^0``."""
    number = int.from_bytes(_digest(seed, "biz", phones, now.isoformat(), sequence)[:8])
    return f"{10**17 + number % (9 * 10**17)}^0"


def request_id(seed: int, key: str, now: datetime, sequence: int) -> str:
    """An Aliyun-style RequestId, a UUID in upper case."""
    hexed = _digest(seed, "request", key, now.isoformat(), sequence).hex().upper()
    return f"{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:32]}"


def delivery_delay(seed: int, biz: str, phone: str, index: int, delay: timedelta, jitter: timedelta) -> timedelta:
    """``delay`` plus a seeded draw from [0, ``jitter``], one per message.

    Drawn in whole seconds (receipt times read like Aliyun's), or in milliseconds for a jitter under a second.
    """
    if not jitter:
        return delay
    step = timedelta(seconds=1) if jitter >= timedelta(seconds=1) else timedelta(milliseconds=1)
    rng = random.Random(_digest(seed, "delivery", biz, phone, index))
    return delay + step * rng.randint(0, jitter // step)
