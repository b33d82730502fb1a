"""``lendsim report``: the HTML report of runs whose journals ``lendsim run --journal`` kept, judged again from them.

Exit codes: 0 the report was written; 2 a journal that is missing, not a journal, or not one a run kept, or an
output that cannot be written. The verdicts in the report are what the journals say; the command does not fail
because a run did (its report says so).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from simulator.cli._run import writable_file
from simulator.report import ReportError, render_html, view_of_journal

__all__ = ["report_command"]


@click.command("report")
@click.argument("journals", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--html",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Write the HTML report here: one self-contained file, the runs of the journals side by side.",
)
def report_command(journals: tuple[Path, ...], html: Path) -> None:
    """Render the HTML report of the runs whose JOURNALS ``lendsim run --journal FILE`` kept (one file per run),
    judging each journal again with its scenario's invariants."""
    writable_file(html, "--html", "reports/report.html")
    views = []
    for path in journals:
        try:
            views.append(view_of_journal(path))
        except ReportError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(2)
    try:
        page = render_html(views)
        html.write_text(page, encoding="utf-8")
    except OSError as exc:
        click.secho(f"error: --html {html}: cannot write ({exc.strerror or exc})", fg="red", err=True)
        sys.exit(2)
    finally:
        for view in views:
            view.journal.close()
    for view in views:
        click.echo(f"{view.scenario} against {view.platform}: {view.status} (seed {view.seed}, {view.journal.path})")
    click.echo(f"html report: {html}")
