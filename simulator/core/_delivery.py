"""Deliveries to the platform's receivers: scheduled on the clock, retried, faults applied to each attempt.

A model asks ``Engine.deliver(point, body, …)``; the engine hands it to its :class:`Deliveries`, which makes a
:class:`Delivery` (one message and its retries) and schedules its first attempt. Each attempt asks the fault plan
at ``point``: ``latency`` postpones it, ``reorder`` holds it back until the next delivery about the same thing,
``drop`` loses it, ``outage`` fails it, ``duplicate`` sends it N times, ``timeout_after_commit`` sends it but
reports a timeout (so the sender retries). The adapter's :data:`Deliverer` does the sending; each attempt is
journaled through the engine's journaling helper.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from simulator.clock import VirtualClock
from simulator.core._faults import FaultAction, FaultPlan, Faults
from simulator.core._messages import SOURCE_HEADER, VIRTUAL_TIME_HEADER, dumps
from simulator.core._model import Deliverer, DeliveryResult
from simulator.core._signing import SIGNED_PARTNERS, SIGNING_POINT, Signer, SigningKey, signature_headers

if TYPE_CHECKING:
    from simulator.openapi import Contract, Operation

__all__ = ["Deliveries", "Delivery", "DeliveryJournal"]

# What a reorder fault holds back is keyed by the delivery point and what the message is about.
_About = tuple[str, str | None]


class DeliveryJournal(Protocol):
    """How a delivery attempt is journaled (the engine's journaling helper)."""

    def __call__(
        self,
        kind: str,
        *,
        partner: str,
        operation: str,
        status: int | None,
        borrower: str | None,
        loan: str | None,
        serial: str | None,
        sms_out_id: str | None,
        data: Mapping[str, Any],
    ) -> None: ...


class Deliveries:
    """The engine's deliveries: what sends them (``deliverer``, set by an adapter), how a background send's
    completion gets back into the engine's thread (``run_soon``), and the deliveries a ``reorder`` fault holds."""

    __slots__ = ("_held", "clock", "deliverer", "faults", "forgers", "journal", "platform", "run_soon", "signer")

    def __init__(self, clock: VirtualClock, faults: Faults, platform: Contract, journal: DeliveryJournal) -> None:
        self.clock = clock
        self.faults = faults
        #: What the platform under test implements: where deliveries go.
        self.platform = platform
        self.journal = journal
        #: Sends deliveries to the platform's receivers; set by an adapter (HTTP or in-process).
        self.deliverer: Deliverer | None = None
        #: How a background delivery's completion gets back into the engine's thread (the serve adapter sets the
        #: event loop's ``call_soon_threadsafe``); in-process it runs at once.
        self.run_soon: Callable[[Callable[[], None]], object] = lambda action: action()
        self._held: dict[_About, list[Callable[[], None]]] = {}
        #: Signs the signed partners' deliveries when signing is on (``Engine.enable_signing``).
        self.signer: Signer | None = None
        #: What a forger would claim instead, by delivery point (a partner registers them): the body of the copy a
        #: ``forged_callback`` fault sends first; elsewhere the copy carries the genuine body.
        self.forgers: dict[str, Callable[[Any], Any]] = {}

    def signed(self, partner: str, path: str, body: Any) -> tuple[dict[str, str], Signer] | None:
        """The signature headers of a delivery from ``partner`` to ``path`` and what they sign, when signing is on
        and the partner signs: signed with the bank's key, or its next one while a ``key_rotation`` fault is
        active at ``bank.signing``."""
        signer = self.signer
        if signer is None or partner not in SIGNED_PARTNERS:
            return None
        now = self.clock.now()
        rotated = self.faults.plan(SIGNING_POINT, now, only=(FaultAction.KEY_ROTATION,)).rotated
        return signer.headers(path=path, body=dumps(body), at=now, rotated=rotated), signer

    def send(
        self,
        point: str,
        body: Any,
        *,
        ids: Mapping[str, str | None],
        retry: Sequence[timedelta] = (),
        after: timedelta = timedelta(0),
        on_result: Callable[[DeliveryResult], None] | None = None,
        accept: Callable[[DeliveryResult], bool] | None = None,
        attempt: int = 1,
    ) -> None:
        """Schedule the first attempt to deliver ``body`` at webhook ``point`` (see :meth:`Engine.deliver`)."""
        delivery = Delivery(self, point, body, ids, retry, on_result, accept, attempt)
        self.clock.schedule_in(after, partial(delivery.attempt, 0), name=f"deliver {point}", borrower=ids["borrower"])

    def reset(self) -> None:
        """Forget the deliveries held back (the clock they were waiting on was reset)."""
        self._held.clear()

    def holding(self, about: _About) -> bool:
        """Whether a delivery about ``about`` is held back, waiting for the next one."""
        return about in self._held

    def hold(self, about: _About, release: Callable[[], None], within: timedelta, borrower: str | None) -> None:
        """Keep a delivery back (a ``reorder`` fault): it goes out right after the next delivery about the same thing,
        or after ``within`` if none comes."""
        held = self._held.setdefault(about, [])
        held.append(release)

        def give_up_waiting() -> None:
            waiting = self._held.get(about)
            if waiting is not None and release in waiting:
                waiting.remove(release)
                if not waiting:
                    del self._held[about]
                release()

        self.clock.schedule_in(within, give_up_waiting, name=f"deliver {about[0]} (reordered)", borrower=borrower)

    def release(self, about: _About) -> None:
        """Send what a ``reorder`` fault held back about ``about``: right after the one just sent."""
        for release in self._held.pop(about, ()):
            release()

    def receiver(self, hook: str) -> Operation | None:
        """The platform's receiver of webhook ``hook``, if its contract has one."""
        return self.platform.webhooks.get(hook) or self.platform.operations.by_id.get(hook)


class Delivery:
    """One webhook delivery and its retries.

    A plain object whose scheduled steps are bound methods, not closures calling themselves: those would be
    reference cycles, which outlive their delivery wherever the cycle collector does not reach them (``lendsim
    serve`` freezes what survives a middle-generation collection, and a delivery waiting for its retries does).
    """

    __slots__ = (
        "about",
        "accept",
        "body",
        "delays",
        "deliveries",
        "first",
        "hook",
        "ids",
        "on_result",
        "partner",
        "point",
    )

    def __init__(
        self,
        deliveries: Deliveries,
        point: str,
        body: Any,
        ids: Mapping[str, str | None],
        retry: Sequence[timedelta],
        on_result: Callable[[DeliveryResult], None] | None,
        accept: Callable[[DeliveryResult], bool] | None,
        first: int = 1,
    ) -> None:
        self.deliveries = deliveries
        self.first = first  # the journal's number of attempt 0
        self.point = point
        self.partner, _, self.hook = point.partition(".")
        self.body = body
        self.ids = ids
        self.delays = list(retry)
        self.about: _About = (point, ids["serial"] or ids["loan"] or ids["sms_out_id"])
        self.on_result = on_result
        self.accept = accept

    @property
    def borrower(self) -> str | None:
        return self.ids["borrower"]

    def attempt(self, number: int, postponed: bool = False) -> None:
        """Attempt ``number`` (0 first), unless a fault postpones it or holds it back."""
        deliveries = self.deliveries
        plan = deliveries.faults.plan(self.point, deliveries.clock.now(), key=self.borrower or self.about[1])
        if plan.delay is not None and not postponed:  # a delayed delivery: the same attempt, later
            deliveries.clock.schedule_in(
                plan.delay, partial(self.attempt, number, True), name=f"deliver {self.point}", borrower=self.borrower
            )
            return
        # Held back until the next one about the same thing is sent (which itself goes out: a swap).
        if plan.reorder is not None and not postponed and not deliveries.holding(self.about):
            deliveries.hold(self.about, partial(self.attempt, number, True), plan.reorder, self.borrower)
            return
        self.send(plan, number)
        deliveries.release(self.about)  # what a reorder fault held back now arrives after this

    def send(self, plan: FaultPlan, number: int) -> None:
        """Send attempt ``number`` (N copies under a ``duplicate`` fault); the first copy's outcome decides retries."""
        deliveries = self.deliveries
        receiver = deliveries.receiver(self.hook)
        forced: DeliveryResult | None = None
        if plan.dropped is not None:
            forced = DeliveryResult(None, "dropped")
        elif plan.outage is not None:
            forced = DeliveryResult(plan.outage.status, plan.outage.error)
        outcome = _Outcome(self, number, receiver, plan.lost_answer)
        if forced is not None or deliveries.deliverer is None or receiver is None:
            outcome.record(forced or DeliveryResult(None, "no_receiver"), True)
            return
        headers = {VIRTUAL_TIME_HEADER: deliveries.clock.now().isoformat(), SOURCE_HEADER: self.partner}
        signed = deliveries.signed(self.partner, receiver.path, self.body)
        if signed is not None:
            signature, signer = signed
            if plan.tampered is not None:  # a copy the bank did not sign goes first; the platform must not act on it
                bad = dict(headers)
                body = self.body
                if plan.tampered == "forged":
                    forge = deliveries.forgers.get(self.point)
                    body = forge(self.body) if forge is not None else self.body
                    forger = SigningKey(signature["x-app-id"], signature["x-key-id"], "forged:" + signer.nonce())
                    bad.update(
                        signature_headers(
                            forger,
                            method="POST",
                            path=receiver.path,
                            body=dumps(body),
                            at=deliveries.clock.now(),
                            nonce=signer.nonce(),
                        )
                    )
                tampered = _Outcome(self, number, receiver, False, plan.tampered, body)
                self._deliver(receiver, body, bad, tampered, False)
            headers.update(signature)
            outcome.signature = signature["x-key-id"]
        for copy_number in range(plan.copies):
            self._deliver(receiver, self.body, headers, outcome, copy_number == 0)

    def _deliver(
        self, receiver: Operation, body: Any, headers: Mapping[str, str], outcome: _Outcome, first: bool
    ) -> None:
        deliverer = self.deliveries.deliverer
        assert deliverer is not None
        sent = deliverer(receiver, body, headers)
        if isinstance(sent, DeliveryResult):
            outcome.record(sent, first)
        else:  # an adapter sending in the background: finish in the engine's thread when it is done
            sent.add_done_callback(partial(outcome.done, first))

    def finished(self, number: int, result: DeliveryResult) -> None:
        """Attempt ``number`` ended with ``result``: retry after the next delay, or tell ``on_result``."""
        acknowledged = self.accept(result) if self.accept is not None else result.ok
        if not acknowledged and number < len(self.delays):
            retry = partial(self.attempt, number + 1)
            self.deliveries.clock.schedule_in(
                self.delays[number], retry, name=f"retry {self.point}", borrower=self.borrower
            )
        elif self.on_result is not None:
            self.on_result(result)


class _Outcome:
    """What became of one attempt's copies: each journaled, the first one's deciding the retries."""

    __slots__ = ("body", "delivery", "lost_answer", "number", "receiver", "signature")

    def __init__(
        self,
        delivery: Delivery,
        number: int,
        receiver: Operation | None,
        lost_answer: bool,
        signature: str | None = None,
        body: Any = None,
    ) -> None:
        self.delivery = delivery
        #: What the copies carried, when not the delivery's body (a forged copy's).
        self.body = delivery.body if body is None else body
        self.number = number
        self.receiver = receiver
        self.lost_answer = lost_answer
        #: How the copies were signed, when signing is on: the key id, or "forged" / "unsigned".
        self.signature = signature

    def record(self, result: DeliveryResult, first: bool) -> None:
        delivery, receiver = self.delivery, self.receiver
        data = {
            "attempt": self.number + delivery.first,
            "point": delivery.point,
            "body": self.body,
            "error": result.error,
            "receiver": f"{receiver.method} {receiver.path}" if receiver else None,
        }
        if self.signature is not None:
            data["signature"] = self.signature
        if result.body is not None:  # what the receiver answered: a restarted server replays it (core/_replay.py)
            data["answer"] = result.body
        delivery.deliveries.journal(
            "delivery",
            partner=delivery.partner,
            operation=delivery.hook,
            status=result.status,
            **delivery.ids,
            data=data,
        )
        if first:  # the answer lost (timeout_after_commit): the sender hears a timeout, and retries
            lost = self.lost_answer and result.ok
            delivery.finished(self.number, DeliveryResult(None, "timeout") if lost else result)

    def done(self, first: bool, future: Future[DeliveryResult]) -> None:
        """A background send finished: record it in the engine's thread."""
        self.delivery.deliveries.run_soon(partial(self.finish, first, future))

    def finish(self, first: bool, future: Future[DeliveryResult]) -> None:
        self.record(_delivery_outcome(future), first)


def _delivery_outcome(future: Future[DeliveryResult]) -> DeliveryResult:
    try:
        return future.result()
    except Exception as exc:  # the adapter failed to send: report it as a failed attempt, with the reason
        return DeliveryResult(None, f"error: {exc!r}")
