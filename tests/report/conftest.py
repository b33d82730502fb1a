"""One small run of the 2019 incident against the naive platform, reported every way: shared by the module's tests
(it takes a few seconds), never changed by them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from simulator.cli import cli

BORROWERS = 12


@dataclass(frozen=True)
class Reported:
    folder: Path
    html: Path  # --html
    beside: Path  # --report-dir's report.html
    journal: Path  # --journal
    json: dict[str, Any]  # the JSON report
    output: str
    exit_code: int

    @property
    def page(self) -> str:
        return self.html.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def reported(tmp_path_factory: pytest.TempPathFactory) -> Reported:
    folder = tmp_path_factory.mktemp("reported")
    html, journal, reports = folder / "out" / "report.html", folder / "run.sqlite", folder / "reports"
    result = CliRunner().invoke(
        cli,
        [
            "run",
            "xiaomi-minsheng-2019",
            "--platform",
            "naive",
            "--borrowers",
            str(BORROWERS),
            "--html",
            str(html),
            "--journal",
            str(journal),
            "--report-dir",
            str(reports),
        ],
    )
    (report,) = reports.glob("*.json")
    return Reported(
        folder,
        html,
        reports / "report.html",
        journal,
        json.loads(report.read_text(encoding="utf-8")),
        result.output,
        result.exit_code,
    )
