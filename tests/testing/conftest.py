"""In-process adapter tests run on the bare engine: no partner models, the generic mock answers every operation.
The plugin's tests run a platform team's test files through pytest in a subprocess (``platform_suite``)."""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from simulator.core import Engine


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = Engine(seed=7, strict=True)
    yield engine
    engine.journal.close()


# -- a platform team's suite, the plugin on -----------------------------------------------------------------

# The short summary of ``-rA``: one line per outcome of a test ("PASSED test_a.py::test_b"), skips per reason.
_OUTCOME = re.compile(r"(PASSED|FAILED|ERROR|XFAIL|XPASS) ([^\s:]+)::\S")
_SKIPPED = re.compile(r"SKIPPED \[(\d+)\] ([^\s:]+):")
_NAMES = {"PASSED": "passed", "FAILED": "failed", "ERROR": "errors", "XFAIL": "xfailed", "XPASS": "xpassed"}


class SuiteRun:
    """What one ``pytest -p lendsim`` run of several test files did, file by file."""

    def __init__(self, result: pytest.RunResult) -> None:
        self.result = result
        self._by_file: dict[str, Counter[str]] = {}
        lines = result.outlines
        summary = next((n for n, line in enumerate(lines) if "short test summary info" in line), len(lines))
        for line in lines[summary:]:
            if found := _OUTCOME.match(line):
                self._by_file.setdefault(found[2], Counter())[_NAMES[found[1]]] += 1
            elif found := _SKIPPED.match(line):
                self._by_file.setdefault(found[2], Counter())["skipped"] += int(found[1])
        totals = {name: n for name, n in result.parseoutcomes().items() if name not in ("warnings", "deselected")}
        summed: Counter[str] = sum(self._by_file.values(), Counter())
        assert dict(summed) == totals, "the short summary, file by file, does not add up to the run's totals:\n" + (
            "\n".join(result.outlines)
        )

    def assert_outcomes(self, file: str, **outcomes: int) -> None:
        """The outcomes of the tests in ``file``, exactly (as ``RunResult.assert_outcomes``: none other)."""
        __tracebackhide__ = True
        seen = dict(self._by_file.get(file, Counter()))
        wanted = {name: n for name, n in outcomes.items() if n}
        assert seen == wanted, f"{file}: {seen} != {wanted}\n" + "\n".join(self.result.outlines)


_RUNS = pytest.StashKey[dict[str, SuiteRun]]()


@pytest.fixture
def platform_suite(pytester: pytest.Pytester, request: pytest.FixtureRequest) -> SuiteRun:
    """The test module's ``SUITE`` (file name → text) run once as a platform team runs its suite: pytest in a
    subprocess (a fresh interpreter, the plugin loaded through its entry point, warnings as errors); each test of
    the module asserts on its own file. One subprocess for the module rather than one per test: each costs seconds
    of interpreter and import start-up."""
    runs = request.config.stash.setdefault(_RUNS, {})
    module = request.module.__name__
    if module not in runs:
        for name, text in request.module.SUITE.items():
            (pytester.path / name).write_text(text, encoding="utf-8")
        runs[module] = SuiteRun(pytester.runpytest_subprocess("-p", "lendsim", "-W", "error", "-rA"))
    return runs[module]


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@pytest.fixture(scope="session")
def local_server() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 answering ``hello``: what a pass-through host reaches."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    # shutdown() waits out one poll of serve_forever: a short poll keeps the session's teardown quick.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
