"""What ``lendsim check`` prints, and its JUnit XML: one line per operation, then each broken rule with its request."""

from __future__ import annotations

from pathlib import Path

from simulator._junit import JUnitCase, JUnitSuite, write_junit
from simulator.conformance._results import CheckReport, ContractFailure, OperationResult

__all__ = ["console_report", "write_check_junit"]

SHOWN_PER_OPERATION = 5  # failures printed per operation (the JUnit file has them all)
MESSAGE_LINES = 14  # lines of a check's explanation printed (schemas can be long)


def console_report(report: CheckReport, *, replay: str | None = None) -> str:
    """The summary a person reads: per operation passed/FAILED and counts, then the details of each failure."""
    limit = f"time limit {report.time_limit:g} s" if report.time_limit is not None else "no time limit"
    out = [
        f"{report.title} ({report.contract}) at {report.base_url}",
        f"seed {report.seed}, up to {report.max_examples} generated cases per operation and phase, {limit}",
        "",
    ]
    width = max((len(result.name) for result in report.operations), default=0)
    for result in report.operations:
        out.append(f"  {'passed' if result.passed else 'FAILED'}  {result.name:<{width}}  {_counts(result)}")
    for result in report.failed:
        if report.reached_nothing and _unreached(result):
            continue  # one line below says it for all of them (the --junit report has each)
        out.append("")
        out.append(f"{result.name}")
        for failure in result.failures[:SHOWN_PER_OPERATION]:
            out.extend(_failure_lines(failure))
        if len(result.failures) > SHOWN_PER_OPERATION:
            out.append(f"  … and {len(result.failures) - SHOWN_PER_OPERATION} more (all in the --junit report)")
        out.extend(f"  no answer: {error}" for error in result.errors[:SHOWN_PER_OPERATION])
    if report.errors:
        out.append("")
        out.extend(f"error: {error}" for error in report.errors)
    failed, total = len(report.failed), len(report.operations)
    out.append("")
    out.append(
        f"{total} operation{'' if total == 1 else 's'}: {total - failed} passed, {failed} failed; "
        f"{report.cases:,} cases ({report.stateful_cases:,} along links) in {report.seconds:.1f} s"
    )
    if report.time_limited:
        out.append(
            f"Time limit of {report.time_limit:g} s reached: generation stopped early, so fewer cases ran than "
            "asked; raise --time-limit to look further."
        )
    if not report.passed and replay:
        out.append(f"replay: {replay}")
    return "\n".join(out)


def _unreached(result: OperationResult) -> bool:
    return bool(result.answered) and not result.reached


def _counts(result: OperationResult) -> str:
    text = f"{result.cases:,} case{'' if result.cases == 1 else 's'}"
    if not result.cases and not result.errors:
        return text + ", none sent"
    if _unreached(result):
        return text + ", none answered by the operation"
    if result.failures:
        text += f", {len(result.failures)} rule{'s' if len(result.failures) > 1 else ''} broken"
    if result.errors:
        text += f", {len(result.errors)} without an answer"
    return text


def _failure_lines(failure: ContractFailure) -> list[str]:
    lines = [f"  - {failure.check}: {failure.title}" + (f" ({failure.phase})" if failure.phase else "")]
    message = [line for line in failure.message.strip().splitlines()]
    lines.extend(f"      {line}".rstrip() for line in message[:MESSAGE_LINES])
    if len(message) > MESSAGE_LINES:
        lines.append("      …")
    if failure.curl:
        lines.append(f"    request: {failure.curl}")
    return lines


def write_check_junit(report: CheckReport, path: Path) -> None:
    """One test case per operation (failed with every broken rule and its request), plus one for run errors."""
    classname = f"lendsim.check.{report.contract.stem}"
    cases = [_junit_case(classname, result) for result in report.operations]
    if report.errors:
        summary = "no operation of the contract answered" if report.reached_nothing else "the check itself failed"
        # The check could not judge: a JUnit error (as lendsim run reports a platform failing), not a failure.
        cases.append(JUnitCase(classname, "(run)", error=summary, details="\n".join(report.errors)))
    write_junit([JUnitSuite(f"lendsim check {report.title}", cases, report.seconds)], path)


def _junit_case(classname: str, result: OperationResult) -> JUnitCase:
    if result.passed:
        return JUnitCase(classname, result.name, result.seconds)
    checks = sorted({failure.check for failure in result.failures})
    summary = ", ".join(checks) if checks else "no answer"
    details = [
        f"{failure.check}: {failure.title}\n{failure.message}" + (f"\nrequest: {failure.curl}" if failure.curl else "")
        for failure in result.failures
    ]
    details.extend(f"no answer: {error}" for error in result.errors)
    return JUnitCase(classname, result.name, result.seconds, failure=summary, details="\n\n".join(details))
