"""The incident demo: the 2019 scenario replayed against the naive and the resilient reference platforms.

Run through ``scripts/demo`` (which sets up .venv). In-process, about 1,000 borrowers each. Prints both
summaries side by side, writes the reports under reports/demo/, and exits 0 when the naive platform is caught
(O1 and O2 violated) and the resilient one passes every invariant.
"""

from __future__ import annotations

import sys
from pathlib import Path

from simulator.cli._run import make_driver
from simulator.oracles import Verdict
from simulator.run import run_scenario
from simulator.run._reports import console_summary, junit_xml, write_json
from simulator.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "xiaomi-minsheng-2019.yaml"
REPORTS = ROOT / "reports" / "demo"


def cell(verdict: Verdict) -> str:
    return "held" if verdict.held else f"VIOLATED ×{len(verdict.violations)}"


BORROWERS = int(sys.argv[1]) if len(sys.argv) > 1 else 1000


def main() -> int:
    scenario = load_scenario(str(SCENARIO))
    print(f"{scenario.name}: {scenario.description.strip()}\n")
    results = {}
    for platform in ("naive", "resilient"):
        print(f"Replaying against the {platform} platform ({BORROWERS:,} borrowers, in-process) ...", flush=True)
        results[platform] = run_scenario(scenario, make_driver(platform), borrowers=BORROWERS)
        write_json(results[platform], platform, REPORTS)
    junit_xml(list(results.values()), "naive, resilient", REPORTS / "junit.xml")

    width = 44
    print(f"\n{'invariant':<{width}}{'naive':<14}resilient")
    for naive, resilient in zip(results["naive"].verdicts, results["resilient"].verdicts, strict=True):

        def cell(verdict: object) -> str:
            held = verdict.held
            return "held" if held else f"VIOLATED ×{len(verdict.violations)}"

        print(f"{naive.invariant + ' ' + naive.key:<{width}}{cell(naive):<14}{cell(resilient)}")
    print()
    for platform, result in results.items():
        print(console_summary(result, platform).split("\n\n")[0].splitlines()[0])
    first = results["naive"]
    shown = next((v for v in first.verdicts if not v.held), None)
    if shown is not None:
        print("\nOne of the naive platform's violations, with the chain of events that led there:")
        print("\n".join(console_summary(first, "naive").split("\n\n")[1].splitlines()[:12]))
    print(f"\nReports: {REPORTS}/ (JSON per run, junit.xml)")

    caught = {v.key for v in results["naive"].verdicts if not v.held} >= {"no_false_delinquency", "sms_unique"}
    if caught and results["resilient"].passed:
        print("\nThe harness caught the naive integration and passed the resilient one.")
        return 0
    print("\nUnexpected: the naive platform was not caught on O1 and O2, or the resilient one failed.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
