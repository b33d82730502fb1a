"""The behaviour of any operation without a built-in one: answer like the contract says.

The first declared 2xx response, with its example when the contract gives one, otherwise a value
generated from its schema (seeded, so a run replays identically).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.core._messages import Call, Reply

if TYPE_CHECKING:
    from simulator.openapi._synth import Synthesizer

__all__ = ["GenericMock"]


class GenericMock:
    __slots__ = ("_seed", "_synth")

    def __init__(self, seed: int = 0) -> None:
        self._seed = seed
        self._synth: Synthesizer | None = None  # built on first need: Faker costs ~0.5 s to import

    def reseed(self, seed: int) -> None:
        self._seed = seed
        if self._synth is not None:
            self._synth.reseed(seed)

    def __call__(self, call: Call) -> Reply:
        spec = call.operation.success
        if spec is None:
            return Reply(204)
        status = int(spec.status) if spec.status.isdigit() else 200
        media = spec.media("application/json")
        if media is None:
            return Reply(status)
        if media.examples:
            return Reply(status, media.examples[0], content_type=media.content_type)
        if media.schema is None:
            return Reply(status, content_type=media.content_type)
        if self._synth is None:
            from simulator.openapi._synth import Synthesizer

            self._synth = Synthesizer(self._seed)
        return Reply(status, self._synth.value(media.schema), content_type=media.content_type)
