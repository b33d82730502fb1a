"""Where a report's runs come from: a run just finished (:func:`view_of_run`), or a journal a run kept
(:func:`keep_journal`, then :func:`view_of_journal`, any time later).

A kept journal is the run's journal, entry for entry (same seqs, so the chains the oracles cite still point at
the right entries), plus one last entry, ``_sim runRecorded``: the scenario's source, the run's parameters and
how it ended. Reading it back judges the journal again with the scenario's invariants — oracles read only the
journal — so the report from a kept journal is the report of the run.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

from simulator.errors import LendsimError
from simulator.journal import Journal
from simulator.masking import mask_text
from simulator.oracles import Verdict, evaluate
from simulator.partners.bank import BankConfig
from simulator.report._view import RunView
from simulator.run import RunResult
from simulator.run._reports import replay_command
from simulator.scenario import Scenario, ScenarioError, load_scenario
from simulator.scenario._setup import DEFAULT_BORROWERS

if TYPE_CHECKING:
    from simulator.world import Simulator

__all__ = [
    "INTERRUPTED",
    "RECORDED",
    "ReportError",
    "Stopped",
    "fresh_journal",
    "keep_journal",
    "keep_stopped",
    "view_of_journal",
    "view_of_run",
    "view_of_stopped",
]

#: The operation of the entry a kept journal ends with.
RECORDED: Final = "runRecorded"
#: The status a kept journal records for a run a signal stopped (it was not judged).
INTERRUPTED: Final = "interrupted"


class ReportError(LendsimError):
    """A journal a report cannot be made from (not a journal, or not one ``lendsim run --journal`` kept)."""


def view_of_run(result: RunResult, platform: str) -> RunView:
    """The report's view of a run that just finished."""
    scenario, sim = result.scenario, result.sim
    return RunView(
        scenario=scenario.name,
        file=scenario.file,
        platform=platform,
        seed=result.seed,
        borrowers=result.borrowers,
        start=scenario.start,
        end=scenario.end,
        status=result.status,
        events=result.events,
        wall_seconds=result.wall_seconds,
        replay=replay_command(result, platform),
        error=None if result.error is None else mask_text(str(result.error)),
        expected=list(scenario.expect),
        verdicts=list(result.verdicts),
        journal=sim.journal,
        calendar=sim.clock.calendar,
        bank=sim.bank.config if sim.bank is not None else BankConfig.from_mapping(scenario.bank),
    )


def keep_journal(result: RunResult, platform: str, path: Path) -> Path:
    """Keep the journal of ``result`` at ``path``, ending with the ``runRecorded`` entry :func:`view_of_journal`
    reads back. A run that journaled into ``path`` itself (``lendsim run --journal``) only gets that entry;
    otherwise its journal is copied there (the file replaced if it exists)."""
    info = _record(result.scenario, platform, result.seed, result.borrowers)
    info |= {
        "status": result.status,
        "events": result.events,
        "wallSeconds": round(result.wall_seconds, 3),
        "replay": replay_command(result, platform),
        "error": None if result.error is None else str(result.error),
    }
    journal = result.sim.journal
    if journal.path != str(path):
        _remove(path)
        with Journal(path) as kept:
            for entry in journal:
                kept.append(
                    entry.kind,
                    entry.virtual_time,
                    partner=entry.partner,
                    operation=entry.operation,
                    borrower=entry.borrower,
                    loan=entry.loan,
                    serial=entry.serial,
                    sms_out_id=entry.sms_out_id,
                    status=entry.status,
                    correlation=entry.correlation,
                    data=entry.data,
                )
            kept.append("event", result.sim.clock.now(), partner="_sim", operation=RECORDED, data=info)
        return path
    journal.append("event", result.sim.clock.now(), partner="_sim", operation=RECORDED, data=info)
    journal.flush()
    return path


def fresh_journal(path: Path | None, wall_clock: Callable[[], float]) -> Journal:
    """The journal a run writes to: the file at ``path`` (replaced if it exists), or one in memory; each entry
    stamped with ``wall_clock`` (the CLI's ``time.time``: nothing below it reads the wall clock)."""
    if path is None:
        return Journal(wall_clock=wall_clock)
    _remove(path)
    return Journal(path, wall_clock=wall_clock)


@dataclass(frozen=True, slots=True)
class Stopped:
    """A run a signal stopped before it finished: what the CLI knows of it besides its journal."""

    scenario: Scenario
    platform: str
    seed: int | None  # as given on the command line (None: the scenario's)
    borrowers: int | None
    signal: str  # SIGINT, SIGTERM
    wall_seconds: float

    def info(self, journal: Journal) -> dict[str, Any]:
        """The ``runRecorded`` data of the run: ``status`` interrupted, and the virtual time it stopped at (the
        last entry's)."""
        scenario = self.scenario
        seed = scenario.seed if self.seed is None else self.seed
        size = self.borrowers or int(scenario.population.get("borrowers", DEFAULT_BORROWERS))
        last = journal.last()
        stopped_at = scenario.start if last is None else last.virtual_time
        shell = RunResult(scenario, seed, size, cast("Simulator", None), [], self.wall_seconds, 0)  # for the command
        return _record(scenario, self.platform, seed, size) | {
            "status": INTERRUPTED,
            "events": 0,
            "wallSeconds": round(self.wall_seconds, 3),
            "replay": replay_command(shell, self.platform),
            "error": None,
            "signal": self.signal,
            "stoppedAt": stopped_at.isoformat(),
        }


def keep_stopped(journal: Journal, stopped: Stopped) -> None:
    """End the journal of a run a signal stopped with its ``runRecorded`` entry (status ``interrupted``), and write
    it out: ``lendsim report`` renders it, marked incomplete."""
    info = stopped.info(journal)
    journal.append("event", datetime.fromisoformat(info["stoppedAt"]), partner="_sim", operation=RECORDED, data=info)
    journal.flush()


def view_of_stopped(journal: Journal, stopped: Stopped) -> RunView:
    """The report's view of a run a signal stopped: not judged, marked incomplete."""
    return _view(journal, stopped.info(journal), stopped.scenario, [])


def _record(scenario: Scenario, platform: str, seed: int, borrowers: int) -> dict[str, Any]:
    try:
        source = Path(scenario.file).read_text(encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"cannot read the scenario {scenario.file} to keep with the journal: {exc}") from None
    return {
        "scenario": scenario.name,
        "file": scenario.file,
        "source": source,
        "platform": platform,
        "seed": seed,
        "borrowers": borrowers,
    }


def _remove(path: Path) -> None:
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)


def view_of_journal(path: Path) -> RunView:
    """The report's view of the run whose journal ``lendsim run --journal`` kept at ``path``, judged again."""
    if not path.is_file():
        raise ReportError(f"{path}: no such file; give a journal written by lendsim run --journal FILE")
    try:
        journal = Journal(path)
        recorded = journal.last(kind="event", partner="_sim", operation=RECORDED)
    except LendsimError as exc:
        raise ReportError(
            f"{path} is not a lendsim journal ({exc}); give a file written by lendsim run --journal"
        ) from None
    if recorded is None:
        journal.close()
        raise ReportError(
            f"{path} holds no {RECORDED} entry: it is a journal, but not one lendsim run --journal kept "
            "(a serve journal has no run to report); keep one with lendsim run SCENARIO --journal FILE"
        )
    info = recorded.data
    try:
        scenario = _scenario(path, str(info["source"]), str(info["file"]))
        error = info.get("error")
        bank = BankConfig.from_mapping(scenario.bank)
        verdicts = []
        if error is None and info.get("status") != INTERRUPTED:  # a stopped run is not judged, as lendsim run does
            verdicts = evaluate(
                journal, scenario.expect, calendar=scenario.calendar, end=scenario.end, grace_days=bank.grace_days
            )
    except BaseException:
        journal.close()
        raise
    return _view(journal, info, scenario, verdicts)


def _view(journal: Journal, info: Mapping[str, Any], scenario: Scenario, verdicts: list[Verdict]) -> RunView:
    error = info.get("error")
    incomplete = None
    if info.get("status") == INTERRUPTED:
        at = datetime.fromisoformat(str(info["stoppedAt"])).astimezone(scenario.calendar.tz)
        incomplete = f"stopped by {info.get('signal')} at virtual time {at:%Y-%m-%d %H:%M:%S %z}"
    return RunView(
        scenario=scenario.name,
        file=scenario.file,
        platform=str(info["platform"]),
        seed=int(info["seed"]),
        borrowers=int(info["borrowers"]),
        start=scenario.start,
        end=scenario.end,
        status=str(info["status"]),
        events=int(info["events"]),
        wall_seconds=float(info["wallSeconds"]),
        replay=str(info["replay"]),
        error=None if error is None else mask_text(str(error)),
        expected=list(scenario.expect),
        verdicts=verdicts,
        journal=journal,
        calendar=scenario.calendar,
        bank=BankConfig.from_mapping(scenario.bank),
        incomplete=incomplete,
    )


def _scenario(path: Path, source: str, file: str) -> Scenario:
    """The scenario a kept journal carries, read as lendsim run read it (its file name kept)."""
    handle, name = tempfile.mkstemp(suffix=".yaml", prefix="lendsim-kept-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(source)
        try:
            scenario = load_scenario(name)
        except ScenarioError as exc:
            problems = "; ".join(str(finding) for finding in exc.findings)
            raise ReportError(f"{path}: the scenario kept with the journal no longer loads: {problems}") from None
    finally:
        os.unlink(name)
    return dataclasses.replace(scenario, file=file)
