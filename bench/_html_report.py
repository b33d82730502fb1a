"""HTML report section (issue #20): the report of the incident (scenarios/xiaomi-minsheng-2019.yaml) at 1,000
borrowers against the naive platform — the run with the most violations — rendered, measured, and opened in
Chromium until a violation's timeline answers a click.

    python -m bench._html_report 1000     # prints a JSON line (what bench/run reads)
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench._report import Row, not_available

__all__ = ["Settings", "measure"]

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "xiaomi-minsheng-2019.yaml"
SECTION = "report"
TARGET_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Settings:
    borrowers: int = 1_000
    rounds: int = 3

    @classmethod
    def quick(cls) -> Settings:
        return cls(borrowers=1_000, rounds=1)


def _chromium() -> str | None:
    return os.environ.get("LENDSIM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


# A click on the last violation that has a timeline (any must answer as fast), then a layout: the cited marks drawn.
_CLICK_THE_LAST = """() => {
  const rows = document.querySelectorAll("div.violation[data-timeline]");
  rows[rows.length - 1].querySelector("button.show").click();
  document.body.getBoundingClientRect();
  return document.querySelectorAll("figure.timeline:not([hidden]) circle.cited").length;
}"""


def once(borrowers: int, rounds: int) -> dict[str, object]:
    """Run, render ``rounds`` times (median), write, open in Chromium ``rounds`` times (median)."""
    from lendsim_examples.naive import create
    from simulator.report import render_html, view_of_run
    from simulator.run import InProcessDriver, run_scenario
    from simulator.scenario import load_scenario

    result = run_scenario(load_scenario(str(SCENARIO)), InProcessDriver(create()), borrowers=borrowers)
    renders, cpu = [], []
    for _ in range(rounds):
        started, used = time.perf_counter(), time.process_time()
        page = render_html([view_of_run(result, "naive")])
        renders.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
    violations = sum(len(verdict.violations) for verdict in result.verdicts)
    out: dict[str, object] = {
        "render": statistics.median(renders),
        "renderCpu": statistics.median(cpu),
        "bytes": len(page.encode("utf-8")),
        "violations": violations,
        "timelines": page.count('<figure class="timeline"'),
        "open": None,
        "why": None,
    }
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        out["why"] = "Playwright is not installed (pip install .[dev])"
        return out
    if executable is None:
        out["why"] = "no Chromium (apt-get install -y chromium, or LENDSIM_CHROMIUM)"
        return out
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.html"
        path.write_text(page, encoding="utf-8")
        opens = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
            for _ in range(rounds):
                tab = browser.new_page(viewport={"width": 1400, "height": 900})
                started = time.perf_counter()
                tab.goto(path.as_uri())  # until the load event
                drawn = tab.evaluate(_CLICK_THE_LAST)  # in the page: Playwright's own round trips are not the page's
                opens.append(time.perf_counter() - started)
                assert drawn > 0, "the timeline drew no cited mark"
                tab.close()
            browser.close()
    out["open"] = statistics.median(opens)
    return out


def measure(settings: Settings) -> tuple[list[Row], list[str]]:
    command = [sys.executable, "-m", "bench._html_report", str(settings.borrowers), str(settings.rounds)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=True)
    got = json.loads(done.stdout.splitlines()[-1])
    size = f"{settings.borrowers:,} borrowers"
    render = float(got["render"])
    rows = [
        Row(SECTION, f"render the incident's report ({size}), wall time", f"{render:.2f} s", target="≤ 2 s",
            met=render <= TARGET_SECONDS),
        Row(SECTION, f"render the incident's report ({size}), CPU time", f"{float(got['renderCpu']):.2f} s"),
        Row(SECTION, f"report file size ({size}, {got['timelines']} timelines, {got['violations']:,} violations)",
            f"{int(got['bytes']) / 2**20:.1f} MiB"),
    ]  # fmt: skip
    if got["open"] is None:
        rows.append(not_available(SECTION, "open in Chromium until a timeline answers", str(got["why"]), "≤ 2 s"))
    else:
        opened = float(got["open"])
        rows.append(
            Row(SECTION, "open in Chromium until a violation's timeline answers a click", f"{opened:.2f} s",
                target="≤ 2 s", met=opened <= TARGET_SECONDS)
        )  # fmt: skip
    details = [
        f"The naive platform's run of the incident (every invariant it violates listed, timelines embedded for "
        f"{got['timelines']} borrowers: simulator/report/_view.py MAX_TIMELINES). Render: render_html from the "
        f"finished run, median of {settings.rounds}. Open: a fresh tab of headless Chromium (Playwright) loading the "
        "file until its load event, then (in the page) a click on the last violation with a timeline and the layout "
        "that draws its cited chain; median of "
        f"{settings.rounds}."
    ]
    return rows, details


if __name__ == "__main__":
    print(json.dumps(once(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 3)))
