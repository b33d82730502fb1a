"""Check a contract file the way ``lendsim lint`` reports it: file, line, column, key path, reason, fix.

Three passes, stopping at the first that fails: the text reads as YAML/JSON; the document is valid
OpenAPI (openapi-spec-validator); it loads (references resolve, operations index) and every example
validates against its own schema. A key a mapping repeats (the last value would silently win) is an error
whatever the passes find.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema_rs

from simulator._yaml import Finding, YamlDocument, YamlError, dotted, load_yaml
from simulator.errors import ContractError
from simulator.openapi._contract import load_contract

__all__ = ["Finding", "lint_contract"]

_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _finding(file: str, source: YamlDocument | None, parts: tuple[str | int, ...], message: str) -> Finding:
    pos = source.position(parts) if source is not None else None
    return Finding(file, pos[0] if pos else None, pos[1] if pos else None, dotted(parts), message)


def _examples(
    node: Any, parts: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], Mapping[str, Any], Any]]:
    """(path of the example, schema, example value) for every media type that has both."""
    if isinstance(node, Mapping):
        schema = node.get("schema")
        if isinstance(schema, Mapping) and ("example" in node or "examples" in node):
            if "example" in node:
                yield (*parts, "example"), schema, node["example"]
            for name, example in (node.get("examples") or {}).items():
                if isinstance(example, Mapping) and "value" in example:
                    yield (*parts, "examples", name, "value"), schema, example["value"]
        for key, value in node.items():
            if key not in ("example", "examples", "schema"):
                yield from _examples(value, (*parts, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _examples(value, (*parts, index))


def lint_contract(path: str | Path) -> list[Finding]:
    """Every problem found in the contract at ``path`` (empty when it is clean)."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [Finding(file, None, None, "", f"cannot read the file: {exc}")]
    try:
        source = load_yaml(text)
    except YamlError as exc:
        return [Finding(file, exc.line, exc.column, "", f"invalid YAML: {exc.reason}")]
    repeated = [
        Finding(file, *duplicate.second, dotted(duplicate.path), str(duplicate)) for duplicate in source.duplicates
    ]
    return sorted([*repeated, *_problems(path, file, source)], key=lambda finding: finding.order)


def _problems(path: str | Path, file: str, source: YamlDocument) -> list[Finding]:
    document = source.data
    if document is None:
        return [
            Finding(file, 1, 1, "", "the file is empty; a contract starts with 'openapi: 3.1.0', 'info' and 'paths'")
        ]
    if not isinstance(document, Mapping):
        return [
            Finding(
                file,
                1,
                1,
                "",
                f"a contract is a mapping ('openapi', 'info', 'paths'); this file holds a {type(document).__name__}",
            )
        ]
    version = str(document.get("openapi", ""))
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator  # ~1 s to import

    validator_cls = OpenAPIV30SpecValidator if version.startswith("3.0") else OpenAPIV31SpecValidator
    findings: list[Finding] = []
    try:
        spec_errors = list(validator_cls(_stringify_keys(document)).iter_errors())
    except Exception as exc:  # the validator chokes on some broken documents; report, don't crash
        spec_errors = []
        findings.append(Finding(file, None, None, "", f"not a valid OpenAPI document: {exc}"))
    for error in spec_errors[:50]:
        parts = tuple(getattr(error, "absolute_path", ()) or ())
        findings.append(_finding(file, source, parts, f"{error.message} (OpenAPI {version or '?'})"))
    if findings:
        return findings
    try:
        contract = load_contract(path)
    except ContractError as exc:
        parts = tuple(p.replace("~1", "/").replace("~0", "~") for p in exc.pointer.strip("/").split("/") if p)
        pos = source.position(parts) if parts else None
        return [
            Finding(file, exc.line or (pos[0] if pos else None), pos[1] if pos else None, dotted(parts), exc.reason)
        ]
    components = contract.document.get("components", {})
    for parts, schema, value in _examples(contract.document, ()):
        full = {"$schema": _DIALECT, **schema, "components": components}
        validator = jsonschema_rs.validator_for(full, validate_formats=True)
        for error in validator.iter_errors(value):
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.instance_path)
            findings.append(
                _finding(
                    file,
                    source,
                    parts,
                    f"example{where} does not match its schema: {error.message}; fix the example or the schema",
                )
            )
    return findings


def _stringify_keys(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {str(k): _stringify_keys(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_stringify_keys(v) for v in node]
    return node
