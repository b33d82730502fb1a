"""The incident demo: the 2019 scenario replayed against the naive and the resilient reference platforms.

Run through ``scripts/demo`` (which sets up .venv). In-process, about 1,000 borrowers each
(``scripts/demo 200`` for fewer). It is ``lendsim run xiaomi-minsheng-2019 --platform naive --platform
resilient`` with the reports under reports/demo/ (a JSON file per platform, junit.xml with a suite per
platform, report.html with both runs and each violation's timeline) — the same code and the same output — and it
exits 0 when the naive platform is caught (O1 and O2
violated) and the resilient one passes every invariant, each one exercised.
"""

from __future__ import annotations

import sys
from pathlib import Path

from simulator.cli._run import run_many
from simulator.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "xiaomi-minsheng-2019.yaml"
REPORTS = ROOT / "reports" / "demo"
CAUGHT_ON = {"no_false_delinquency", "sms_unique"}


def main(argv: list[str]) -> int:
    borrowers = int(argv[0]) if argv else 1000
    reports = Path(argv[1]) if len(argv) > 1 else REPORTS
    scenario = load_scenario(str(SCENARIO))
    print(f"{scenario.name}: {scenario.description.strip()}\n")
    print(f"Replaying it against the naive and the resilient platforms ({borrowers:,} borrowers each, in-process).\n")
    runs = run_many(
        [scenario],
        ["naive", "resilient"],
        borrowers=borrowers,
        report_dir=reports,
        junit=reports / "junit.xml",
        shown=1,
    )
    print(f"\nThe HTML report (open it in a browser): {reports / 'report.html'}")
    naive, resilient = (run.result for run in runs)
    caught = {verdict.key for verdict in naive.verdicts if verdict.violated} >= CAUGHT_ON
    if caught and resilient.passed:
        print("\nThe harness caught the naive integration and passed the resilient one.")
        return 0
    print("\nUnexpected: the naive platform was not caught on O1 and O2, or the resilient one failed.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
