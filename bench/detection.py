"""The detection matrix: every catalog scenario against the naive platform, the resilient one and each mutant
of the resilient one (one safeguard switched off). Prints a Markdown table of the invariants each violates
(an invariant a run did not exercise is marked "O2 not exercised"; ✓ means every one exercised and held).

    .venv/bin/python bench/detection.py [BORROWERS]
"""

from __future__ import annotations

import sys
from pathlib import Path

from lendsim_examples import naive, resilient
from lendsim_examples.resilient import SAFEGUARDS
from simulator.run import InProcessDriver, run_scenario
from simulator.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
BORROWERS = int(sys.argv[1]) if len(sys.argv) > 1 else 40


def main() -> None:
    scenarios = [load_scenario(str(path)) for path in sorted((ROOT / "scenarios").glob("*.yaml"))]
    platforms = {"naive": naive.create, "resilient": resilient.create}
    for safeguard in SAFEGUARDS:
        platforms[f"−{safeguard}"] = lambda s=safeguard: resilient.create(disable={s})
    print("| scenario | " + " | ".join(platforms) + " |")
    print("|---|" + "---|" * len(platforms))
    for scenario in scenarios:
        cells = []
        for make in platforms.values():
            result = run_scenario(scenario, InProcessDriver(make()), borrowers=BORROWERS)
            failed = [v.invariant for v in result.verdicts if v.violated]
            failed += [f"{v.invariant} not exercised" for v in result.verdicts if not v.exercised]
            if result.error is not None:
                failed = [f"error: {result.error.operation}"]
            cells.append(", ".join(failed) if failed else "✓")
        print(f"| {scenario.name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
