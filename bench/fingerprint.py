"""``python -m bench.fingerprint [--borrowers N] [--out FILE] [--check FILE]``

A fingerprint of every journal entry of the catalog's scenarios against both reference platforms (16 × 2 runs,
in-process, a small population): one SHA-256 per run over each entry's fields and data as a reader gets them
back (the wall time left out). A refactor that must not change what happens compares it before and after:
``--out`` writes it, ``--check`` compares with a file written before and exits 1 naming the runs that differ.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "scenarios"
PLATFORMS = ("naive", "resilient")


def fingerprints(borrowers: int) -> dict[str, str]:
    """``{"<scenario>/<platform>": "<sha256> <entries>"}`` for every catalog scenario and reference platform."""
    from lendsim_examples import naive, resilient
    from simulator.run import InProcessDriver, run_scenario
    from simulator.scenario import load_scenario

    factories = {"naive": naive.create, "resilient": resilient.create}
    out: dict[str, str] = {}
    for path in sorted(CATALOG.glob("*.yaml")):
        scenario = load_scenario(str(path))
        for platform in PLATFORMS:
            result = run_scenario(scenario, InProcessDriver(factories[platform]()), borrowers=borrowers)
            digest = hashlib.sha256()
            count = 0
            for entry in result.sim.journal:
                fields = entry.to_json()
                del fields["wallTime"]
                digest.update(json.dumps(fields, ensure_ascii=False).encode())
                digest.update(b"\n")
                count += 1
            out[f"{path.stem}/{platform}"] = f"{digest.hexdigest()} {count}"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fingerprint", description=__doc__.splitlines()[2])
    parser.add_argument("--borrowers", type=int, default=25)
    parser.add_argument("--out", type=Path, help="write the fingerprint here")
    parser.add_argument("--check", type=Path, help="compare with a fingerprint written before")
    args = parser.parse_args(argv)
    found = fingerprints(args.borrowers)
    text = json.dumps({"borrowers": args.borrowers, "runs": found}, indent=2) + "\n"
    if args.out is not None:
        args.out.write_text(text)
    if args.check is None:
        if args.out is None:
            sys.stdout.write(text)
        return 0
    before = json.loads(args.check.read_text())
    if before["borrowers"] != args.borrowers:
        print(f"{args.check} was taken with --borrowers {before['borrowers']}; pass the same", file=sys.stderr)
        return 2
    differ = sorted(run for run in before["runs"].keys() | found.keys() if before["runs"].get(run) != found.get(run))
    for run in differ:
        print(f"differs: {run}: {before['runs'].get(run)} -> {found.get(run)}")
    print(f"{len(found) - len(differ)} of {len(found)} runs identical")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
