"""How the simulated bureau behaves: feedback delay, the dispute window, corrections."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import time, timedelta
from typing import Any

from simulator._suggest import did_you_mean
from simulator.clock import Span, parse_duration, parse_span
from simulator.errors import ConfigError, LendsimError

__all__ = ["BureauConfig"]


@dataclass(frozen=True, slots=True)
class BureauConfig:
    """The bureau's settings; every default follows the regulation or the usual practice.

    ``feedback_delay``: how long after a submission the bureau loads it and the feedback is DONE.
    ``dispute_days`` / ``dispute_business_days``: the furnisher's answer is due this many days after filing
    (Art. 25: 20 days), counted in calendar days (default) or business days of the engine's calendar.
    ``overdue_check``: the local time of the check that journals ``disputeOverdue`` on the day after the
    due date. ``reject_corrections``: reject every 212 correction with ``ABR006`` (for "correction rejected,
    then resubmitted" scenarios; a ``bureau.corrections`` fault does the same for a time window).
    """

    feedback_delay: timedelta = timedelta(hours=8)
    dispute_days: int = 20
    dispute_business_days: bool = False
    overdue_check: time = time(0, 0)
    reject_corrections: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.feedback_delay, timedelta) or self.feedback_delay < timedelta(0):
            raise ConfigError(
                f"feedback_delay must be a timedelta >= 0, got {self.feedback_delay!r}; e.g. timedelta(hours=8)",
                field="feedback_delay",
            )
        days = self.dispute_days
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
            raise ConfigError(
                f"dispute_days must be a whole number of days 1–365, got {days!r}; Art. 25 says 20",
                field="dispute_days",
            )
        for name in ("dispute_business_days", "reject_corrections"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be True or False, got {getattr(self, name)!r}", field=name)
        if not isinstance(self.overdue_check, time) or self.overdue_check.tzinfo is not None:
            raise ConfigError(
                f"overdue_check must be a naive local time such as time(0, 0), got {self.overdue_check!r}",
                field="overdue_check",
            )

    @property
    def dispute_window(self) -> Span:
        """The answer window as a calendar span (``Span(20, business=False)`` by default)."""
        return Span(self.dispute_days, self.dispute_business_days)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> BureauConfig:
        """Read the settings as a scenario writes them.

        ``{"feedback_delay": "8 hours", "dispute_window": "20 business days", "overdue_check": "00:30",
        "reject_corrections": false}``; ``dispute_days``/``dispute_business_days`` are accepted too.
        Raises :class:`~simulator.errors.ConfigError` naming the key and the fix.
        """
        known = [f.name for f in fields(cls)] + ["dispute_window"]
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            if key not in known:
                hint = did_you_mean(key, known) or f"valid keys: {', '.join(known)}"
                raise ConfigError(f"bureau: unknown setting {key!r}; {hint}", field=str(key))
            try:
                if key == "feedback_delay" and isinstance(value, str):
                    kwargs[key] = parse_duration(value)
                elif key == "dispute_window":
                    span = value if isinstance(value, Span) else parse_span(str(value))
                    kwargs["dispute_days"], kwargs["dispute_business_days"] = span.days, span.business
                elif key == "overdue_check" and isinstance(value, str):
                    kwargs[key] = time.fromisoformat(value)
                else:
                    kwargs[key] = value
            except (LendsimError, ValueError) as exc:
                raise ConfigError(f"bureau.{key}: {exc}", field=str(key)) from None
        return cls(**kwargs)
