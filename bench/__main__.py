"""``bench/run [SECTION…] [--quick] [--replay-sizes N,N] [--time-cap S] [--explore-budget S]
[--detection-only TARGET:SEED,…] [--no-write]``

Runs the chosen sections (all by default: http, latency, durability, inprocess, instructions, replay, http-replay,
population, contracts, detection, report, parallel, generic, scale), prints one table of measurement, figure, baseline,
ratio and target, and writes each section's block into docs/benchmarks.md. The instructions section needs valgrind
(callgrind); without it its rows say "not available".
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from bench._report import SECTIONS, Row, format_table, machine, markdown_block, write_report

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "benchmarks.md"

Section = Callable[[argparse.Namespace], tuple[list[Row], list[str]]]


def _http(args: argparse.Namespace) -> tuple[list[Row], list[str]]:
    from bench import _http

    return _http.measure(_http.Settings.quick() if args.quick else _http.Settings())


def _latency(args: argparse.Namespace) -> tuple[list[Row], list[str]]:
    from bench import _latency

    return _latency.measure(_latency.Settings.quick() if args.quick else _latency.Settings())


def _durability(args: argparse.Namespace) -> tuple[list[Row], list[str]]:
    from bench import _durability

    return _durability.measure(_durability.Settings.quick() if args.quick else _durability.Settings())


def _inprocess(args: argparse.Namespace) -> tuple[list[Row], list[str]]:
    from bench import _inprocess

    return _inprocess.measure(_inprocess.Settings.quick() if args.quick else _inprocess.Settings())


def _instructions(args: argparse.Namespace) -> tuple[list[Row], list[str]]:
    from bench import _instructions

    return _instructions.measure(_instructions.Settings.quick() if args.quick else _instructions.Settings())


def _replay(args: argparse.Namespace) -> tuple[list[Row], list[str]]:
    from bench import _replay

    settings = _replay.Settings.quick() if args.quick else _replay.Settings()
    if args.replay_sizes:
        settings = _replay.Settings(sizes=args.replay_sizes, cap=settings.cap)
    if args.time_cap is not None:
        settings = _replay.Settings(sizes=settings.sizes, cap=args.time_cap)
    return _replay.measure(settings)


def _http_replay(args: argparse.Namespace) -> tuple[list[Row], list[str]]:
    from bench import _http_replay

    return _http_replay.measure(_http_replay.Settings.quick() if args.quick else _http_replay.Settings())


def _population(args: argparse.Namespace) -> tuple[list[Row], list[str]]:
    from bench import population

    size = 50_000 if args.quick else 200_000
    command = [sys.executable, "-m", "bench.population", "--json", str(size)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=True)
    measured = population.Measured(**json.loads(done.stdout.splitlines()[-1]))
    rows = []
    for what, count, rate in measured.rows:
        numeric = what == population.NUMERIC
        rows.append(
            Row(
                "population",
                f"{what} ({count:,} records)",
                f"{rate:,.0f} /s",
                f"{measured.faker_rate:,.0f} /s",
                rate / measured.faker_rate,
                "≥ 200,000 /s" if numeric else "—",
                rate >= 200_000 if numeric else None,
            )
        )
    details = [
        f"Baseline: Faker zh_CN per record (six fields). One-off costs: a Population "
        f"{measured.setup_seconds * 1000:.0f} ms, the first borrower in a process {measured.first_seconds:.2f} s "
        "(builds the cached pool of Faker names). CPU time of the process, best of three repeats per row. "
        "`.venv/bin/python bench/population.py` runs this section alone."
    ]
    return rows, details


def _detection(args: argparse.Namespace) -> tuple[list[Row], list[str]]:
    from bench import _detection

    settings = _detection.Settings.quick() if args.quick else _detection.Settings()
    if args.explore_budget is not None:
        settings = _detection.Settings(seconds=args.explore_budget)
    if args.detection_only is not None:
        settings = _detection.Settings(seconds=settings.seconds, only=args.detection_only)
    return _detection.measure(settings)


def _report(args: argparse.Namespace) -> tuple[list[Row], list[str]]:
    from bench import _html_report

    return _html_report.measure(_html_report.Settings.quick() if args.quick else _html_report.Settings())


def _parallel(args: argparse.Namespace) -> tuple[list[Row], list[str]]:
    from bench import _parallel

    return _parallel.measure(_parallel.Settings.quick() if args.quick else _parallel.Settings())


def _generic(args: argparse.Namespace) -> tuple[list[Row], list[str]]:
    from bench import _generic

    return _generic.measure(_generic.Settings.quick() if args.quick else _generic.Settings())


def _scale(args: argparse.Namespace) -> tuple[list[Row], list[str]]:
    from bench import _scale

    settings = _scale.Settings.quick() if args.quick else _scale.Settings()
    if args.scale_sizes:
        settings = _scale.Settings(sizes=args.scale_sizes, shards=settings.shards)
    if args.scale_shards:
        settings = _scale.Settings(sizes=settings.sizes, shards=args.scale_shards)
    return _scale.measure(settings)


def _contracts(args: argparse.Namespace) -> tuple[list[Row], list[str]]:
    from bench import _contracts

    return _contracts.measure()


RUNNERS: dict[str, Section] = {
    "http": _http,
    "latency": _latency,
    "durability": _durability,
    "inprocess": _inprocess,
    "instructions": _instructions,
    "replay": _replay,
    "http-replay": _http_replay,
    "population": _population,
    "contracts": _contracts,
    "detection": _detection,
    "report": _report,
    "parallel": _parallel,
    "generic": _generic,
    "scale": _scale,
}


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of sizes; write e.g. 1000,10000") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give positive sizes, e.g. 1000,10000")
    return sizes


def _searches(text: str) -> tuple[tuple[str, int], ...]:
    """``resilient:2,outbox:1``: the detection searches to make, target and seed."""
    from lendsim_examples.resilient import SAFEGUARDS

    targets = ("resilient", *SAFEGUARDS)
    searches = []
    for part in filter(None, (part.strip() for part in text.split(","))):
        target, _, seed = part.partition(":")
        if target not in targets or not seed.isdigit():
            raise argparse.ArgumentTypeError(
                f"{part!r} is not TARGET:SEED; TARGET is one of {', '.join(targets)}, SEED a number (resilient:2)"
            )
        searches.append((target, int(seed)))
    if not searches:
        raise argparse.ArgumentTypeError(f"{text!r}: name at least one search, e.g. resilient:2")
    return tuple(searches)


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/run", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "sections", nargs="*", metavar="SECTION", help="any of " + ", ".join(SECTIONS) + " (default: all)"
    )
    parser.add_argument("--quick", action="store_true", help="shorter loads, fewer rounds, replay sizes 1000,10000")
    parser.add_argument("--replay-sizes", type=_sizes, default=None, help="borrowers per replay, e.g. 1000,10000")
    parser.add_argument("--time-cap", type=float, default=None, help="seconds: skip a replay size extrapolated beyond")
    parser.add_argument(
        "--explore-budget", type=float, default=None, help="seconds: each detection search's budget (300; --quick 60)"
    )
    parser.add_argument(
        "--detection-only",
        type=_searches,
        default=None,
        metavar="TARGET:SEED,…",
        help="detection: only these searches (resilient:2, outbox:1); needs --no-write (they are not the whole block)",
    )
    parser.add_argument("--scale-sizes", type=_sizes, default=None, help="scale: borrowers per run (10000,100000)")
    parser.add_argument("--scale-shards", type=_sizes, default=None, help="scale: --shards values (1,2)")
    parser.add_argument("--no-write", action="store_true", help="print the table only; leave docs/benchmarks.md")
    parser.add_argument("--report", type=Path, default=REPORT, help="the Markdown file to update")
    args = parser.parse_args(argv)
    unknown = [section for section in args.sections if section not in SECTIONS]
    if unknown:
        parser.error(f"unknown section {unknown[0]!r}; choose from {', '.join(SECTIONS)}")
    args.sections = args.sections or list(SECTIONS)
    if args.detection_only is not None and not args.no_write:
        parser.error(
            "--detection-only makes some of the detection searches: add --no-write (docs/benchmarks.md keeps "
            "the block of a whole run)"
        )
    return args


def main(argv: Sequence[str] | None = None, runners: dict[str, Section] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    runners = runners or RUNNERS
    today = date.today()
    print(f"lendsim benchmarks, {today.isoformat()}, {machine()}", flush=True)
    all_rows: list[Row] = []
    blocks: dict[str, str] = {}
    for section in args.sections:
        print(f"== {section}", flush=True)
        started = time.perf_counter()
        rows, details = runners[section](args)
        print(f"   ({time.perf_counter() - started:.0f} s)", flush=True)
        all_rows.extend(rows)
        blocks[section] = markdown_block(section, rows, today, details)
    print()
    print(format_table(all_rows))
    if not args.no_write:
        write_report(args.report, blocks)
        print(f"\nwrote {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
