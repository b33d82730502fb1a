"""Run schemathesis against a running service and sort what it finds by operation.

schemathesis' engine runs its phases — the contract's examples, coverage of each schema's edges, random
fuzzing, then stateful sequences along the contract's links — and reports each scenario as an event. This
module turns those events into :class:`CheckReport`: cases per operation, the failed checks with the request
that broke each (a curl line, personal data masked), and the cases that got no answer at all.
"""

from __future__ import annotations

import copy
import json
import random
import shlex
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import schemathesis
import schemathesis.specs.openapi.checks  # registers the OpenAPI checks in CHECKS
from schemathesis import BaseSchema, Case, Response
from schemathesis.checks import CHECKS
from schemathesis.core.errors import InvalidSchema, LoaderError
from schemathesis.engine import events as engine_events
from schemathesis.engine import from_schema
from schemathesis.engine.recorder import ScenarioRecorder

from simulator._suggest import suggest
from simulator.conformance._reach import describe_answer, from_operation, suggest_base_url
from simulator.conformance._results import CheckReport, ContractFailure, OperationResult
from simulator.conformance._target import Target, probe, server_path
from simulator.errors import ConfigError, ContractError, LendsimError
from simulator.masking import NAME_KEYS, mask_text, mask_value
from simulator.openapi import Operation

__all__ = ["CHECK_NAMES", "PHASES", "CheckOptions", "run_check"]

#: Every check schemathesis can run (``--exclude-check`` takes these names).
CHECK_NAMES: tuple[str, ...] = tuple(sorted(name for name in CHECKS.get_all_names() if not name.startswith("_")))

PHASES: tuple[str, ...] = ("examples", "coverage", "fuzzing", "stateful")


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """How hard to look: examples per operation and phase, a wall-time cap, what to send and what to skip."""

    max_examples: int = 25
    time_limit: float | None = 120.0  # seconds; generation stops when reached (None: no limit)
    seed: int | None = None  # None: a random one, printed so the run can be repeated
    operations: tuple[str, ...] = ()  # operationIds to test; empty: all
    headers: Mapping[str, str] = field(default_factory=dict)  # sent with every request (e.g. Authorization)
    # schemathesis' phases: the contract's examples, the edges of each schema, random data, and sequences along
    # the contract's links (create, then read what was created, …)
    phases: tuple[str, ...] = PHASES
    request_timeout: float = 10.0  # seconds one request may take before it counts as unanswered
    exclude_checks: tuple[str, ...] = ()  # schemathesis checks not to run: "check" or "check:operationId"
    workers: int = 1  # operations tested at once (schemathesis' --workers; the stateful phase runs alone)


def run_check(target: Target, options: CheckOptions | None = None) -> CheckReport:
    """Check the service at ``target.base_url`` against ``target.contract``; never raises for what it finds.

    Raises (all :class:`LendsimError`): ConfigError for a bad option, ContractError for an unknown operationId
    or a contract schemathesis cannot use, UnreachableError when nothing answers at the base URL.
    """
    options = options or CheckOptions()
    if not 1 <= options.workers <= 64:
        raise ConfigError(f"workers={options.workers!r}: give 1 to 64", field="workers")
    unknown = [phase for phase in options.phases if phase not in PHASES]
    if unknown or not options.phases:
        raise ConfigError(f"phases={options.phases!r}: choose among {', '.join(PHASES)}", field="phases")
    for operation_id in options.operations:
        target.contract.operation(operation_id)  # ContractError with a did-you-mean
    exclusions = _exclusions(target, options.exclude_checks)
    probe(target, options.headers)
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(2**31)
    schema = _load(target, options, seed, exclusions)
    operations = {
        f"{operation.method} {operation.path}": operation
        for operation in target.contract
        if not options.operations or operation.operation_id in options.operations
    }
    results = {
        label: OperationResult(operation.method, operation.path, operation.operation_id)
        for label, operation in operations.items()
    }
    report = CheckReport(
        contract=target.file,
        title=target.contract.title,
        base_url=target.base_url,
        seed=seed,
        operations=list(results.values()),
        max_examples=options.max_examples,
        time_limit=options.time_limit,
    )
    _Collector(report, results, operations).run(schema, options.time_limit)
    _judge_reach(report, target, options.headers)
    return report


def _judge_reach(report: CheckReport, target: Target, headers: Mapping[str, str]) -> None:
    """An operation no case was sent to, or that no answer came from, has not passed: say why (``_reach.py``)."""
    for result in report.operations:
        if result.cases == 0 and not result.errors and not result.failures:
            why = "the time limit was reached before it" if report.time_limited else "schemathesis generated none"
            result.failures.append(
                ContractFailure("not_exercised", "No case was sent", f"No request was sent to it: {why}.", "", "")
            )
        elif result.answered and not result.reached:
            # What the answers broke is about whatever answered them, not about the operation.
            result.failures[:] = [
                ContractFailure(
                    "not_reached",
                    "No answer came from the operation",
                    f"Every one of {result.answered:,} answers came from something in front of it, e.g. "
                    f"{result.stray}: a 404 or 405 that is not an answer the contract documents for this operation "
                    "(a router's 'no such path' or 'no such method').",
                    result.stray_curl,
                    result.stray_phase,
                )
            ]
    if report.reached_nothing:
        found = suggest_base_url(target, headers)
        where = f"{target.file}" if str(target.file) else target.contract.title
        message = f"no operation of {where} answered at {target.base_url} — is the base path right?"
        if found is not None:
            own = server_path(target.contract.document)
            advice = f"--url {found}" if not own or found.endswith(own) else f"--url {found} --base-path ''"
            message += f" Its operations answer at {found} (try {advice})."
        else:
            sample = next(result.stray for result in report.operations if result.stray)
            message += f" Every answer came from something else, e.g. {sample}."
        if report.stopped_unreached:
            message += " (The check stopped once every operation had answers and none came from it.)"
        report.errors.append(message)


def _exclusions(target: Target, names: tuple[str, ...]) -> list[tuple[str, str | None]]:
    """``("check", None)`` for a check off everywhere, ``("check", "operationId")`` for one operation only."""
    exclusions: list[tuple[str, str | None]] = []
    for name in names:
        check, _, operation_id = name.partition(":")
        if check not in CHECK_NAMES:
            hint = suggest(check, CHECK_NAMES, limit=None)
            raise ConfigError(
                f"--exclude-check {name!r}: {check!r} is not a schemathesis check; {hint}", field="exclude_check"
            )
        if operation_id:
            target.contract.operation(operation_id)  # ContractError with a did-you-mean
        exclusions.append((check, operation_id or None))
    return exclusions


def _load(target: Target, options: CheckOptions, seed: int, exclusions: list[tuple[str, str | None]]) -> BaseSchema:
    """The schemathesis schema for the target, configured from ``options`` (no config file, no caches on disk)."""
    config = schemathesis.Config.from_dict(
        {
            "operations": [
                {"include-operation-id": operation_id, "checks": {check: {"enabled": False}}}
                for check, operation_id in exclusions
                if operation_id is not None
            ]
        }
    )
    config.update(seed=seed, max_failures=None)
    config.cache.enabled = False
    project = config.projects.override
    project.update(
        base_url=target.base_url,
        headers=dict(options.headers),
        request_timeout=options.request_timeout,
        request_retries=0,
        workers=options.workers,
    )
    project.phases.update(phases=list(options.phases))
    project.generation.update(max_examples=options.max_examples, database="none")
    everywhere = [check for check, operation_id in exclusions if operation_id is None]
    if everywhere:
        project.checks.update(excluded_check_names=everywhere)
    try:
        document = copy.deepcopy(dict(target.contract.document))  # schemathesis may change what it is given
        schema: BaseSchema = schemathesis.openapi.from_dict(document, config=config)
    except (LoaderError, InvalidSchema) as exc:
        raise ContractError(f"schemathesis cannot use this contract: {exc}", file=str(target.file)) from None
    if options.operations:
        # Excluded rather than included: schemathesis ORs include filters, and a per-operation setting (above)
        # is one that takes every operation, so ``include`` would have let every operation through.
        wanted = {f"{op.method} {op.path}" for op in target.contract if op.operation_id in options.operations}
        schema = schema.exclude(func=lambda context: context.operation.label not in wanted)
    return schema


class _Collector:
    """Feeds the engine's events into the report."""

    def __init__(
        self, report: CheckReport, results: dict[str, OperationResult], operations: Mapping[str, Operation]
    ) -> None:
        self.report = report
        self.results = results
        self.operations = operations
        self.seen: set[tuple[str, str, str, str]] = set()  # (operation, check, title, message): report each once

    def run(self, schema: BaseSchema, time_limit: float | None) -> None:
        started = time.monotonic()
        stream = from_schema(schema).execute()
        limit_reached = threading.Event()

        def stop() -> None:
            limit_reached.set()
            stream.stop()

        timer = threading.Timer(time_limit, stop) if time_limit is not None else None
        if timer is not None:
            timer.daemon = True
            timer.start()
        try:
            for event in stream:
                self.on_event(event)
                if not self.report.stopped_unreached and self.nothing_answers():
                    self.report.stopped_unreached = True  # looking further would only find more of the same
                    stream.stop()
        finally:
            if timer is not None:
                timer.cancel()
        self.report.seconds = time.monotonic() - started
        self.report.time_limited = limit_reached.is_set()

    def nothing_answers(self) -> bool:
        """Every operation has had answers, and none came from an operation: the base URL is wrong."""
        results = self.results.values()
        return all(result.answered for result in results) and not any(result.reached for result in results)

    def on_event(self, event: engine_events.EngineEvent) -> None:
        if isinstance(event, engine_events.ScenarioFinished):
            self.on_scenario(event)
        elif isinstance(event, engine_events.NonFatalError):
            message = mask_text(event.info.message)
            if event.label in ("checks", "schema"):  # raised before any request: the set-up is wrong
                raise LendsimError(f"schemathesis cannot run the check ({event.label}): {message}")
            result = self.results.get(event.label)
            errors = result.errors if result is not None else self.report.errors
            line = message if result is not None else f"{event.label}: {message}"
            if line not in errors:
                errors.append(line)
        elif isinstance(event, engine_events.FatalError):
            raise LendsimError(f"schemathesis stopped: {mask_text(str(event.exception))}")

    def on_scenario(self, event: engine_events.ScenarioFinished) -> None:
        recorder: ScenarioRecorder = event.recorder
        phase = event.phase.value
        for case_id, node in recorder.cases.items():
            result = self.results.get(node.value.operation.label)
            if result is None or case_id not in recorder.interactions:
                continue  # another operation's, or never sent
            result.cases += 1
            if phase == "stateful":
                self.report.stateful_cases += 1
            response = recorder.interactions[case_id].response
            if response is not None and node.value.method.upper() == result.method:
                self.on_answer(result, node.value, response, phase)
        if event.label in self.results:
            self.results[event.label].seconds += event.elapsed_time
        for case_id, checks in recorder.checks.items():
            for check in checks:
                if check.failure_info is None:
                    continue
                failure = check.failure_info.failure
                node = recorder.cases.get(failure.case_id or case_id) or recorder.cases[case_id]
                result = self.results.get(node.value.operation.label)
                if result is None:
                    continue
                message = mask_text(failure.message)
                key = (result.label, check.name, failure.title, message)
                if key in self.seen:
                    continue
                self.seen.add(key)
                curl = mask_curl(check.failure_info.code_sample)
                result.failures.append(ContractFailure(check.name, failure.title, message, curl, phase))

    def on_answer(self, result: OperationResult, case: Case[Any], response: Response, phase: str) -> None:
        """Count the answer, and whether it came from the operation (``_reach.py``)."""
        result.answered += 1
        content_type = next(iter(response.headers.get("content-type") or ()), None)
        content = response.content if len(response.content) >= response.content_size else None
        if from_operation(self.operations[result.label], response.status_code, content_type, content):
            result.reached += 1
        elif not result.stray:
            result.stray = describe_answer(response.status_code, content_type, response.content)
            result.stray_curl = mask_curl(case.as_curl_command())
            result.stray_phase = phase


def mask_curl(curl: str) -> str:
    """The curl line with IDs, phones and cards masked everywhere, and names masked inside a JSON body."""
    try:
        words = shlex.split(curl)
    except ValueError:
        return mask_text(curl)
    if "\n" in curl or not words or words[0] != "curl":
        return mask_text(curl)
    masked = []
    for index, word in enumerate(words):
        if index > 0 and words[index - 1] in ("-d", "--data", "--data-raw", "--data-binary"):
            masked.append(_mask_body(word))
        else:
            masked.append(mask_text(word))
    return shlex.join(masked)


def _mask_body(text: str) -> str:
    try:
        value = json.loads(text)
    except ValueError:
        return mask_text(text)
    return json.dumps(mask_value(value, name_keys=NAME_KEYS), ensure_ascii=False)
