"""Regenerate the report's screenshots in docs/images/ (README and docs/reports.md show them).

Run through ``scripts/screenshots`` (which sets up .venv with the dev extras): replays the 2019 incident against the
naive platform (40 borrowers), writes its HTML report, opens it in headless Chromium (Playwright driving the
system's browser: ``apt-get install -y chromium``, or LENDSIM_CHROMIUM=/path/to/chrome) and captures the summary,
the timeline of the first O1 violation with its cited chain highlighted, and the day-by-day aggregate views.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from simulator.cli._run import run_many
from simulator.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"


def main() -> int:
    browser_path = os.environ.get("LENDSIM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if browser_path is None:
        print("no Chromium: apt-get install -y chromium, or set LENDSIM_CHROMIUM", file=sys.stderr)
        return 2
    scenario = load_scenario(str(ROOT / "scenarios" / "xiaomi-minsheng-2019.yaml"))
    with tempfile.TemporaryDirectory() as folder:
        page_path = Path(folder) / "report.html"
        run_many([scenario], ["naive"], borrowers=40, html=page_path, shown=0)
        IMAGES.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 760})
            page.goto(page_path.as_uri())
            page.screenshot(path=IMAGES / "report-summary.png")
            page.locator("div.violation", has_text="O1 no_false_delinquency").first.locator("button.show").click()
            page.locator("pre.detail").scroll_into_view_if_needed()
            page.locator("figure.timeline:visible").scroll_into_view_if_needed()
            page.evaluate("window.scrollBy(0, 120)")
            page.screenshot(path=IMAGES / "report-timeline.png")
            page.evaluate("document.querySelector('header').style.position = 'static'")  # not over the views
            page.locator("#run0-aggregates").screenshot(path=IMAGES / "report-aggregates.png")
            browser.close()
    for name in ("report-summary.png", "report-timeline.png", "report-aggregates.png"):
        print(f"wrote {IMAGES / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
