"""Rows, the printed table and docs/benchmarks.md: what every section of ``bench/run`` hands back and how it is shown.

A :class:`Row` is one measurement with its baseline (measured in the same run), the ratio between them and
the target. ``write_report`` keeps docs/benchmarks.md's hand-written parts and replaces, section by section,
the blocks between ``<!-- bench:NAME -->`` markers, so running one section updates only its own block.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

__all__ = ["SECTIONS", "Row", "format_table", "machine", "markdown_block", "write_report"]

SECTIONS = (
    "http",
    "latency",
    "durability",
    "inprocess",
    "instructions",
    "replay",
    "http-replay",
    "population",
    "contracts",
    "detection",
    "report",
    "parallel",
    "generic",
    "scale",
)
HEADERS = ("measurement", "figure", "baseline", "ratio", "target", "met")


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the table.

    ``ratio`` is figure / baseline in the direction the target is written in (× raw ASGI for throughput,
    × bare route for time or instructions per call); ``met`` is None when the row has no target or was not measured.
    """

    section: str
    measurement: str
    figure: str
    baseline: str = "—"
    ratio: float | None = None
    target: str = "—"
    met: bool | None = None
    note: str = ""

    def cells(self) -> tuple[str, ...]:
        ratio = "—" if self.ratio is None else f"{self.ratio:.2f}×"
        met = "—" if self.met is None else ("yes" if self.met else "**no**")
        return (self.measurement, self.figure, self.baseline, ratio, self.target, met)


def not_available(section: str, measurement: str, why: str, target: str = "—") -> Row:
    """A row for something that could not be measured here, saying why."""
    return Row(section, measurement, "not available", target=target, note=why)


def format_table(rows: Sequence[Row]) -> str:
    """The rows as a Markdown table (also readable in a terminal), notes as numbered footnotes below it."""
    widths = [len(header) for header in HEADERS]
    cells = [row.cells() for row in rows]
    notes: list[str] = []
    for index, row in enumerate(rows):
        if row.note:
            notes.append(row.note)
            cells[index] = (f"{cells[index][0]} [{len(notes)}]", *cells[index][1:])
    for line in cells:
        widths = [max(width, len(cell)) for width, cell in zip(widths, line, strict=True)]
    numeric = (False, True, True, True, False, False)

    def render(line: Sequence[str]) -> str:
        padded = (
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(line, widths, numeric, strict=True)
        )
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(
        "-" * (width + 1) + (":" if right else "-") for width, right in zip(widths, numeric, strict=True)
    )
    out = [render(HEADERS), rule + "|", *(render(line) for line in cells)]
    if notes:
        out.append("")
        out.extend(f"[{number}] {note}" for number, note in enumerate(notes, start=1))
    return "\n".join(out)


def machine() -> str:
    """CPU model, cores, memory and Python, in one line."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GiB"
    except (ValueError, OSError):
        pass
    return f"{model}, {os.cpu_count()} cores{memory}, Python {platform.python_version()} ({sys.implementation.name})"


def markdown_block(section: str, rows: Sequence[Row], today: date, details: Iterable[str] = ()) -> str:
    """The docs/benchmarks.md block for one section: heading, date and machine, table, details."""
    title = {
        "http": "HTTP: `lendsim serve` against a raw ASGI app, WireMock and Prism",
        "latency": "Latency under load: `lendsim serve` at half its maximum throughput, constant rate, 10 minutes",
        "durability": "Durability: answers committed before they leave, kill -9 under load, restart on the journal",
        "inprocess": "In-process: the pytest plugin's routes and transport against bare respx and MockTransport",
        "instructions": "In-process in instructions (callgrind): the same routes, transport and core",
        "replay": "Scenario replay: the incident, resilient in-process platform",
        "http-replay": "Scenario replay over HTTP: the incident against platforms served apart, beside in-process",
        "population": "Synthetic population against Faker",
        "contracts": "Contract self-test (schemathesis)",
        "detection": "Detection: `lendsim explore` against each mutant of the resilient platform, no catalog scenario",
        "report": "HTML report: the incident, 1,000 borrowers, naive platform: rendered, opened in Chromium",
        "parallel": "Parallel runs: the catalog × 5 seeds on one process, two processes, a local Dask cluster",
        "generic": "Generic mock: `lendsim serve --contract` against Prism on five real partner contracts",
        "scale": "One big run: the incident, resilient platform, 10,000 and 100,000 borrowers, 1 and 2 shards",
    }[section]
    lines = [
        f"<!-- bench:{section} -->",
        f"### {title}",
        "",
        f"`bench/run {section}`, {today.isoformat()}, {machine()}.",
        "",
        format_table(rows),
    ]
    for line in details:
        if line:
            lines += ["", line]
    lines.append(f"<!-- /bench:{section} -->")
    return "\n".join(lines)


_GENERATED_HEADING = "## Latest figures (written by `bench/run`)"


def write_report(path: Path, blocks: dict[str, str]) -> None:
    """Replace each section's block in ``path`` (appending it under the generated heading if new)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if _GENERATED_HEADING not in text:
        text = text.rstrip("\n") + f"\n\n{_GENERATED_HEADING}\n"
    for section in SECTIONS:
        block = blocks.get(section)
        if block is None:
            continue
        start, end = f"<!-- bench:{section} -->", f"<!-- /bench:{section} -->"
        if start in text and end in text:
            text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
        else:
            text = _insert_in_order(text, section, block)
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def _insert_in_order(text: str, section: str, block: str) -> str:
    """Put a new block after the blocks of the sections before it (so the file keeps the SECTIONS order)."""
    anchor = text.index(_GENERATED_HEADING) + len(_GENERATED_HEADING)
    for earlier in SECTIONS[: SECTIONS.index(section)]:
        end = text.find(f"<!-- /bench:{earlier} -->")
        if end != -1:
            anchor = max(anchor, end + len(f"<!-- /bench:{earlier} -->"))
    return text[:anchor] + "\n\n" + block + text[anchor:]
