"""What a check of a scenario reports: findings positioned by key path, and the error that carries them.

Every module of the package reports through :class:`Findings` (schema, meaning, the rules that warn), so a
file's problems come out together, in line order, each as ``file:line:column: error|warning: key.path: …``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from simulator._yaml import Finding, Severity, YamlDocument, dotted
from simulator.errors import LendsimError

__all__ = ["Findings", "ScenarioError", "in_order"]


def in_order(findings: Iterable[Finding]) -> list[Finding]:
    """``findings`` by file, line and column — the order an editor lists them in."""
    return sorted(findings, key=lambda finding: finding.order)


class ScenarioError(LendsimError):
    """A scenario has errors; ``findings`` lists every problem (errors and warnings) with its position."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        self.findings = in_order(findings)
        super().__init__("\n".join(str(finding) for finding in self.findings))

    @property
    def errors(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.severity == "error"]


class Findings:
    """The findings about one scenario, each positioned from the key path it is about."""

    def __init__(self, file: str, source: YamlDocument | None = None) -> None:
        self.file = file
        self.source = source
        self.found: list[Finding] = []

    def error(self, parts: Sequence[str | int], message: str) -> None:
        self.add(parts, message, "error")

    def warn(self, parts: Sequence[str | int], message: str) -> None:
        self.add(parts, message, "warning")

    def add(
        self,
        parts: Sequence[str | int],
        message: str,
        severity: Severity = "error",
        *,
        at: tuple[int, int] | None = None,
    ) -> None:
        """A finding about the value at ``parts``, positioned there (or ``at`` a given line and column)."""
        pos = at or (self.source.position(parts) if self.source is not None else None)
        self.found.append(
            Finding(self.file, pos[0] if pos else None, pos[1] if pos else None, dotted(parts), message, severity)
        )

    def about(self, parts: Sequence[str | int]) -> bool:
        """Whether an error was reported at ``parts`` or below it."""
        prefix = dotted(parts)
        below = (f"{prefix}.", f"{prefix}[")
        return any(
            finding.severity == "error" and (finding.path == prefix or finding.path.startswith(below))
            for finding in self.found
        )

    @property
    def has_errors(self) -> bool:
        return any(finding.severity == "error" for finding in self.found)

    def raise_if_errors(self) -> None:
        if self.has_errors:
            raise ScenarioError(self.found)

    def sorted(self) -> list[Finding]:
        return in_order(self.found)
