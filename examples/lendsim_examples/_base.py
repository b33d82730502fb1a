"""What both reference platforms share: the run's borrowers and loans, money, the ledger, partner calls, logging.

A platform here is a plain object with one method per operation of ``contracts/platform.yaml`` (JSON in, JSON
out). It keeps everything of a run in memory, talks to the partners with a synchronous ``httpx.Client`` at the
base URLs ``setupRun`` gave it, and never reads the wall clock: its clock is the latest virtual instant it has
seen (a tick's ``now``, a payment's ``paidAt``, a callback's timestamp, the ``X-Lendsim-Virtual-Time`` header of
a partner's answer).

The two platforms differ in what they do with that plumbing; :class:`BasePlatform` leaves the forwarding, the
due jobs and the receivers to them.
"""

from __future__ import annotations

import functools
import hashlib
import json as json_module
import logging
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Final, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

import httpx

from lendsim_examples._signing import Signing
from simulator.masking import mask_text
from simulator.openapi import snake  # the in-process form's method names, as lendsim's runner calls them

__all__ = [
    "CENT",
    "DEFAULT_TIMEZONE",
    "LOGGER_NAME",
    "VIRTUAL_TIME_HEADER",
    "ZERO",
    "BasePlatform",
    "Borrower",
    "Collection",
    "LoanFile",
    "Parts",
    "PlanRow",
    "Platform",
    "PlatformLog",
    "Problem",
    "allocate",
    "annual_rate",
    "bounded",
    "money",
    "money_str",
    "parse_instant",
    "snake",
]

# The platform's own money and instants, deliberately not simulator.domain's: invariant O4 compares this ledger with
# the simulated bank's to the cent, and one shared rounding helper would hide a drift between the two sides. (The
# platform rounds half-even and reads a naive instant in its contract zone; the bank rounds half-up and refuses one.)
ZERO: Final = Decimal("0.00")
CENT: Final = Decimal("0.01")
#: The logger both platforms write to; the runner captures it into the journal (invariant O7 reads it).
LOGGER_NAME: Final = "lendsim.platform"
VIRTUAL_TIME_HEADER: Final = "x-lendsim-virtual-time"
#: Where the bank's deliveries arrive (contracts/platform.yaml): the path their signature is over.
RECEIVER_PATHS: Final = {"repayResultNotify": "/callbacks/bank/repay-result", "bankNotice": "/callbacks/bank/notices"}
DEFAULT_TIMEZONE: Final = "Asia/Shanghai"
#: The order a payment pays an installment off in, as the simulated bank does by default.
DEFAULT_ORDER: Final = ("penalty", "interest", "principal", "fee")

# Repayment states, the bank's (PROCESSING, SUCCESS, FAIL) plus two of the platform's own.
NEW: Final = "NEW"  # collected, not (successfully) sent yet
UNKNOWN: Final = "UNKNOWN"  # sent, the answer was lost: the bank may or may not have it
PROCESSING: Final = "PROCESSING"
SUCCESS: Final = "SUCCESS"
FAIL: Final = "FAIL"
TERMINAL: Final = frozenset({SUCCESS, FAIL})


class Problem(Exception):
    """A request the platform refuses; the HTTP adapter answers it as an RFC 9457 problem with ``status``."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail


@runtime_checkable
class Platform(Protocol):
    """The in-process form of ``contracts/platform.yaml``: one method per operation, JSON in, JSON out."""

    def setup_run(self, body: dict[str, Any]) -> dict[str, Any]: ...
    def reset_run(self, body: dict[str, Any] | None = None) -> dict[str, Any]: ...
    def tick(self, body: dict[str, Any]) -> dict[str, Any]: ...
    def borrower_repay(self, body: dict[str, Any]) -> dict[str, Any]: ...
    def platform_ledger(self) -> dict[str, Any]: ...
    def repay_result_notify(self, body: dict[str, Any]) -> dict[str, Any]: ...
    def bank_notice(self, body: dict[str, Any]) -> dict[str, Any]: ...
    def sms_report(self, body: list[dict[str, Any]]) -> dict[str, Any]: ...


# -- money ------------------------------------------------------------------------------------------------


def money(text: str | Decimal | int) -> Decimal:
    """An amount in 元, exact to the cent."""
    try:
        return Decimal(text).quantize(CENT)
    except (InvalidOperation, ValueError):
        raise Problem(400, "Bad amount", f"{text!r} is not an amount like '1006.00'") from None


def annual_rate(text: str) -> Decimal:
    """A nominal annual rate as a fraction ("0.0720" = 7.2 %)."""
    try:
        rate = Decimal(str(text))
    except InvalidOperation:
        rate = Decimal(-1)
    if not rate.is_finite() or not ZERO <= rate < 1:
        raise Problem(400, "Bad rate", f"annualRate {text!r} is not a fraction like '0.0720' (7.2 %)")
    return rate


def money_str(value: Decimal) -> str:
    """``Decimal("1006")`` → ``"1006.00"`` (never ``-0.00``)."""
    value = value.quantize(CENT)
    return f"{value if value else ZERO:.2f}"


@dataclass(frozen=True, slots=True)
class Parts:
    """An amount split the way an installment is made of."""

    principal: Decimal = ZERO
    interest: Decimal = ZERO
    fee: Decimal = ZERO
    penalty: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fee + self.penalty

    def get(self, component: str) -> Decimal:
        value: Decimal = getattr(self, component)
        return value

    def __add__(self, other: Parts) -> Parts:
        return Parts(
            self.principal + other.principal,
            self.interest + other.interest,
            self.fee + other.fee,
            self.penalty + other.penalty,
        )

    def times(self, factor: int) -> Parts:
        return Parts(self.principal * factor, self.interest * factor, self.fee * factor, self.penalty * factor)

    def less(self, other: Parts) -> Parts:
        """What is left of ``self`` once ``other`` is taken off, never below zero per part."""
        return Parts(
            max(self.principal - other.principal, ZERO),
            max(self.interest - other.interest, ZERO),
            max(self.fee - other.fee, ZERO),
            max(self.penalty - other.penalty, ZERO),
        )

    def line(self, installment: int) -> dict[str, Any]:
        """A ``repayList`` line of repayApply."""
        return {
            "installmentNo": installment,
            "paidPrincipal": money_str(self.principal),
            "paidInterest": money_str(self.interest),
            "paidFee": money_str(self.fee),
            "paidPenalty": money_str(self.penalty),
        }


def allocate(amount: Decimal, owed: Parts, order: Iterable[str] = DEFAULT_ORDER) -> tuple[Parts, Decimal]:
    """Split ``amount`` over ``owed`` in ``order`` (each part at most what is owed); return it and the rest."""
    taken = dict.fromkeys(("principal", "interest", "fee", "penalty"), ZERO)
    remaining = amount
    for component in order:
        take = min(remaining, owed.get(component))
        taken[component] = take
        remaining -= take
    return Parts(**taken), remaining


def parse_instant(text: str, tz: ZoneInfo) -> datetime:
    """An RFC 3339 instant; a naive one is read in the contract time zone."""
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise Problem(400, "Bad instant", f"{text!r} is not an RFC 3339 date-time") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


def _digest(*parts: object, size: int = 12) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:size]


def bounded(*parts: object, limit: int = 64) -> str:
    """``parts`` joined with ``-``, shortened with a digest past ``limit`` characters (the contracts' ids)."""
    text = "-".join(str(part) for part in parts)
    return text if len(text) <= limit else f"{text[: limit - 13]}-{_digest(text)}"


# -- logging ------------------------------------------------------------------------------------------------


class PlatformLog:
    """Lines to the ``lendsim.platform`` logger, formatted here; with ``masked`` every line goes through
    :func:`simulator.masking.mask_text` (resident IDs, card numbers, mobile numbers), whatever put it there."""

    def __init__(self, *, masked: bool) -> None:
        self.logger = logging.getLogger(LOGGER_NAME)
        self.masked = masked

    def info(self, message: str, *args: object) -> None:
        self._emit(logging.INFO, message, args)

    def warning(self, message: str, *args: object) -> None:
        self._emit(logging.WARNING, message, args)

    def error(self, message: str, *args: object) -> None:
        self._emit(logging.ERROR, message, args)

    def _emit(self, level: int, message: str, args: tuple[object, ...]) -> None:
        if not self.logger.isEnabledFor(level):
            return
        text = message % args if args else message
        self.logger.log(level, mask_text(text) if self.masked else text)


# -- what a run is made of --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Borrower:
    """A borrower of the run, with the personal data setupRun gave (synthetic, but treated as real)."""

    borrower_id: str
    name: str
    cert_no: str
    phone: str
    card_no: str


@dataclass(slots=True)
class PlanRow:
    """One installment as the bank's schedule says: due when, how much, and what was paid before the run."""

    no: int
    due_date: date
    due: Parts
    opening: Parts  # paid at the bank when the run was set up


@dataclass(slots=True)
class LoanFile:
    """A loan of the run, its bank schedule (``repayPlanQuery``) once known, and the notices about it."""

    loan_no: str
    borrower_id: str
    term: int
    due_day: int
    disburse_date: date
    principal: Decimal | None = None  # the terms it was lent on (setupRun), for a platform that works out the
    annual_rate: Decimal | None = None  # schedule itself when the bank's cannot be read
    plan: dict[int, PlanRow] = field(default_factory=dict)
    overdue_notices: set[int] = field(default_factory=set)

    def due_date(self, no: int) -> date:
        row = self.plan.get(no)
        if row is not None:
            return row.due_date
        months = self.disburse_date.year * 12 + self.disburse_date.month - 1 + no
        return date(months // 12, months % 12 + 1, self.due_day)


@dataclass(slots=True)
class Collection:
    """One payment the borrower made in the app, and its way to the bank.

    ``lines`` is the platform's split of the money by installment; ``body`` the repayApply request (without
    ``reqNo``) exactly as first sent, so that a replay is byte-for-byte the same business order.
    """

    key: str  # the repayOuterNo
    loan_no: str
    borrower_id: str
    amount: Decimal
    repay_type: str
    paid_at: datetime
    paid_at_text: str
    lines: dict[int, Parts]
    body: dict[str, Any]
    state: str = NEW
    attempts: int = 0
    next_at: datetime | None = None
    accepted_at: datetime | None = None
    posted_at: datetime | None = None
    resp_code: str | None = None
    polls: int = 0  # repayResultQuery calls made for it
    write_offs: int = 0  # how many times a SUCCESS was applied to the books
    dropped: bool = False  # given up on (the forwarding failed and nothing retries it)
    reconciled: bool = False  # found in a reconciliation file
    aliases: list[str] = field(default_factory=list)  # other repayOuterNos minted for it (the naive one)


# -- the platform ---------------------------------------------------------------------------------------------


class BasePlatform:
    """Run set-up, reset, the clock, the ledger and partner calls; subclasses forward, tick and receive."""

    #: Shown in the User-Agent of partner calls and in logs.
    kind: ClassVar[str] = "base"
    #: Read timeout (seconds) of calls to the bank / the bureau, and to the SMS gateway.
    bank_timeout: ClassVar[float] = 10.0
    sms_timeout: ClassVar[float] = 10.0

    def __init__(self, *, masked_logs: bool) -> None:
        self.log = PlatformLog(masked=masked_logs)
        self._client: httpx.Client | None = None
        self._clear()
        self.on_reset()

    # -- run state ---------------------------------------------------------------------------------------

    def _clear(self) -> None:
        self.run_id: str | None = None
        self.tz = ZoneInfo(DEFAULT_TIMEZONE)
        self.now: datetime | None = None
        self.partners: dict[str, str] = {}
        self.borrowers: dict[str, Borrower] = {}
        self.loans: dict[str, LoanFile] = {}
        self.collections: dict[str, Collection] = {}  # by every repayOuterNo minted (aliases too)
        self.by_loan: dict[str, list[Collection]] = {}
        self.tag = "0000"
        self._serials: dict[str, int] = {}
        #: The run's keys when it is signed (setupRun's ``signing``): requests to the bank signed, its deliveries
        #: checked.
        self.signing: Signing | None = None

    def close(self) -> None:
        """Close the HTTP client (also done by ``reset_run``)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def setup_run(self, body: dict[str, Any]) -> dict[str, Any]:
        """setupRun: forget any previous run, take the partners, borrowers and loans, read the schedules."""
        self.reset_run(None)
        self.run_id = str(body["runId"])
        self.tag = _digest(self.run_id, size=4).upper()
        self.signing = Signing.from_setup(body.get("signing"), self.tag)
        try:
            self.tz = ZoneInfo(body.get("timezone") or DEFAULT_TIMEZONE)
        except (KeyError, ValueError):
            raise Problem(400, "Unknown time zone", f"{body.get('timezone')!r} is not an IANA zone") from None
        self.observe(str(body["start"]))
        partners = body["partners"]
        self.partners = {name: str(partners[name]).rstrip("/") for name in ("bank", "bureau", "sms")}
        for item in body.get("borrowers", []):
            borrower = Borrower(
                str(item["borrowerId"]), item["name"], item["certNo"], item["phone"], item["bankCardNo"]
            )
            self.borrowers[borrower.borrower_id] = borrower
        for item in body.get("loans", []):
            loan = LoanFile(
                str(item["loanOuterNo"]),
                str(item["borrowerId"]),
                int(item["term"]),
                int(item["dueDay"]),
                date.fromisoformat(item["disburseDate"]),
                money(item["principal"]) if "principal" in item else None,
                annual_rate(item["annualRate"]) if "annualRate" in item else None,
            )
            self.loans[loan.loan_no] = loan
            self.by_loan[loan.loan_no] = []
        self._client = httpx.Client(
            verify=_tls(),
            timeout=httpx.Timeout(self.bank_timeout, connect=min(self.bank_timeout, 5.0)),
            headers={"user-agent": f"lendsim-examples/{self.kind}"},
            follow_redirects=False,
        )
        read = sum(1 for loan in self.loans.values() if self._read_plan(loan, opening=True))
        self.on_setup()
        self.log.info(
            "run %s set up at %s: %d borrowers, %d loans (%d schedules read from the bank)",
            self.run_id,
            self._now().isoformat(),
            len(self.borrowers),
            len(self.loans),
            read,
        )
        return {"ready": True, "clientTimeouts": self.client_timeouts()}

    def client_timeouts(self) -> dict[str, str]:
        """How long its HTTP client waits for each partner (setupRun's answer says it): lendsim serves a latency at
        or beyond it as a timeout, and answers a shorter one at once, stamped that much later in virtual time."""
        return {
            "bank": _seconds(self.bank_timeout),
            "bureau": _seconds(self.bank_timeout),
            "sms": _seconds(self.sms_timeout),
        }

    def on_setup(self) -> None:
        """Hook: the run is set up (log what the platform holds, schedule its jobs)."""

    def reset_run(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """resetRun: drop everything of the current run; harmless when nothing is set up."""
        self.close()
        self._clear()
        self.on_reset()
        return {"reset": True}

    def on_reset(self) -> None:
        """Hook: forget the subclass's own state."""

    # -- the clock ------------------------------------------------------------------------------------------

    def observe(self, instant: str | None) -> None:
        """Take ``instant`` (a virtual time someone stamped) as now if it is later than now."""
        if not instant:
            return
        try:
            seen = parse_instant(instant, self.tz)
        except Problem:
            return
        if self.now is None or seen > self.now:
            self.now = seen

    def _now(self) -> datetime:
        if self.now is None:
            raise Problem(409, "No run", "the platform has no run: call setupRun first")
        return self.now

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.tz).date()

    def local(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.tz)

    def tick(self, body: dict[str, Any]) -> dict[str, Any]:
        """tick: virtual time is ``now``; run what is due."""
        self.observe(str(body["now"]))
        now = self._now()
        self.run_jobs(now)
        return {"now": now.isoformat()}

    def run_jobs(self, now: datetime) -> None:
        """Hook: the platform's due jobs."""

    # -- serials ---------------------------------------------------------------------------------------------

    def serial(self, prefix: str) -> str:
        """A new business serial of this run: ``prefix`` + the run's tag + a sequence (``RP1A2B000001``)."""
        number = self._serials.get(prefix, 0) + 1
        self._serials[prefix] = number
        return f"{prefix}{self.tag}{number:06d}"

    # -- partner calls ---------------------------------------------------------------------------------------

    def call(
        self,
        partner: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """One request to a partner. Raises what httpx raises (timeouts, refused or reset connections)."""
        if self._client is None:
            raise Problem(409, "No run", "the platform has no run: call setupRun first")
        limit = httpx.Timeout(timeout) if timeout is not None else httpx.USE_CLIENT_DEFAULT
        if self.signing is None or partner != "bank":
            response = self._client.request(
                method, self.partners[partner] + path, json=json, params=params, timeout=limit
            )
        else:  # signed: the exact bytes and query string the signature is over (docs/signing.md)
            content = _json_bytes(json) if json is not None else b""
            query = str(httpx.QueryParams(params)) if params else ""
            headers = self.signing.headers(method, path, query, content, self._now())
            if json is not None:
                headers["content-type"] = "application/json"
            url = self.partners[partner] + path + (f"?{query}" if query else "")
            response = self._client.request(method, url, content=content or None, headers=headers, timeout=limit)
        self.observe(response.headers.get(VIRTUAL_TIME_HEADER))
        return response

    def check_delivery(self, operation: str, headers: Mapping[str, str] | None, raw: bytes | None) -> None:
        """A delivery from the bank in a signed run must verify (docs/signing.md), else it is refused with a 401 and
        not acted on: a forged "repayment succeeded" would otherwise write off money never collected."""
        if self.signing is None:
            return
        if headers is not None:
            self.observe(headers.get(VIRTUAL_TIME_HEADER))
        why = (
            self.signing.check(RECEIVER_PATHS[operation], headers, raw, self.now)
            if headers is not None and raw is not None
            else "signature_missing: the delivery came without its headers"
        )
        if why is not None:
            self.log.warning("refused a %s that does not verify: %s", operation, why)
            raise Problem(401, "Unauthorized", why)

    def _read_plan(self, loan: LoanFile, *, opening: bool = False) -> bool:
        """Read (or refresh) a loan's schedule from the bank; ``opening`` also takes what was paid so far."""
        try:
            response = self.call("bank", "GET", f"/loans/{loan.loan_no}/schedule")
        except httpx.HTTPError as exc:
            self.log.warning("could not read the schedule of loan %s: %s", loan.loan_no, type(exc).__name__)
            return False
        if response.status_code != 200:
            self.log.warning("could not read the schedule of loan %s: HTTP %d", loan.loan_no, response.status_code)
            return False
        for item in response.json()["installments"]:
            due = Parts(
                money(item["duePrincipal"]),
                money(item["dueInterest"]),
                money(item["dueCharge"]),
                money(item["dueFundPenalty"]) + money(item["duePlatformPenalty"]),
            )
            no = int(item["installmentNo"])
            row = loan.plan.get(no)
            if row is None:
                paid = Parts(
                    money(item["paidPrincipal"]),
                    money(item["paidInterest"]),
                    money(item["paidCharge"]),
                    money(item["paidFundPenalty"]) + money(item["paidPlatformPenalty"]),
                )
                loan.plan[no] = PlanRow(no, date.fromisoformat(item["dueDate"]), due, paid if opening else Parts())
            else:
                row.due = due
        loan.term = max(loan.term, len(loan.plan))
        return True

    # -- collecting ---------------------------------------------------------------------------------------

    def find_loan(self, body: Mapping[str, Any]) -> LoanFile:
        loan = self.loans.get(str(body["loanOuterNo"]))
        if loan is None or loan.borrower_id != str(body["borrowerId"]):
            raise Problem(
                404,
                "Not found",
                f"No loan {body['loanOuterNo']} for borrower {body['borrowerId']} in this run.",
            )
        return loan

    def collected(self, loan: LoanFile, no: int, *, counting: Iterable[Collection] | None = None) -> Parts:
        """What the platform holds for installment ``no``: paid before the run plus every payment not refunded."""
        row = loan.plan.get(no)
        total = row.opening if row is not None else Parts()
        for collection in counting if counting is not None else self.by_loan.get(loan.loan_no, []):
            if collection.state != FAIL and no in collection.lines:
                total = total + collection.lines[no]
        return total

    def owed(self, loan: LoanFile, no: int) -> Parts:
        """What installment ``no`` still owes, by the bank's schedule less what the platform collected."""
        row = loan.plan.get(no)
        return row.due.less(self.collected(loan, no)) if row is not None else Parts()

    def split(
        self, loan: LoanFile, amount: Decimal, repay_type: str, no: int | None, paid_at: datetime
    ) -> dict[int, Parts]:
        """The platform's split of a payment by installment (the bank allocates each line in its own order; the
        daily reconciliation takes the bank's split where the amounts agree)."""
        numbers = sorted(loan.plan) or list(range(1, loan.term + 1))
        if repay_type == "EARLY_SETTLE":
            return self._split_settlement(loan, amount, paid_at, numbers)
        lines: dict[int, Parts] = {}
        remaining = amount
        targets = [no] if no is not None else [n for n in numbers if self.owed(loan, n).total > ZERO]
        for number in targets:
            if remaining <= ZERO:
                break
            parts, remaining = allocate(remaining, self.owed(loan, number))
            if parts.total > ZERO:
                lines[number] = parts
        if remaining > ZERO:  # more than is owed (or no schedule known): the bank decides (E1003), we forward it
            last = no if no is not None else (targets[-1] if targets else numbers[0] if numbers else 1)
            lines[last] = lines.get(last, Parts()) + Parts(principal=remaining)
        return lines

    def _split_settlement(
        self, loan: LoanFile, amount: Decimal, paid_at: datetime, numbers: list[int]
    ) -> dict[int, Parts]:
        """Early settlement: what fell due in full, later principal without interest, the current period's
        interest to date is what is left (the bank computes it; the amount the borrower paid already has it)."""
        day = self.local_date(paid_at)
        open_rows = [n for n in numbers if self.owed(loan, n).total > ZERO]
        lines: dict[int, Parts] = {}
        current: int | None = None
        for n in open_rows:
            owed = self.owed(loan, n)
            if loan.due_date(n) <= day:
                lines[n] = owed
            else:
                current = n if current is None else current
                lines[n] = Parts(principal=owed.principal, fee=owed.fee)
        rest = amount - sum((parts.total for parts in lines.values()), ZERO)
        if current is not None and rest >= ZERO:
            lines[current] = lines[current] + Parts(interest=rest)
        elif rest != ZERO:  # the amount does not fit the picture: split it oldest first instead
            return self.split(loan, amount, "NORMAL_REPAY", None, paid_at)
        return {n: parts for n, parts in lines.items() if parts.total > ZERO}

    def new_collection(self, body: Mapping[str, Any], key: str) -> Collection:
        """Record a payment the borrower made: split it, build the repayApply body (forwarding is the caller's)."""
        loan = self.find_loan(body)
        amount = money(body["amount"])
        if amount <= ZERO:
            raise Problem(400, "Bad amount", f"amount {body['amount']!r} must be more than 0.00")
        paid_text = str(body["paidAt"])
        paid_at = parse_instant(paid_text, self.tz)
        self.observe(paid_text)
        no = body.get("installmentNo")
        if no is not None and not 1 <= int(no) <= loan.term:
            raise Problem(404, "Not found", f"Loan {loan.loan_no} has no installment {no} (1–{loan.term}).")
        repay_type = str(body["repayType"])
        day = self.local_date(paid_at)
        if not loan.plan:  # not read at set-up (the bank did not answer then): what was paid before the run is
            # the opening balance — unless this run already collected for the loan, which the bank's paid amounts
            # now include (taking them as opening too would count those collections twice)
            self._read_plan(loan, opening=not self.by_loan.get(loan.loan_no))
        elif any(row.due_date < day and self.owed(loan, n).total > ZERO for n, row in loan.plan.items()):
            self._read_plan(loan)  # something is late: the bank may have added a penalty since we last looked
        lines = self.split(loan, amount, repay_type, int(no) if no is not None else None, paid_at)
        request = {
            "repayOuterNo": key,
            "loanOuterNo": loan.loan_no,
            "repayAmount": money_str(amount),
            "repayMode": "PARTNER_COLLECT",
            "repayType": repay_type,
            "actualRepayDate": paid_text,
            "repayList": [lines[n].line(n) for n in sorted(lines)],
        }
        collection = Collection(
            key, loan.loan_no, loan.borrower_id, amount, repay_type, paid_at, paid_text, lines, request
        )
        self.collections[key] = collection
        self.by_loan.setdefault(loan.loan_no, []).append(collection)
        return collection

    # -- the ledger ------------------------------------------------------------------------------------------

    def weight(self, collection: Collection) -> int:
        """How many times the books count a payment (subclasses: the naive one counts each SUCCESS callback)."""
        return 0 if collection.state == FAIL else 1

    def platform_ledger(self) -> dict[str, Any]:
        """platformLedger: what the platform believes each borrower paid, per loan and installment."""
        loans = []
        for loan in self.loans.values():
            payments = self.by_loan.get(loan.loan_no, [])
            settled = any(c.repay_type == "EARLY_SETTLE" and self.weight(c) for c in payments)
            numbers = sorted(set(loan.plan) | {n for c in payments for n in c.lines} | set(range(1, loan.term + 1)))
            rows = []
            for no in numbers[:60]:
                row = loan.plan.get(no)
                paid = row.opening if row is not None else Parts()
                for collection in payments:
                    factor = self.weight(collection)
                    if factor and no in collection.lines:
                        paid = paid + collection.lines[no].times(factor)
                rows.append(
                    {
                        "installmentNo": no,
                        "paidPrincipal": money_str(paid.principal),
                        "paidInterest": money_str(paid.interest),
                        "paidFee": money_str(paid.fee),
                        "paidPenalty": money_str(paid.penalty),
                        "status": "REPAYED" if settled else self._status(loan, no, paid),
                    }
                )
            states = [
                {"repayOuterNo": c.key, "repayStatus": c.state}
                for c in payments
                if c.state in (PROCESSING, SUCCESS, FAIL)
            ]
            loans.append({"loanOuterNo": loan.loan_no, "installments": rows, "repayments": states[-500:]})
        return {"loans": loans}

    def _status(self, loan: LoanFile, no: int, paid: Parts) -> str:
        row = loan.plan.get(no)
        if row is not None and paid.total >= row.due.total:
            return "REPAYED"
        if paid.total > ZERO:
            return "PARTIAL"
        return "OVERDUE" if no in loan.overdue_notices else "WAIT_REPAY"

    # -- helpers for subclasses ---------------------------------------------------------------------------------

    def deadline(self, loan: LoanFile, no: int, grace_days: int) -> datetime:
        """The end of installment ``no``'s grace as the platform assumes it (the bank's cut-off of the last day)."""
        return self.local(loan.due_date(no) + timedelta(days=grace_days), time(23, 59, 59))


def _json_bytes(value: Any) -> bytes:
    """A request body as the platform sends it: compact UTF-8 JSON."""
    return json_module.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _seconds(value: float) -> str:
    """Seconds as an ISO 8601 duration (``PT0.5S``)."""
    return f"PT{value:g}S"


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every run's client: building one loads the CA bundle (about 0.2 s), which made each
    ``setupRun`` that slow."""
    return httpx.create_ssl_context()
