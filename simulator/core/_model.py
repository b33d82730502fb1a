"""What partner models are given and give back: the engine's services, without HTTP.

A model (the bank, the bureau, the SMS gateway) is pure: it keeps its state by borrower and loan, answers
calls through behaviours bound by operationId, and reaches the rest of the world only through the engine —
``call`` another partner (through the same dispatch, so faults, validation and the journal apply),
``deliver`` a message to the platform's receiver (scheduled, retried, faults applied), ``event`` to
journal what it did, and the clock to schedule its jobs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from simulator.core._messages import Call, Reply

if TYPE_CHECKING:
    from simulator.openapi import Operation

__all__ = ["Deliverer", "DeliveryResult", "Model"]


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """How one delivery attempt ended: the receiver's status, or why nothing answered."""

    status: int | None
    error: str | None = None  # "no_receiver", "connection_refused", "connection_reset", "timeout", "dropped"
    body: Any = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


#: Sends one message to the platform's receiver operation (from contracts/platform.yaml) and reports how it
#: went: at once (a DeliveryResult, in-process) or later (a Future, e.g. an HTTP send on a worker thread, so
#: the server never blocks on the platform). Adapters provide it.
Deliverer = Callable[["Operation", Any, Mapping[str, str]], "DeliveryResult | Future[DeliveryResult]"]


class Model(Protocol):
    """A partner's behaviour over the world state. Installed with ``Engine.install``."""

    @property
    def partner(self) -> str: ...

    @property
    def points(self) -> Iterable[str]:
        """Extra fault injection points it consults (batch jobs, files), e.g. ``bank.overdueBatch``."""
        ...

    @property
    def point_actions(self) -> Mapping[str, Iterable[str]]:
        """The fault actions its points take beyond the common ones (see ``simulator.core.SPECS``), e.g.
        ``{"bank.overdueBatch": ("early",)}``; empty when they take only the common ones."""
        ...

    def behaviours(self) -> Mapping[str, Callable[[Call], Reply]]: ...

    def reset(self) -> None: ...

    def snapshot(self) -> dict[str, Any]: ...
