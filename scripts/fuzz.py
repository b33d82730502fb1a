"""The long contract fuzz: every operation of the built-in contracts, over HTTP, at least 10,000 cases.

Run through ``scripts/fuzz`` (which sets up .venv). For each contract — bank, bureau, sms and the control API — a
fresh ``lendsim serve`` on a free loopback port, then two ``lendsim check`` passes against it: a wide one (the
contract's examples, schema coverage and random data, ``--max-examples`` per operation and phase) and one along
the contract's links (stateful sequences, fewer examples: each is a whole sequence of calls). The control API runs
on a server without partner models, as the suite's own conformance test does (decades of fuzzed clock advances
would otherwise be spent in the bank's daily jobs). contracts/platform.yaml is the platform's side; it is checked
against the reference platforms instead (docs/contract-testing.md).

Prints each pass's report and a summary table (cases, failures, wall time, date, machine) for
docs/contract-testing.md. Exit 0 when nothing broke the contract and at least --minimum cases ran, else 1.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx

from simulator.conformance import (
    CheckOptions,
    CheckReport,
    console_report,
    resolve_target,
    run_check,
    write_check_junit,
)

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Target:
    name: str
    contract: Path
    bare: bool = False  # serve no partner models (the control API alone)
    exclude: tuple[str, ...] = ()


TARGETS = (
    Target("bank", ROOT / "contracts" / "bank.yaml"),
    Target("bureau", ROOT / "contracts" / "bureau.yaml"),
    Target("sms", ROOT / "contracts" / "sms.yaml"),
    # A fault window whose `until` is not after its `from` fits the schema but is refused with a 400 naming `until`:
    # the one cross-field rule JSON Schema cannot state (as in tests/contracts/test_conformance.py).
    Target("control", ROOT / "contracts" / "control.yaml", bare=True, exclude=("positive_data_acceptance:addFault",)),
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(bare: bool) -> Iterator[str]:
    """``lendsim serve`` on a free loopback port until the block ends; yields its base URL."""
    port = free_port()
    with tempfile.TemporaryDirectory() as empty:
        extra = ["--contracts", empty] if bare else []
        process = subprocess.Popen(
            [str(BIN / "lendsim"), "serve", "--port", str(port), *extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"lendsim serve exited with {process.returncode}")
                try:
                    httpx.get(f"{url}/", timeout=1)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise SystemExit("lendsim serve did not start within 30 s") from None
                    time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=250, help="per operation and phase, wide pass")
    parser.add_argument("--stateful-examples", type=int, default=20, help="sequences along the links per pass")
    parser.add_argument("--seed", type=int, default=20190514)
    parser.add_argument("--time-limit", type=float, default=1200.0, help="seconds per pass")
    parser.add_argument("--minimum", type=int, default=10_000, help="fewest cases for a pass (exit 1 below)")
    parser.add_argument("--only", choices=[target.name for target in TARGETS], action="append", help="one contract")
    parser.add_argument("--junit-dir", type=Path, default=None, help="write one JUnit XML per pass here")
    args = parser.parse_args()

    started = time.monotonic()
    rows: list[tuple[str, str, CheckReport]] = []
    for target in TARGETS:
        if args.only and target.name not in args.only:
            continue
        with serving(target.bare) as url:
            passes = (
                ("wide", args.max_examples, ("examples", "coverage", "fuzzing")),
                ("links", args.stateful_examples, ("stateful",)),
            )
            for label, max_examples, phases in passes:
                options = CheckOptions(
                    max_examples=max_examples,
                    phases=phases,
                    seed=args.seed,
                    time_limit=args.time_limit,
                    exclude_checks=target.exclude,
                )
                print(f"\n== {target.name}, {label} pass", flush=True)
                report = run_check(resolve_target(target.contract, url), options)
                print(console_report(report), flush=True)
                if args.junit_dir is not None:
                    write_check_junit(report, args.junit_dir / f"fuzz-{target.name}-{label}.xml")
                rows.append((target.name, label, report))
    seconds = time.monotonic() - started

    cases = sum(report.cases for _, _, report in rows)
    failed = sum(len(report.failed) for _, _, report in rows)
    broken = sum(len(result.failures) + len(result.errors) for _, _, r in rows for result in r.operations)
    print("\n| contract | pass | operations | cases | failed operations | seconds |")
    print("|---|---|---:|---:|---:|---:|")
    for name, label, report in rows:
        print(
            f"| {name} | {label} | {len(report.operations)} | {report.cases:,} | {len(report.failed)} | "
            f"{report.seconds:.0f}{' (time limit)' if report.time_limited else ''} |"
        )
    print(f"| **all** | | | **{cases:,}** | **{failed}** | **{seconds:.0f}** |")
    print(
        f"\n{date.today().isoformat()}: {cases:,} cases, {failed} failed operations ({broken} distinct findings), "
        f"{seconds / 60:.1f} min wall time, seed {args.seed}, --max-examples {args.max_examples}, "
        f"--stateful-examples {args.stateful_examples}; {os.cpu_count()} CPUs, {platform.system()} "
        f"{platform.machine()}, Python {platform.python_version()}"
    )
    if cases < args.minimum:
        print(f"only {cases:,} cases, fewer than {args.minimum:,}: raise --max-examples", file=sys.stderr)
        return 1
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
