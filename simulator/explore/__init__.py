"""``lendsim explore``: search for scenarios a platform fails, and shrink each to a minimal scenario file.

    search = explore(lambda: InProcessDriver(platform()), Budget(seconds=300), seed=1)
    for found in search.findings:
        write_finding(found, Path("found"), stem=found.key, platform="my.platform:create")

Hypothesis draws scenarios over the whole scenario format (:mod:`simulator.explore._strategies`): faults at
every injection point with every action it takes, borrower behaviours, the bank's hours; each is run against
the platform as ``lendsim run`` runs it; a violated invariant is shrunk to the fewest faults, shortest windows,
fewest borrowers and shortest run that still violate it, and written as a scenario lint passes.
"""

from simulator.explore._search import Budget, Found, Progress, Search, explore
from simulator.explore._strategies import Candidate, candidates, repair
from simulator.explore._writer import scenario_name, scenario_yaml, write_finding

__all__ = [
    "Budget",
    "Candidate",
    "Found",
    "Progress",
    "Search",
    "candidates",
    "explore",
    "repair",
    "scenario_name",
    "scenario_yaml",
    "write_finding",
]
