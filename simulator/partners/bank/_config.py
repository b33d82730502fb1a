"""How the simulated funding bank behaves: its day (cut-off, batch times), grace, money rules and notices.

Every setting has the default of the 2019 incident; ``docs/bank-day.md`` shows the day they make.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from simulator._suggest import did_you_mean
from simulator.clock import Span, parse_duration, parse_span
from simulator.errors import ConfigError, LendsimError

__all__ = ["COMPONENTS", "FURNISHING_MODES", "PENALTY_ROUNDING", "PENALTY_ROUNDING_MODES", "BankConfig"]

#: What an installment is made of, by the names ``allocation_order`` uses.
COMPONENTS: Final = ("penalty", "interest", "principal", "fee")
#: ``daily``: changed accounts every day, the month's worst status kept; ``monthly``: month-end snapshots
#: only (Huabei-style), which hide what was put right within the month.
FURNISHING_MODES: Final = ("daily", "monthly")
#: ``total``: the penalty accrued so far is rounded to the cent once (principal × rate × days); ``daily``: each
#: batch's accrual is rounded and the roundings are summed (0.497 a day is 0.50 a day).
PENALTY_ROUNDING: Final = ("total", "daily")
#: How a half cent is rounded: away from zero (四舍五入, ``half_up``) or to the even cent (``half_even``).
PENALTY_ROUNDING_MODES: Final = ("half_up", "half_even")

_TEMPLATE_CODE = re.compile(r"^SMS_[0-9]{1,12}$")
_ORG_CODE = re.compile(r"^[0-9A-Z]{14}$")
# Scenario spellings (docs/scenarios.md: `bank: {cutoff: "23:59:59", grace: 3 days, overdue_batch: "02:00", ...}`).
_ALIASES: Final = {
    "grace": "grace_days",
    "overdue_batch": "overdue_batch_time",
    "reconciliation_file": "reconciliation_time",
    "furnishing_mode": "furnishing",
    "dispute_answer": "dispute_answer_days",
    "notice_lead": "notice_lead_days",
}
_TIMES: Final = ("cutoff", "overdue_batch_time", "reconciliation_time", "furnishing_time")
#: The rules that count days, each in calendar or business days: its count field → its business-days flag.
_SPANS: Final = {
    "grace_days": "grace_business_days",
    "dispute_answer_days": "dispute_answer_business_days",
    "notice_lead_days": "notice_lead_business_days",
}


@dataclass(frozen=True, slots=True)
class BankConfig:
    """The bank's settings. Times are naive local times in the engine calendar's zone.

    ``cutoff``: the end of the bank's business day (日切); a posting after it belongs to the next day's
    books, and an installment's grace ends at the cut-off of its last grace day.
    ``grace_days``: days after the due date before an unpaid installment turns overdue (0–3); calendar days
    unless ``grace_business_days`` (then business days of the engine's calendar; 0 moves a due date on a rest day
    to the next business day).
    ``overdue_batch_time``: when the daily overdue batch runs (it marks, notifies, accrues penalties).
    ``reconciliation_time``: the file for day D is available from this time on D+1.
    ``processing_delay``: how long after ``repayApply`` accepts a repayment the bank posts it (0: at once).
    ``callback_retry``: the delays between attempts to deliver a callback to the platform.
    ``notify_processing``: also call back ``PROCESSING`` when a repayment is accepted (some banks do; with a
    ``reorder`` fault it can arrive after the ``SUCCESS`` one).
    ``allocation_order``: which parts of an installment a payment pays first (``fee`` last unless named).
    ``penalty_rate``: the daily penalty on overdue principal (0 for none).
    ``penalty_rounding``: ``total`` (the accrued penalty rounded once, default) or ``daily`` (each accrual rounded);
    ``penalty_rounding_mode``: ``half_up`` (default) or ``half_even``.
    ``furnishing``: ``daily`` or ``monthly`` bureau reporting; ``furnishing_time``: when the daily job runs.
    ``notice_before_report``: hold a negative record until the borrower's overdue notice went out (Art. 15);
    ``False`` makes a misbehaving bank that reports without notice.
    ``sms_sign_name`` / ``sms_template_code`` / ``sms_platform_name``: the overdue SMS (the gateway owns the
    text; the bank sends the code and ``{"platform", "dueDate"}``).
    ``mngmt_org_code``: the bank's 14-character code at the bureau.
    ``dispute_answer_days``: how many days after a dispute reaches it the bank answers (business days with
    ``dispute_answer_business_days``).
    ``notice_lead_days``: with ``notice_before_report``, how long before a negative record its overdue notice must
    have gone out (0: any time before; business days with ``notice_lead_business_days``).
    """

    cutoff: time = time(23, 59, 59)
    grace_days: int = 3
    grace_business_days: bool = False
    overdue_batch_time: time = time(2, 0)
    reconciliation_time: time = time(3, 0)
    processing_delay: timedelta = timedelta(seconds=2)
    callback_retry: tuple[timedelta, ...] = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))
    notify_processing: bool = False
    allocation_order: tuple[str, ...] = ("penalty", "interest", "principal")
    penalty_rate: Decimal = Decimal("0.0005")
    penalty_rounding: str = "total"
    penalty_rounding_mode: str = "half_up"
    furnishing: str = "daily"
    furnishing_time: time = time(4, 0)
    notice_before_report: bool = True
    sms_sign_name: str = "民生银行"
    sms_template_code: str = "SMS_153055065"
    sms_platform_name: str = "小米金融"
    mngmt_org_code: str = "B10211000H0001"
    dispute_answer_days: int = 5
    dispute_answer_business_days: bool = False
    notice_lead_days: int = 0
    notice_lead_business_days: bool = False

    def __post_init__(self) -> None:
        for name in _TIMES:
            value = getattr(self, name)
            if not isinstance(value, time) or value.tzinfo is not None:
                raise _error(name, f"must be a naive local time such as time(2, 0) or '02:00', got {value!r}")
        _whole(self.grace_days, "grace_days", 0, 3, "the incident's bank gave 3")
        _whole(self.dispute_answer_days, "dispute_answer_days", 0, 365, "Art. 25 allows 20")
        _whole(self.notice_lead_days, "notice_lead_days", 0, 30, "Art. 15 asks only that the notice come first")
        delay = self.processing_delay
        if not isinstance(delay, timedelta) or not timedelta(0) <= delay < timedelta(days=1):
            raise _error("processing_delay", f"must be a timedelta from 0 to under a day, got {delay!r}; e.g. PT2S")
        retry = self.callback_retry
        if not isinstance(retry, tuple) or not all(isinstance(d, timedelta) and d > timedelta(0) for d in retry):
            raise _error(
                "callback_retry",
                f"must be a tuple of positive timedeltas, got {retry!r}; e.g. (timedelta(minutes=1),)",
            )
        self._check_order()
        rate = self.penalty_rate
        if not isinstance(rate, Decimal) or not rate.is_finite() or not Decimal(0) <= rate < Decimal(1):
            raise _error("penalty_rate", f"must be a Decimal from 0 to under 1 per day, got {rate!r}; e.g. '0.0005'")
        if self.furnishing not in FURNISHING_MODES:
            raise _error("furnishing", f"must be one of {', '.join(FURNISHING_MODES)}, got {self.furnishing!r}")
        for name, valid in (("penalty_rounding", PENALTY_ROUNDING), ("penalty_rounding_mode", PENALTY_ROUNDING_MODES)):
            value = getattr(self, name)
            if value not in valid:
                hint = did_you_mean(value, valid) if isinstance(value, str) else None
                raise _error(name, f"must be one of {', '.join(valid)}, got {value!r}" + (f"; {hint}" if hint else ""))
        for flag in ("notice_before_report", "notify_processing", *_SPANS.values()):
            if not isinstance(getattr(self, flag), bool):
                raise _error(flag, f"must be True or False, got {getattr(self, flag)!r}")
        sign = self.sms_sign_name
        if not isinstance(sign, str) or not 2 <= len(sign) <= 12:
            raise _error("sms_sign_name", f"must be 2–12 characters (the SMS contract's SignName), got {sign!r}")
        if not isinstance(self.sms_template_code, str) or not _TEMPLATE_CODE.match(self.sms_template_code):
            raise _error("sms_template_code", f"must look like 'SMS_153055065', got {self.sms_template_code!r}")
        if not isinstance(self.sms_platform_name, str) or not 1 <= len(self.sms_platform_name) <= 30:
            raise _error("sms_platform_name", f"must be 1–30 characters, got {self.sms_platform_name!r}")
        if not isinstance(self.mngmt_org_code, str) or not _ORG_CODE.match(self.mngmt_org_code):
            raise _error(
                "mngmt_org_code",
                f"must be 14 capital letters or digits like 'B10211000H0001', got {self.mngmt_org_code!r}",
            )

    def _check_order(self) -> None:
        order = self.allocation_order
        given = list(order) if isinstance(order, tuple) else None
        if given is None or len(set(given)) != len(given) or not set(COMPONENTS[:3]) <= set(given) <= set(COMPONENTS):
            raise _error(
                "allocation_order",
                f"must name penalty, interest and principal once each (fee optional, last if absent), got {order!r}; "
                "e.g. ('penalty', 'interest', 'principal')",
            )

    @property
    def order(self) -> tuple[str, ...]:
        """The allocation order with every component, ``fee`` appended when the setting leaves it out."""
        return self.allocation_order if "fee" in self.allocation_order else (*self.allocation_order, "fee")

    @property
    def grace(self) -> Span:
        """The grace period as a span of calendar or business days (``Span(3, business=False)`` by default)."""
        return Span(self.grace_days, self.grace_business_days)

    @property
    def dispute_answer(self) -> Span:
        """How long after a dispute reaches it the bank answers."""
        return Span(self.dispute_answer_days, self.dispute_answer_business_days)

    @property
    def notice_lead(self) -> Span:
        """How long before a negative record its overdue notice must have gone out."""
        return Span(self.notice_lead_days, self.notice_lead_business_days)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> BankConfig:
        """Read the settings as a scenario writes them.

        ``{"cutoff": "23:59:59", "grace": "3 days", "overdue_batch": "02:00", "reconciliation_file": "03:00",
        "processing_delay": "PT2S", "callback_retry": ["1 minute", "5 minutes"], "penalty_rate": "0.0005",
        "penalty_rounding": "daily", "allocation_order": "penalty, interest, principal", "furnishing": "monthly",
        "dispute_answer": "5 working days", "notice_lead": "1 working day"}``; a rule that counts days (``grace``,
        ``dispute_answer``, ``notice_lead``) takes calendar or working days. The field names of :class:`BankConfig`
        are accepted too. Raises :class:`~simulator.errors.ConfigError` naming the key.
        """
        known = [f.name for f in fields(cls)]
        kwargs: dict[str, Any] = {}
        spelled: dict[str, str] = {}
        for raw_key, value in values.items():
            key = _ALIASES.get(str(raw_key), str(raw_key))
            if key not in known:
                hint = did_you_mean(raw_key, [*known, *_ALIASES]) or f"valid keys: {', '.join(known)}"
                raise ConfigError(f"bank: unknown setting {raw_key!r}; {hint}", field=str(raw_key))
            if key in spelled:
                raise ConfigError(
                    f"bank: {spelled[key]!r} and {raw_key!r} are the same setting; keep one", field=str(raw_key)
                )
            spelled[key] = str(raw_key)
            try:
                if key in _SPANS and isinstance(value, str | Span):
                    span = value if isinstance(value, Span) else parse_span(value)
                    kwargs[key], kwargs[_SPANS[key]] = span.days, span.business
                else:
                    kwargs[key] = _read(key, value)
            except (LendsimError, ValueError, InvalidOperation) as exc:
                raise ConfigError(f"bank.{raw_key}: {exc}", field=str(raw_key)) from None
        return cls(**kwargs)


def _read(key: str, value: Any) -> Any:
    if key in _TIMES and isinstance(value, str):
        return time.fromisoformat(value)
    if key == "processing_delay" and isinstance(value, str):
        return parse_duration(value)
    if key == "callback_retry" and isinstance(value, list | tuple):
        return tuple(parse_duration(v) if isinstance(v, str) else v for v in value)
    if key == "allocation_order":
        if isinstance(value, str):
            return tuple(part.strip() for part in re.split(r"[,>→\s]+", value) if part.strip() and part != "-")
        if isinstance(value, list):
            return tuple(value)
    if key == "penalty_rate" and isinstance(value, str | int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    return value


def _whole(value: object, name: str, low: int, high: int, hint: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _error(name, f"must be a whole number {low}–{high}, got {value!r} ({hint})")


def _error(name: str, message: str) -> ConfigError:
    return ConfigError(f"BankConfig.{name} {message}", field=name)
