"""The Node.js platform (``examples/node_platform/``): a second, independent implementation of contracts/platform.yaml
in another language, driven the way a platform team's service is — started as a process, checked with
``lendsim check``, replayed against with ``lendsim run --platform http://…`` — and its defective copies caught.

Skipped when ``node`` (18 or later) is not on PATH; CI machines have Node 20. The whole catalog over HTTP is ``slow``
(scripts/test runs it; ``-m 'not slow'`` leaves it out).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from simulator.masking import mask_text
from tests._processes import example_platform

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "examples" / "node_platform" / "server.js"
CATALOG = sorted(ROOT.glob("scenarios/*.yaml"))
BIN = Path(sys.executable).parent
BORROWERS = "5"  # the smallest population at which every catalog scenario judges what it judges at 25 (or 1,000)
# Client timeouts of the Node platform in these runs: a timeout fault costs this much real time per request.
TIMEOUTS = ("--bank-timeout", "1", "--sms-timeout", "0.5")


def _node() -> tuple[str | None, str]:
    """The node executable if it is 18 or later, and why not otherwise."""
    node = shutil.which("node")
    if node is None:
        return None, "node is not on PATH: the Node.js example platform needs Node 18 or later (CI has Node 20)"
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    found = re.match(r"v(\d+)\.", version)
    if found is None or int(found.group(1)) < 18:
        return None, f"node {version or '(unknown version)'} is on PATH; the Node.js example platform needs 18 or later"
    return node, ""


NODE, WHY_NOT = _node()
pytestmark = pytest.mark.skipif(NODE is None, reason=WHY_NOT)


@dataclass
class Served:
    url: str
    log: Path

    def lines(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines()


def _wait_for(process: subprocess.Popen[bytes], ready: Any, what: str, log: Path) -> Any:
    deadline = time.monotonic() + 20
    while True:
        assert process.poll() is None, f"{what} exited with {process.returncode}: {log.read_text(encoding='utf-8')}"
        found = ready()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what} did not start: {log.read_text(encoding='utf-8')}"
        time.sleep(0.05)


@contextmanager
def node_platform(tmp: Path, *, defect: str | None = None, timeouts: tuple[str, ...] = TIMEOUTS) -> Iterator[Served]:
    """``node server.js --port 0`` (a free port, printed on its first line), its stdout in a file."""
    assert NODE is not None
    log = tmp / f"node-{defect or 'resilient'}.log"
    env = {key: value for key, value in os.environ.items() if key != "LENDSIM_NODE_DEFECT"}
    if defect:
        env["LENDSIM_NODE_DEFECT"] = defect
    with log.open("wb") as out:
        process = subprocess.Popen([NODE, str(SERVER), "--port", "0", *timeouts], stdout=out, stderr=out, env=env)
    try:

        def listening() -> str | None:
            found = re.search(r"listening on (http://\S+)", log.read_text(encoding="utf-8"))
            return found.group(1) if found else None

        yield Served(_wait_for(process, listening, "the Node platform", log), log)
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def python_example(tmp: Path) -> Iterator[Served]:
    """``lendsim example-platform resilient`` (the Python reference platform over HTTP) on a free port."""
    log = tmp / "python-example.log"
    with example_platform("resilient", log) as url:
        yield Served(url, log)


@dataclass
class Replay:
    code: int
    output: str
    wall: float
    reports: dict[str, dict[str, Any]]  # by scenario name
    junit: ET.Element

    def verdicts(self, scenario: str) -> dict[str, tuple[bool, int]]:
        """``{"O2 sms_unique": (held, checked)}``."""
        return {f"{v['invariant']} {v['key']}": (v["held"], v["checked"]) for v in self.reports[scenario]["invariants"]}


def replay(url: str, scenarios: list[Path], out: Path, *, borrowers: str = BORROWERS) -> Replay:
    """``lendsim run SCENARIOS --platform URL`` as a user runs it, with its JSON reports and JUnit."""
    out.mkdir(parents=True, exist_ok=True)
    command = [str(BIN / "lendsim"), "run", *map(str, scenarios), "--platform", url, "--borrowers", borrowers]
    start = time.perf_counter()
    result = subprocess.run(
        [*command, "--report-dir", str(out), "--junit", str(out / "junit.xml")],
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    wall = time.perf_counter() - start
    reports = {}
    for path in out.glob("*.json"):
        report = json.loads(path.read_text(encoding="utf-8"))
        reports[report["scenario"]] = report
    return Replay(result.returncode, result.stdout, wall, reports, ET.parse(out / "junit.xml").getroot())


def scenario(name: str) -> list[Path]:
    return [ROOT / "scenarios" / f"{name}.yaml"]


# -- the catalog -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalog_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Replay, Replay]]:
    """The whole catalog over HTTP against the Node platform and, at the same time, against the Python example."""
    tmp = tmp_path_factory.mktemp("catalog")
    with node_platform(tmp) as node, python_example(tmp) as python, ThreadPoolExecutor(2) as pool:
        node_run = pool.submit(replay, node.url, CATALOG, tmp / "node")
        python_run = pool.submit(replay, python.url, CATALOG, tmp / "python")
        yield node_run.result(), python_run.result()


def timings(node: Replay, python: Replay) -> str:
    rows = [f"{'scenario':32} {'node':>14} {'python example':>18}"]
    for name in sorted(node.reports):
        n, p = node.reports[name], python.reports.get(name, {})
        rows.append(
            f"{name:32} {'pass' if n['passed'] else 'FAIL'} {n['wallSeconds']:7.1f} s "
            f"{'pass' if p.get('passed') else 'FAIL':>8} {p.get('wallSeconds', float('nan')):7.1f} s"
        )
    rows.append(f"{'whole catalog (lendsim run)':32} {node.wall:12.1f} s {python.wall:16.1f} s")
    return "\n".join(rows)


@pytest.mark.slow
def test_the_node_platform_passes_every_catalog_scenario_over_http(catalog_runs: tuple[Replay, Replay]) -> None:
    node, python = catalog_runs
    print(timings(node, python))  # shown with -s: the wall time of each scenario over HTTP

    assert node.code == 0, node.output[-5000:]
    assert set(node.reports) == {path.stem for path in CATALOG}
    failed = {name: r["invariants"] for name, r in node.reports.items() if r["status"] != "passed"}
    assert failed == {}
    not_exercised = {
        name: [v["key"] for v in r["invariants"] if v["outcome"] != "held"] for name, r in node.reports.items()
    }
    assert {name: keys for name, keys in not_exercised.items() if keys} == {}
    suites = node.junit.findall("testsuite")
    assert len(suites) == len(CATALOG)
    assert all(suite.get("failures") == "0" and suite.get("errors", "0") == "0" for suite in suites)


@pytest.mark.slow
def test_the_node_platform_and_the_python_example_get_the_same_verdicts_on_every_scenario(
    catalog_runs: tuple[Replay, Replay],
) -> None:
    node, python = catalog_runs

    assert python.code == 0, python.output[-5000:]
    for name in python.reports:
        # The same invariants judged, each held (exercised, no violation) by both.
        expected = {key: (held, checked > 0) for key, (held, checked) in python.verdicts(name).items()}
        assert {key: (held, checked > 0) for key, (held, checked) in node.verdicts(name).items()} == expected, name
        assert all(held for held, _ in expected.values()), name


# -- its defective copies --------------------------------------------------------------------------------------------


@pytest.mark.slow  # processes over HTTP, ~50 s in all: scripts/test runs it after the default suite
@pytest.mark.parametrize(
    ("defect", "catalog_scenario", "invariant", "timeouts"),
    [
        # Its blind retries wait out each SMS timeout of the gateway's timeout fault: a short one keeps the run short.
        ("no-dedupe", "notice-storm", "O2 sms_unique", ("--sms-timeout", "0.2")),
        ("no-query-on-timeout", "timeout-after-commit", "O4 ledgers_reconcile", TIMEOUTS),
        ("no-query-on-timeout", "outage-across-cutoff", "O1 no_false_delinquency", TIMEOUTS),
        ("no-monotonic", "duplicate-callback", "O4 ledgers_reconcile", TIMEOUTS),
        # signs what it sends, takes whatever the bank's callback URL receives
        ("unverified-callbacks", "forged-callback", "O12 signed_callbacks_only", TIMEOUTS),
    ],
)
def test_a_copy_with_one_safeguard_switched_off_is_caught_on_the_invariant_it_protects(
    tmp_path: Path, defect: str, catalog_scenario: str, invariant: str, timeouts: tuple[str, ...]
) -> None:
    with node_platform(tmp_path, defect=defect, timeouts=timeouts) as node:
        assert "DEFECTIVE" in node.lines()[0]

        run = replay(node.url, scenario(catalog_scenario), tmp_path / "run")

    assert run.code == 1, run.output[-3000:]
    held, checked = run.verdicts(catalog_scenario)[invariant]
    assert not held and checked > 0
    assert any(line.split()[:3] == ["VIOLATED", *invariant.split()] for line in run.output.splitlines() if line.strip())


def test_an_unknown_defect_is_refused_at_start_naming_the_choices() -> None:
    assert NODE is not None

    result = subprocess.run(
        [NODE, str(SERVER), "--port", "0"],
        env={**os.environ, "LENDSIM_NODE_DEFECT": "no-dedup"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode == 2
    assert 'unknown defect "no-dedup"' in result.stderr and "no-dedupe" in result.stderr


# -- personal data in its logs ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_node_platforms_log_carries_no_full_id_card_or_phone_number(tmp_path: Path) -> None:
    with node_platform(tmp_path) as node:
        run = replay(node.url, scenario("xiaomi-minsheng-2019"), tmp_path / "run")
        lines = node.lines()

    assert run.code == 0, run.output[-3000:]
    assert any(re.search(r"\b1[3-9]\d\*{4}\d{4}\b", line) for line in lines)  # it did write about phones, masked
    assert [line for line in lines if mask_text(line) != line] == []


def test_a_copy_with_plain_logs_writes_ids_and_cards_which_lendsim_cannot_see_over_http(tmp_path: Path) -> None:
    # Over HTTP lendsim journals what the platform sends, not its stdout: invariant O7 judges no log line of a platform
    # served at a URL. This check of the log file is what catches the copy here.
    with node_platform(tmp_path, defect="plain-logs") as node:
        replay(node.url, scenario("duplicate-callback"), tmp_path / "run")
        lines = node.lines()

    leaking = [line for line in lines if mask_text(line) != line]
    assert leaking and any("ID " in line and "card " in line for line in leaking)


# -- the contract ----------------------------------------------------------------------------------------------------


@pytest.mark.slow  # a Node process checked by lendsim check, ~16 s
def test_the_node_platform_conforms_to_the_platform_contract_under_lendsim_check(tmp_path: Path) -> None:
    with node_platform(tmp_path) as node:
        result = subprocess.run(
            [
                str(BIN / "lendsim"),
                "check",
                "--contract",
                str(ROOT / "contracts" / "platform.yaml"),
                "--url",
                node.url,
                "--max-examples",
                "3",
                "--seed",
                "1",
                "--no-stateful",
                "--time-limit",
                "120",
                # setupRun refuses a zone name that fits the pattern but is no IANA zone (docs/contract-testing.md)
                "--exclude-check",
                "positive_data_acceptance:setupRun",
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )

    assert result.returncode == 0, result.stdout[-5000:]
    assert "8 operations: 8 passed, 0 failed" in result.stdout
