"""Read a scenario file: bounded in size, safe YAML (no tags, no alias bombs or loops), a mapping of keys.

What makes a file unreadable stops here, as a :class:`ScenarioError` with the position; everything else
(repeated keys, the schema, meaning) is for the checks that follow, which report all of a file at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simulator._yaml import Finding, YamlDocument, YamlError, load_yaml, read_text
from simulator.scenario._findings import Findings, ScenarioError
from simulator.scenario._schema import check_schema, jsonable

__all__ = ["MAX_SCENARIO_BYTES", "read_scenario", "read_source", "report_duplicates"]

#: A scenario is a page or two of YAML; anything this big is a mistake (or an attack).
MAX_SCENARIO_BYTES = 1024 * 1024


def _fatal(file: str, message: str, line: int | None = None, column: int | None = None) -> ScenarioError:
    return ScenarioError([Finding(file, line, column, "", message)])


_SCENARIO_KEYS = "name, start, duration, expect, …"
_EMPTY_SCENARIO = (
    "the file is empty; a scenario needs at least 'name', 'start', 'duration' and 'expect' (see docs/scenarios.md)"
)


def read_source(
    path: str | Path, *, what: str = "a scenario", keys: str = _SCENARIO_KEYS, empty: str | None = _EMPTY_SCENARIO
) -> YamlDocument:
    """The file's YAML document, holding a mapping; ScenarioError (one finding) when it cannot be read as one.

    ``what`` names the kind of file and ``keys`` what its mapping holds, for the messages; ``empty`` is the message
    for an empty file, or ``None`` when an empty file is an empty mapping (its ``data`` is then ``None``)."""
    file = str(path)
    try:
        size = Path(path).stat().st_size
        if size > MAX_SCENARIO_BYTES:
            raise _fatal(file, f"the file is {size:,} bytes; {what} is at most {MAX_SCENARIO_BYTES:,}")
        text = read_text(path, limit=MAX_SCENARIO_BYTES)
    except FileNotFoundError:
        raise _fatal(file, "no such file; check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _fatal(file, f"cannot read the file: {exc}") from None
    try:
        source = load_yaml(text)
    except YamlError as exc:
        raise _fatal(file, f"invalid YAML: {exc.reason}", exc.line, exc.column) from None
    if source.data is None:
        if empty is None:
            return source
        raise _fatal(file, empty, 1, 1)
    if not isinstance(source.data, dict):
        raise _fatal(
            file, f"{what} is a mapping of keys ({keys}); this file holds a {type(source.data).__name__}", 1, 1
        )
    return source


def report_duplicates(source: YamlDocument, out: Findings) -> None:
    """Each key a mapping of the file repeats is an error, at the repetition, naming both lines."""
    for duplicate in source.duplicates:
        out.add(duplicate.path, str(duplicate), at=duplicate.second)


def read_scenario(path: str | Path) -> tuple[dict[str, Any], YamlDocument]:
    """The scenario's data, checked against the schema; ScenarioError listing every such problem otherwise.

    (The checks of meaning are :func:`~simulator.scenario.load_scenario`'s and ``lint_scenario``'s.)"""
    source = read_source(path)
    out = Findings(str(path), source)
    report_duplicates(source, out)
    data = jsonable(source.data)
    check_schema(data, out)
    out.raise_if_errors()
    return data, source
