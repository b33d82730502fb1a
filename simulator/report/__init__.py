"""The HTML run report: one self-contained file with the verdicts of each run (scenario × platform) and, for each
violation, the borrower's timeline on virtual time (docs/reports.md).

    runs = [view_of_run(result, "naive")]          # or view_of_journal(Path("run.sqlite")) for a kept journal
    write_html(runs, Path("reports/report.html"))
"""

from __future__ import annotations

from simulator.report._html import render_html, write_html
from simulator.report._sources import RECORDED, ReportError, keep_journal, view_of_journal, view_of_run
from simulator.report._view import LANES, MAX_TIMELINES, RunView

__all__ = [
    "LANES",
    "MAX_TIMELINES",
    "RECORDED",
    "ReportError",
    "RunView",
    "keep_journal",
    "render_html",
    "view_of_journal",
    "view_of_run",
    "write_html",
]
