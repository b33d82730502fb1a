"""The detection matrix: every catalog scenario against the naive platform, the resilient one, each mutant of the
resilient one (one safeguard switched off) and each defective platform written apart from the catalog
(``bench/defects.py``). Prints two Markdown tables: the invariants each scenario's run violates, per platform (an
invariant a run did not exercise is marked "O2 not exercised"; ✓ means every one exercised and held), then per
platform and invariant how many scenarios catch it there, and how many platforms the catalog catches in all.

    .venv/bin/python bench/detection.py [BORROWERS]
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: ``bench`` is imported from the checkout
    sys.path.insert(0, str(ROOT))

from bench.defects import DEFECTS  # noqa: E402
from lendsim_examples import naive, resilient  # noqa: E402
from lendsim_examples.resilient import SAFEGUARDS  # noqa: E402
from simulator.oracles import ORACLES  # noqa: E402
from simulator.run import InProcessDriver, run_scenario  # noqa: E402
from simulator.scenario import load_scenario  # noqa: E402

BORROWERS = int(sys.argv[1]) if len(sys.argv) > 1 else 40


def platforms() -> dict[str, Callable[[], object]]:
    """Every platform of the matrix by its column name."""
    made: dict[str, Callable[[], object]] = {"naive": naive.create, "resilient": resilient.create}
    for safeguard in SAFEGUARDS:
        made[f"−{safeguard}"] = lambda s=safeguard: resilient.create(disable={s})
    made.update(DEFECTS)
    return made


def main() -> None:
    scenarios = [load_scenario(str(path)) for path in sorted((ROOT / "scenarios").glob("*.yaml"))]
    makers = platforms()
    invariants = [oracle.invariant for oracle in ORACLES.values()]
    caught: dict[str, dict[str, int]] = {name: dict.fromkeys(invariants, 0) for name in makers}
    print("| scenario | " + " | ".join(makers) + " |")
    print("|---|" + "---|" * len(makers))
    for scenario in scenarios:
        cells = []
        for name, make in makers.items():
            result = run_scenario(scenario, InProcessDriver(make()), borrowers=BORROWERS)
            violated = [v.invariant for v in result.verdicts if v.violated]
            for invariant in violated:
                caught[name][invariant] += 1
            failed = violated + [f"{v.invariant} not exercised" for v in result.verdicts if not v.exercised]
            if result.error is not None:
                failed = [f"error: {result.error.operation}"]
            cells.append(", ".join(failed) if failed else "✓")
        print(f"| {scenario.name} | " + " | ".join(cells) + " |", flush=True)
    print()
    print("| platform | " + " | ".join(invariants) + " | caught |")
    print("|---|" + "---|" * (len(invariants) + 1))
    for name, counts in caught.items():
        cells = [str(counts[invariant]) if counts[invariant] else "·" for invariant in invariants]
        print(f"| {name} | " + " | ".join(cells) + f" | {'yes' if any(counts.values()) else 'no'} |")
    wrong = [name for name in makers if name != "resilient"]
    found = sum(1 for name in wrong if any(caught[name].values()))
    print(f"\nThe catalog catches {found} of the {len(wrong)} defective platforms (naive, mutants, defects).")


if __name__ == "__main__":
    main()
