"""What the simulator holds per ``repayApply`` of the http bench's load, in process (tracemalloc).

``python -m bench._memory_probe [--requests N] [--loans L] [--rate R] [--top K] [--frames F] [--serve-gc]
[--no-trace]``

Builds the world ``lendsim serve`` builds (journal in an SQLite file), registers ``--loans`` loans as
``bench/_http.py`` does, then sends ``--requests`` repayApply bodies like ``bench/repay.lua``'s (a fresh
``repayOuterNo`` each) through ``SimulatorTransport`` (``lendsim.transport('bank')``), each 1/``--rate``
virtual seconds after the one before: ``lendsim serve --speed 60`` answering ``--rate`` × 60 requests a second
(the http bench's ~3,100 a second are ~52 a virtual second). No platform is registered, as in the bench.
``--varied`` gives each body an amount and a collection time of its own (the bench's differ only in their keys,
so what the bank keeps once for equal texts and lines is kept once for all of them).
Then it takes snapshots in two states and prints what each holds per request, by the line that allocated it
(``--frames`` > 1: by traceback, outermost frame first):

- *posted*: three virtual seconds after the last request, so every repayment is posted and its callback was
  attempted once (journaled as undeliverable); the callbacks' retries (1, 5 and 30 virtual minutes later) are
  still pending, as in the first 36 s of the serve run at 60×;
- *final*: an hour later, every retry over: what the world keeps for good.

``--serve-gc`` tunes the cycle collector as ``lendsim serve`` does (``tune_gc_for_a_growing_world``: what
survives a middle-generation collection is frozen): a cycle frozen while alive is never collected once it
dies. The *final* state shows any such leak: it found each callback's delivery closures (``Engine.deliver``'s
``attempt`` referred to itself, ~1.5 KB a callback), since made acyclic.

Not a benchmark: memory only. ``tracemalloc`` counts Python's allocations, not SQLite's page cache (up to
32 MiB) nor what the allocator keeps after frees, and adds its own overhead per block: the RSS growth printed
beside it is only meaningful with ``--no-trace``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import tempfile
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from bench._http import loan_body
from simulator.http._serve import tune_gc_for_a_growing_world
from simulator.population import Population
from simulator.testing import SimulatorTransport
from simulator.world import Simulator

START = datetime.fromisoformat("2019-05-01T10:00:00+08:00")
HEADERS = {"content-type": "application/json"}


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _body(tag: str, counter: int, loans: int, varied: bool) -> bytes:
    serial = f"RP{tag}{counter:010d}"
    amount, collected = "0.01", "2019-05-01T10:00:00+08:00"  # bench/repay.lua's: every body alike but its keys
    if varied:  # an amount and a collection time of its own (0.01-50.00, a second of the day before)
        cents, second = 1 + counter % 5000, counter % 86400
        amount = f"{cents // 100}.{cents % 100:02d}"
        collected = f"2019-04-30T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}+08:00"
    return (
        f'{{"reqNo":"REQ{serial}","repayOuterNo":"{serial}","loanOuterNo":"LNBENCH{counter % loans:05d}",'
        f'"repayAmount":"{amount}","repayMode":"PARTNER_COLLECT","repayType":"NORMAL_REPAY",'
        f'"actualRepayDate":"{collected}","repayList":[{{"installmentNo":1,"paidPrincipal":"{amount}",'
        '"paidInterest":"0.00","paidFee":"0.00"}]}'
    ).encode()


def _send(
    client: httpx.Client, sim: Simulator, tag: str, requests: int, loans: int, rate: int, varied: bool = False
) -> None:
    step = timedelta(seconds=1) / rate  # each request at its own instant, as under lendsim serve
    for counter in range(1, requests + 1):
        response = client.post("/repayments", content=_body(tag, counter, loans, varied), headers=HEADERS)
        if response.status_code != 200:
            raise RuntimeError(f"repayApply answered {response.status_code}: {response.text[:300]}")
        sim.advance(by=step)


def _settle(sim: Simulator, by: timedelta) -> None:
    sim.advance(by=by)
    sim.journal.flush()
    gc.collect()


def _report(
    title: str, before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, requests: int, top: int, frames: int
) -> None:
    stats = after.compare_to(before, "traceback" if frames > 1 else "lineno")
    grown = sum(stat.size_diff for stat in stats)
    blocks = sum(stat.count_diff for stat in stats)
    print(f"\n== {title}: {grown / requests:,.0f} bytes, {blocks / requests:.1f} blocks per request")
    for stat in stats[:top]:
        if abs(stat.size_diff) < requests:  # under a byte a request
            break
        where = " < ".join(f"{os.path.relpath(frame.filename)}:{frame.lineno}" for frame in stat.traceback)
        print(f"{stat.size_diff / requests:9.1f} B {stat.count_diff / requests:6.2f} blk  {where}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--loans", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=50, help="requests per virtual second")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--frames", type=int, default=1, help="frames per traceback (>1: group by traceback)")
    parser.add_argument("--no-trace", action="store_true", help="RSS only, without tracemalloc's own overhead")
    parser.add_argument(
        "--varied", action="store_true", help="each body with an amount and a collection time of its own"
    )
    parser.add_argument(
        "--serve-gc", action="store_true", help="tune the collector as lendsim serve does (freezing what survives)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        sim = Simulator(seed=1, start=START, journal=Path(tmp) / "journal.sqlite")
        population = Population(7, args.loans)
        for index in range(args.loans):
            registered = sim.call("bench", "bank", "registerLoan", loan_body(index, population))
            if registered.status not in (200, 201):
                raise RuntimeError(f"registerLoan answered {registered.status}: {registered.body[:300]!r}")
        client = httpx.Client(transport=SimulatorTransport(sim, "bank"), base_url="http://bank")
        # Warm up: every loan has postings, every cache its first entries, the journal its pages.
        _send(client, sim, "W", max(args.loans * 2, 2000), args.loans, args.rate)
        _settle(sim, timedelta(hours=1))

        if args.serve_gc:
            tune_gc_for_a_growing_world()
        trace = not args.no_trace
        if trace:
            tracemalloc.start(args.frames)
        rss0 = _rss()
        base = tracemalloc.take_snapshot() if trace else None
        _send(client, sim, "M", args.requests, args.loans, args.rate, args.varied)
        _settle(sim, timedelta(seconds=3))
        posted = tracemalloc.take_snapshot() if trace else None
        rss1 = _rss()
        _settle(sim, timedelta(hours=1))
        final = tracemalloc.take_snapshot() if trace else None
        rss2 = _rss()
        tracemalloc.stop()
        n = args.requests
        print(
            json.dumps(
                {
                    "requests": n,
                    "loans": args.loans,
                    "clock_pending": sim.clock.pending,
                    "rss_growth_posted_B_per_req": round((rss1 - rss0) / n),
                    "rss_growth_final_B_per_req": round((rss2 - rss0) / n),
                }
            )
        )
        if base is not None and posted is not None and final is not None:
            _report("posted, retries pending", base, posted, n, args.top, args.frames)
            _report("final, retries over", base, final, n, args.top, args.frames)
        sim.journal.close()


if __name__ == "__main__":
    main()
