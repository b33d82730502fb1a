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
from pathlib import Path
from typing import Any, Final

from simulator.errors import LendsimError
from simulator.journal import Journal
from simulator.masking import mask_text
from simulator.oracles import evaluate
from simulator.partners.bank import BankConfig
from simulator.report._view import RunView
from simulator.run import RunResult
from simulator.run._reports import replay_command
from simulator.scenario import ScenarioError, load_scenario

__all__ = ["RECORDED", "ReportError", "keep_journal", "view_of_journal", "view_of_run"]

#: The operation of the entry a kept journal ends with.
RECORDED: Final = "runRecorded"


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
    """Write the journal of ``result`` to ``path`` (a SQLite file, replaced if it exists), ending with the
    ``runRecorded`` entry :func:`view_of_journal` reads back."""
    scenario = result.scenario
    try:
        source = Path(scenario.file).read_text(encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"cannot read the scenario {scenario.file} to keep with the journal: {exc}") from None
    if path.exists():
        path.unlink()
    for leftover in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    with Journal(path) as kept:
        for entry in result.sim.journal:
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
        info: dict[str, Any] = {
            "scenario": scenario.name,
            "file": scenario.file,
            "source": source,
            "platform": platform,
            "seed": result.seed,
            "borrowers": result.borrowers,
            "status": result.status,
            "events": result.events,
            "wallSeconds": round(result.wall_seconds, 3),
            "replay": replay_command(result, platform),
            "error": None if result.error is None else str(result.error),
        }
        kept.append("event", result.sim.clock.now(), partner="_sim", operation=RECORDED, data=info)
    return path


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
        if error is None:
            verdicts = evaluate(
                journal, scenario.expect, calendar=scenario.calendar, end=scenario.end, grace_days=bank.grace_days
            )
    except BaseException:
        journal.close()
        raise
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
        bank=bank,
    )


def _scenario(path: Path, source: str, file: str) -> Any:
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
