"""``python -m bench._serve_variant {group|batch} serve …``: ``lendsim serve`` as shipped (``group``: every answer
committed before it leaves), or with the group commit switched off (``batch``: the journal written in batches of
1,024 rows, as before the durability promise) — the baseline of the durability section."""

from __future__ import annotations

import sys

from simulator.core import Response
from simulator.http import _commit


async def _answer_at_once(self: _commit.GroupCommit, response: Response) -> Response:
    return response


def main() -> None:
    variant = sys.argv.pop(1)
    if variant not in ("group", "batch"):
        raise SystemExit(f"variant {variant!r}: choose group or batch")
    if variant == "batch":
        _commit.GroupCommit.__call__ = _answer_at_once  # type: ignore[method-assign]
    from simulator.cli import main as lendsim

    lendsim(sys.argv[1:])


if __name__ == "__main__":
    main()
