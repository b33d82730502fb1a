"""Render runs as one self-contained HTML file: jinja2 templates, the stylesheet and script inlined, no network."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2

from simulator._version import __version__
from simulator.oracles import Outcome
from simulator.report._charts import views as chart_views
from simulator.report._view import AXIS_HEIGHT, DAY_WIDTH, LANE_HEIGHT, LANE_NAMES, LANES, RunView

__all__ = ["render_html", "write_html"]

_TEMPLATES = Path(__file__).parent / "templates"
_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(_TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.policies["json.dumps_function"] = lambda value, **kwargs: json.dumps(
    value, ensure_ascii=False, separators=(",", ":"), sort_keys=False
)


def _cell(run: RunView, key: str) -> dict[str, str] | None:
    if run.error is not None:
        return {"text": "ERROR", "css": "s-error", "judged": ""}
    if run.incomplete is not None:
        return {"text": "not judged", "css": "s-interrupted", "judged": "incomplete run"}
    verdict = next((v for v in run.verdicts if v.key == key), None)
    if verdict is None:
        return None
    text = verdict.outcome.value
    if verdict.outcome is Outcome.VIOLATED:
        text = f"violated ×{len(verdict.violations):,}"
    css = f"o-{verdict.outcome.value.replace(' ', '-')}"
    return {"text": text, "css": css, "judged": f"{verdict.checked:,} {verdict.judges}"}


def render_html(runs: Sequence[RunView]) -> str:
    """The report of ``runs`` (scenarios × platforms): the summary, then each run with its violations and the
    timelines of the borrowers they concern."""
    for index, run in enumerate(runs):
        run.index = index
    keys = list(dict.fromkeys(key for run in runs for key in run.expected))
    names = {key: runs[0].invariant_name(key) for key in keys} if runs else {}
    statuses = [run.status for run in runs]
    scenarios = sorted({run.scenario for run in runs})
    title = ", ".join(scenarios) if len(scenarios) <= 3 else f"{len(scenarios)} scenarios"
    context: dict[str, Any] = {
        "version": __version__,
        "title": title,
        "runs": runs,
        "keys": keys,
        "names": names,
        "cells": {run.slug: {key: _cell(run, key) for key in keys} for run in runs},
        "totals": {status: statuses.count(status) for status in ("passed", "failed", "error", "interrupted")},
        "views": {run.slug: run.violations() for run in runs},
        "backdrops": {run.slug: run.backdrop() for run in runs},
        "charts": {run.slug: chart_views(run.aggregates()) for run in runs},
        "lanes": LANES,
        "lane_names": LANE_NAMES,
        "lane_height": LANE_HEIGHT,
        "axis": AXIS_HEIGHT,
        "day_width": DAY_WIDTH,
    }
    return _ENV.get_template("report.html.j2").render(context)


def write_html(runs: Sequence[RunView], path: Path) -> Path:
    """Write :func:`render_html` of ``runs`` to ``path`` (its folder made if missing); returns ``path``."""
    html = render_html(runs)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
