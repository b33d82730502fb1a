"""How the SMS gateway behaves: delivery delay, receipt re-pushes, templates, signatures and flow control."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from simulator.errors import ConfigError
from simulator.partners.sms._templates import Templates

__all__ = ["SmsConfig"]


@dataclass(frozen=True, slots=True)
class SmsConfig:
    """The gateway's settings; the defaults are Aliyun's behaviour.

    ``delivery_delay`` and ``delivery_jitter``: a message reaches the handset ``delay + U(0, jitter)`` after
    the send (the draw is seeded per message). ``receipt_repush``: when an unacknowledged receipt is pushed
    again, counted from the first push (1, 5 and 10 minutes), after which it is dropped. ``templates``: extra
    templates by code (``{"SMS_100": "您的验证码为${code}"}``), added to the built-in ones (or replacing one
    with the same code). ``sign_names``: the approved signatures; ``None`` accepts any. ``daily_limit``: at
    most this many messages of one template to one number per local day (``isv.BUSINESS_LIMIT_CONTROL``
    beyond); ``None`` (the default) sends them all, as the 2019 gateway did seven times over.
    """

    delivery_delay: timedelta = timedelta(seconds=5)
    delivery_jitter: timedelta = timedelta(seconds=2)
    receipt_repush: tuple[timedelta, ...] = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=10))
    templates: Mapping[str, str] = field(default_factory=dict)
    sign_names: frozenset[str] | None = None
    daily_limit: int | None = None

    def __post_init__(self) -> None:
        for name in ("delivery_delay", "delivery_jitter"):
            value = getattr(self, name)
            if not isinstance(value, timedelta) or value < timedelta(0):
                raise ConfigError(f"{name} must be a timedelta of zero or more, got {value!r}", field=name)
        previous = timedelta(0)
        for offset in self.receipt_repush:
            if not isinstance(offset, timedelta) or offset <= previous:
                raise ConfigError(
                    f"receipt_repush must be increasing positive offsets from the first push, e.g. (1, 5, 10) "
                    f"minutes; got {self.receipt_repush!r}",
                    field="receipt_repush",
                )
            previous = offset
        if self.daily_limit is not None and (isinstance(self.daily_limit, bool) or self.daily_limit < 1):
            raise ConfigError(
                f"daily_limit must be a positive number of messages or None (no limit), got {self.daily_limit!r}",
                field="daily_limit",
            )
        Templates(self.templates)  # raises ConfigError naming a bad code or text

    def registry(self) -> Templates:
        """The templates a gateway with these settings accepts: the built-in ones plus ``templates``."""
        return Templates(self.templates)
