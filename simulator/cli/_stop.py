"""How every command stops when asked to (SIGINT, SIGTERM): promptly, cleaned up, with the signal's own status.

A signal raises :class:`~simulator.errors.Interrupted` where the work is (``lendsim run`` between two steps; a
server lets go of its held requests, flushes its journal and shuts down first: ``simulator.http.make_server``).
Every ``finally`` runs on the way out; then the process ends **by the same signal**, its default action, so
shells and CI runners report 130 after SIGINT and 143 after SIGTERM (128 + the signal's number; Python's
``subprocess`` shows -2 and -15). Never 0, 1 or 2: a cancelled job is not read as passed, as a violated
invariant or as bad input, and a shell loop around ``lendsim`` stops on Ctrl-C as it does for any program
that dies of SIGINT. A second signal while stopping ends the process at once.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import NoReturn

from simulator.errors import Interrupted

__all__ = ["SIGNALS", "end_by", "interruptible"]

SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def interruptible() -> Iterator[None]:
    """Within: SIGINT and SIGTERM raise :class:`Interrupted` in the main thread; a second one ends the process."""
    stopping: list[int] = []

    def interrupt(signum: int, frame: FrameType | None) -> None:
        if stopping:
            end_by(signum)
        stopping.append(signum)
        raise Interrupted(signum)

    before = {signum: signal.signal(signum, interrupt) for signum in SIGNALS}
    try:
        yield
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


def end_by(signum: int) -> NoReturn:
    """End the process by ``signum``'s default action, so that its status says which signal stopped it."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    signal.signal(signum, signal.SIG_DFL)
    signal.raise_signal(signum)
    sys.exit(128 + signum)  # pragma: no cover - reached only where the default action does not end the process
