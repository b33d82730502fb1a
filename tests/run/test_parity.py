"""The two drivers are one harness: the catalog against the resilient platform in-process (``--platform resilient``)
and over HTTP (``lendsim example-platform resilient``, started as a user starts it) gets the same verdict on every
invariant and the same journal, kind by kind — but for what only one driver can see (:data:`ONE_SIDED`), and for
how many times the platform re-sent or asked after a request whose answer a fault lost (:func:`retried`).

Over HTTP a latency costs virtual time only, but a fault that makes the platform's client time out costs that
timeout in real seconds (5 s, the resilient platform's, one at a time: it takes one request at a time), so the
catalog takes about two minutes: ``slow`` (scripts/test runs it; ``-m 'not slow'`` leaves it out). ``-s`` prints
each scenario's wall time both ways.

Over HTTP the runs send one request at a time (``concurrency=1``), in the order the in-process driver runs them. At
``lendsim run``'s default the borrowers of one instant reach the platform at once, so it mints its serials
(``repayOuterNo``) in the order its threads win; a probability fault at an operation whose request names only such
a serial (``repayResultQuery``) then draws for another repayment than in-process, and the two runs differ by more
than a retry (CI saw one correction more). That verdicts hold at any concurrency is tests/run/test_over_http.py's.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from lendsim_examples import resilient
from simulator.run import HttpDriver, InProcessDriver, RunResult, run_scenario
from simulator.scenario import load_scenario
from tests._processes import example_platform as started

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CATALOG = sorted((ROOT / "scenarios").glob("*.yaml"))
BORROWERS = 5  # the smallest population at which every catalog scenario judges what it judges at 25 (or 1,000)

#: Journal entries (kind, partner, operation) only one driver records, and why.
ONE_SIDED = {
    # The platform's own log lines: the in-process driver journals what it logs to ``lendsim.platform``; a platform
    # served at a URL keeps its log in its own process (docs/testing.md, "What lendsim sees of the platform").
    ("event", "platform", "platformLog"): "the platform's log is journaled in-process only",
}
#: Invariants whose ``checked`` count may differ, and why (their outcome may not).
COUNTED_APART = {
    "pii_minimized": "O7 judges the platform's log lines too, which only the in-process driver journals",
}


@pytest.fixture(scope="module")
def example_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``lendsim example-platform resilient`` on a free port; its base URL."""
    with started("resilient", tmp_path_factory.mktemp("platform") / "example-platform.log") as url:
        yield url


def retried(key: tuple[str, str | None, str | None]) -> bool:
    """Entries whose number the platform's own clock decides once a fault loses an answer: its requests and their
    answers (a retry or a query is sent when its real client timeout ends, which over HTTP races the simulator's
    other work of that instant) and the faults' first firings that follow from them. Two clean runs on an idle
    machine counted a query or a repayApply once more on one side (bank-api-flaky, reconciliation-missing-rows);
    the verdicts, and every partner's own events and deliveries, were the same."""
    kind, _, operation = key
    return kind in ("request", "response") or operation == "faultFired"


def journal_counts(result: RunResult) -> Counter[tuple[str, str | None, str | None]]:
    """How many entries of each (kind, partner, operation) the run journaled."""
    return Counter((entry.kind, entry.partner, entry.operation) for entry in result.sim.journal.iter())


def timed(path: Path, driver: InProcessDriver | HttpDriver) -> tuple[RunResult, float]:
    start = time.perf_counter()
    result = run_scenario(load_scenario(str(path)), driver, borrowers=BORROWERS, concurrency=1)
    return result, time.perf_counter() - start


@pytest.mark.slow
@pytest.mark.parametrize("path", CATALOG, ids=lambda path: path.stem)
def test_a_catalog_scenario_gets_the_same_verdicts_and_journal_in_process_and_over_http(
    example_platform: str, path: Path
) -> None:
    here, here_seconds = timed(path, InProcessDriver(resilient.create()))
    there, there_seconds = timed(path, HttpDriver(example_platform))
    print(f"{path.stem}: in-process {here_seconds:.1f} s, over HTTP {there_seconds:.1f} s")

    assert here.error is None and there.error is None, (here.error, there.error)
    assert {v.key: v.outcome for v in there.verdicts} == {v.key: v.outcome for v in here.verdicts}
    assert {v.key: v.checked for v in there.verdicts if v.key not in COUNTED_APART} == {
        v.key: v.checked for v in here.verdicts if v.key not in COUNTED_APART
    }
    assert here.passed and there.passed
    in_process, over_http = journal_counts(here), journal_counts(there)
    for key in ONE_SIDED:
        assert over_http.pop(key, 0) == 0, key
        in_process.pop(key, None)
    differing = {
        key: (in_process[key], over_http[key]) for key in in_process | over_http if in_process[key] != over_http[key]
    }
    if differing:
        print(f"{path.stem}: counts that differ (in-process, over HTTP): {differing}")
    assert {key: counts for key, counts in differing.items() if not retried(key)} == {}, (
        "(kind, partner, operation): (in-process, over HTTP)"
    )
