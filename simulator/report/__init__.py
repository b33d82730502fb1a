"""The HTML run report: one self-contained file with the verdicts of each run (scenario × platform) and, for each
violation, the borrower's timeline on virtual time (docs/reports.md).

    runs = [view_of_run(result, "naive")]          # or view_of_journal(Path("run.sqlite")) for a kept journal
    write_html(runs, Path("reports/report.html"))
"""

from __future__ import annotations

from simulator.report._html import render_html, write_html
from simulator.report._sources import (
    INTERRUPTED,
    RECORDED,
    ReportError,
    Stopped,
    fresh_journal,
    keep_journal,
    keep_stopped,
    view_of_journal,
    view_of_run,
    view_of_stopped,
)
from simulator.report._view import LANES, MAX_TIMELINES, RunView

__all__ = [
    "INTERRUPTED",
    "LANES",
    "MAX_TIMELINES",
    "RECORDED",
    "ReportError",
    "RunView",
    "Stopped",
    "fresh_journal",
    "keep_journal",
    "keep_stopped",
    "render_html",
    "view_of_journal",
    "view_of_run",
    "view_of_stopped",
    "write_html",
]
