"""Group commit: an answer leaves only once the journal holds it, on disk.

The server promises that every answer it gives is in the journal file before the client can read it (so a server
killed right after answering has not lost it, and a restart rebuilds a world that agrees with it). Committing once
per answer would cost a transaction each; instead every request handled in one turn of the event loop waits for
one commit, made when the turn is over, and all of their answers leave after it. A journal in memory survives
nothing, so it is not committed.
"""

from __future__ import annotations

import asyncio

from simulator.core import PROBLEM_JSON, Engine, Response, dumps, problem
from simulator.errors import JournalError

__all__ = ["GroupCommit"]


class GroupCommit:
    """``await commit(response)``: ``response`` once the journal is committed, or a 503 problem if it cannot be."""

    __slots__ = ("_due", "_engine")

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._due: asyncio.Future[None] | None = None

    async def __call__(self, response: Response) -> Response:
        if self._engine.journal.path == ":memory:":
            return response
        due = self._due
        if due is None:
            loop = asyncio.get_running_loop()
            due = self._due = loop.create_future()
            loop.call_soon(self._commit, due)
        try:
            await asyncio.shield(due)  # shielded: one waiter cancelled (its client gone) must not cancel the rest
        except JournalError as exc:
            reply = problem(
                503,
                "Service Unavailable",
                f"the journal could not be written ({exc}), so this answer is withheld; the request may have taken "
                "effect: ask again for its outcome once the journal can be written",
            )
            return Response(503, {"content-type": PROBLEM_JSON}, dumps(reply.body))
        return response

    def _commit(self, due: asyncio.Future[None]) -> None:
        self._due = None
        try:
            self._engine.journal.flush()
        except JournalError as exc:
            due.set_exception(exc)
        else:
            due.set_result(None)
