"""Load an OpenAPI contract: YAML or JSON → checked → indexed operations, its ``$ref``s kept.

``load_contract(path) → Contract``. Every problem is a :class:`ContractError` with the file, the JSON
pointer of the offending node and its line, never a traceback from a parser.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from simulator._suggest import closest, suggest, suggestion
from simulator._yaml import YamlDocument, YamlError, load_yaml, read_text
from simulator.errors import ContractError
from simulator.openapi._operations import Operation, OperationIndex, build_operation
from simulator.openapi._refs import References

__all__ = ["Contract", "load_contract", "load_contracts", "upgrade_30"]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

#: A contract with at most this many operations compiles every validator at load (a schema that does not compile
#: is then reported at once); a bigger one compiles each operation's on its first request (``lendsim lint`` still
#: compiles them all), so Stripe's 468 operations load in seconds and what an operation never serves never costs.
EAGER_OPERATIONS: Final = 64

#: How many validators a bigger contract keeps compiled at once (each of Stripe's holds 10-30 MB): compiling one
#: more forgets the one compiled longest ago, which compiles again (~0.1 s) if it is needed again.
COMPILED_AT_ONCE: Final = 24


def _count_operations(document: Mapping[str, Any]) -> int:
    return sum(
        sum(1 for method in HTTP_METHODS if method in item) if isinstance(item, Mapping) else 1
        for section in ("paths", "webhooks")
        for item in (document.get(section) or {}).values()
    )


@dataclass(frozen=True, slots=True, eq=False)
class Contract:
    """One partner's OpenAPI document, with its operations indexed and their validators compiled."""

    name: str
    path: Path | None
    document: Mapping[str, Any]  # as written (with $refs), served at /{partner}/openapi.json
    operations: OperationIndex
    webhooks: Mapping[str, Operation] = field(default_factory=dict)
    references: References | None = field(default=None, repr=False)

    @property
    def compiled_validators(self) -> int:
        """How many of its validators are compiled now (they compile on first use beyond EAGER_OPERATIONS)."""
        return self.references.compiled if self.references is not None else 0

    @property
    def title(self) -> str:
        return str(self.document.get("info", {}).get("title", self.name))

    def __iter__(self) -> Iterator[Operation]:
        return iter(self.operations)

    def operation(self, operation_id: str) -> Operation:
        """The operation (or webhook) named ``operation_id``; ContractError with the closest names if none."""
        found = self.operations.by_id.get(operation_id) or self.webhooks.get(operation_id)
        if found is not None:
            return found
        known = [*self.operations.by_id, *self.webhooks]
        raise ContractError(
            f"no operation {operation_id!r} in contract {self.name!r}; {suggest(operation_id, known, n=3, limit=None)}",
            file=str(self.path or ""),
        )


def _pointer(parts: tuple[str | int, ...]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _error(reason: str, file: str, source: YamlDocument | None, parts: tuple[str | int, ...]) -> ContractError:
    line = None
    if source is not None:
        pos = source.position(parts)
        line = pos[0] if pos else None
    return ContractError(reason, file=file, pointer=_pointer(parts), line=line)


def _resolve_local(document: Any, ref: str) -> bool:
    node = document
    for raw in ref[2:].split("/") if ref != "#" else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


#: The keywords that refer to another document when their value does not start with "#".
_REFERENCES = ("$ref", "$dynamicRef")


def external_refs(node: Any, parts: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every reference (``$ref``, ``$dynamicRef``) to something outside the document — a file, a URL — with the key
    path of its keyword: lendsim never follows one (it would read files or open connections a contract names)."""
    if isinstance(node, Mapping):
        for keyword in _REFERENCES:
            ref = node.get(keyword)
            if isinstance(ref, str) and not ref.startswith("#"):
                yield (*parts, keyword), ref
        for key, value in node.items():
            yield from external_refs(value, (*parts, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from external_refs(value, (*parts, index))


def external_ref_reason(ref: str) -> str:
    return (
        f"{ref!r} refers outside this document; lendsim resolves only references inside it (#/components/…) and "
        "never reads the files or URLs a contract names: copy the definition into components and refer to it there"
    )


def _check_refs(node: Any, root: Any, file: str, source: YamlDocument | None, parts: tuple[str | int, ...]) -> None:
    """Every local ``$ref`` must point at something: name the broken one and where it is."""
    if isinstance(node, Mapping):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#") and not _resolve_local(root, ref):
            section, _, name = ref.rpartition("/")
            siblings: list[str] = []
            if _resolve_local(root, section):
                holder: Any = root
                for raw in section[2:].split("/"):
                    holder = holder[raw.replace("~1", "/").replace("~0", "~")]
                siblings = [str(k) for k in holder] if isinstance(holder, Mapping) else []
            hint = suggestion([f"{section}/{match}" for match in closest(name, siblings)])
            raise _error(f"$ref {ref!r} points at nothing{'; ' + hint if hint else ''}", file, source, (*parts, "$ref"))
        for key, value in node.items():
            _check_refs(value, root, file, source, (*parts, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _check_refs(value, root, file, source, (*parts, index))


def _normalise_keys(node: Any) -> Any:
    """YAML reads ``200:`` as an int; OpenAPI means the string "200"."""
    if isinstance(node, dict):
        return {str(k) if isinstance(k, int) else k: _normalise_keys(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_normalise_keys(v) for v in node]
    return node


#: Keywords whose values are data, not schemas: an example object with a ``nullable`` key stays as written.
_DATA_KEYWORDS: Final = frozenset({"example", "examples", "enum", "const", "default"})


#: Keywords whose values map names (which may be ``example`` or ``default``) to schemas.
_MAPS: Final = frozenset({"properties", "patternProperties", "$defs", "definitions", "schemas"})


def _map_of(upgrade: Callable[[Any], Any], node: Any) -> Any:
    return {k: upgrade(v) for k, v in node.items()} if isinstance(node, dict) else upgrade(node)


def upgrade_30(node: Any) -> Any:
    """OpenAPI 3.0 schemas → JSON Schema 2020-12: ``nullable`` and boolean exclusive bounds.

    ``nullable: true`` adds ``null`` to the ``type`` (and to an ``enum``, which would refuse it otherwise); a
    nullable schema without a ``type`` (``allOf: [{$ref: …}]``, a bare ``enum``) becomes ``anyOf`` it or null.
    """
    if isinstance(node, dict):
        out = {
            k: v if k in _DATA_KEYWORDS else _map_of(upgrade_30, v) if k in _MAPS else upgrade_30(v)
            for k, v in node.items()
        }
        return _nullable_upgraded(out)
    if isinstance(node, list):
        return [upgrade_30(v) for v in node]
    return node


def _nullable_upgraded(out: dict[str, Any]) -> dict[str, Any]:
    """One schema's own 3.0 keywords (its subschemas already upgraded) as JSON Schema 2020-12."""
    if isinstance(out.get("nullable"), bool) and out.pop("nullable"):
        if "enum" in out and isinstance(out["enum"], list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        if "type" in out:
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = types if "null" in types else [*types, "null"]
        elif out:
            out = {"anyOf": [out, {"type": "null"}]}
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(out.get(bound), bool) and out.pop(bound) and limit in out:
            out[bound] = out.pop(limit)
    return out


#: The ranges of OpenAPI's integer formats (OpenAPI 3.1, "Data Types"), which JSON Schema does not know.
_INTEGER_RANGES: Final = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def integer_ranges(node: Any) -> Any:
    """Each ``format: int32`` or ``int64`` schema with the bounds its format means (a bound already narrower
    stays): a validator skips formats it does not know, and an int32 field took 2**40."""
    if isinstance(node, dict):
        out = {
            k: v if k in _DATA_KEYWORDS else _map_of(integer_ranges, v) if k in _MAPS else integer_ranges(v)
            for k, v in node.items()
        }
        fmt = out.get("format")
        bounds = _INTEGER_RANGES.get(fmt) if isinstance(fmt, str) else None
        if bounds is not None:
            low, high = bounds
            out["minimum"] = max(out["minimum"], low) if _is_number(out.get("minimum")) else low
            out["maximum"] = min(out["maximum"], high) if _is_number(out.get("maximum")) else high
        return out
    if isinstance(node, list):
        return [integer_ranges(v) for v in node]
    return node


def _schemas_upgraded(node: Any, *, openapi_30: bool) -> Any:
    """``integer_ranges(upgrade_30(node))`` (``integer_ranges(node)`` for 3.1) in one copy of the document."""
    if isinstance(node, dict):
        out: dict[str, Any] = {
            k: v
            if k in _DATA_KEYWORDS
            else {name: _schemas_upgraded(sub, openapi_30=openapi_30) for name, sub in v.items()}
            if k in _MAPS and isinstance(v, dict)
            else _schemas_upgraded(v, openapi_30=openapi_30)
            for k, v in node.items()
        }
        fmt = out.get("format")
        bounds = _INTEGER_RANGES.get(fmt) if isinstance(fmt, str) else None
        if bounds is not None:
            low, high = bounds
            out["minimum"] = max(out["minimum"], low) if _is_number(out.get("minimum")) else low
            out["maximum"] = min(out["maximum"], high) if _is_number(out.get("maximum")) else high
        return _nullable_upgraded(out) if openapi_30 else out
    if isinstance(node, list):
        return [_schemas_upgraded(v, openapi_30=openapi_30) for v in node]
    return node


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _read(path: Path) -> tuple[Any, YamlDocument | None]:
    try:
        text = read_text(path)
    except FileNotFoundError:
        raise ContractError("no such file; check the path", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ContractError(f"cannot read the file: {exc}", file=str(path)) from None
    if path.suffix == ".json":
        try:
            return json.loads(text), None
        except json.JSONDecodeError as exc:
            raise ContractError(f"invalid JSON: {exc.msg}", file=str(path), line=exc.lineno) from None
    try:
        source = load_yaml(text)
    except YamlError as exc:
        raise ContractError(f"invalid YAML: {exc.reason}", file=str(path), line=exc.line) from None
    return source.data, source


def _name_from(path: Path) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", path.stem.lower()).strip("_") or "partner"


_CACHE: dict[tuple[str, int, int, str | None], Contract] = {}


def load_contract(path: str | Path, *, name: str | None = None, document: Any = None) -> Contract:
    """Load, check and index one contract file (or an already parsed ``document``).

    A contract is immutable, so a file loaded once is reused until it changes on disk.
    """
    if document is None:
        try:
            stat = Path(path).stat()
        except OSError:
            stat = None
        if stat is not None:
            key = (str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size, name)
            cached = _CACHE.get(key)
            if cached is None:
                cached = _CACHE[key] = _load_contract(path, name=name, document=None)
            return cached
    return _load_contract(path, name=name, document=document)


def _load_contract(path: str | Path, *, name: str | None, document: Any) -> Contract:
    file_path = Path(path)
    file = str(file_path)
    source: YamlDocument | None = None
    from_file = document is None
    if document is None:
        document, source = _read(file_path)
    if not isinstance(document, Mapping):
        raise ContractError(
            f"an OpenAPI document is a mapping with 'openapi', 'info' and 'paths'; got {type(document).__name__}",
            file=file,
        )
    version = document.get("openapi")
    if not isinstance(version, str) or not re.fullmatch(r"3\.[01]\.\d+", version):
        raise _error(
            f"'openapi' must be a 3.0.x or 3.1.x version string, got {version!r}; write e.g. openapi: 3.1.0",
            file,
            source,
            ("openapi",),
        )
    paths = document.get("paths", {})
    if not isinstance(paths, Mapping):
        raise _error(
            f"'paths' must be a mapping of path templates, got {type(paths).__name__}", file, source, ("paths",)
        )
    # JSON's keys are strings already: only YAML's (``200:``) need normalising, a copy of the whole document.
    raw = dict(document) if from_file and file_path.suffix == ".json" else _normalise_keys(dict(document))
    for parts, ref in external_refs(raw):
        raise _error(external_ref_reason(ref), file, source, parts)
    _check_refs(raw, raw, file, source, ())
    # Schemas become JSON Schema once, in place of their references: each is then rewritten once, not once per use.
    # References are kept (see simulator.openapi._refs): a contract is never expanded into one tree.
    refs = References(_schemas_upgraded(raw, openapi_30=version.startswith("3.0")))
    eager = _count_operations(refs.document) <= EAGER_OPERATIONS
    refs.capacity = None if eager else COMPILED_AT_ONCE
    upgraded = refs.document
    partner = name or _name_from(file_path)

    operations: list[Operation] = []
    for template, written in upgraded.get("paths", {}).items():
        try:
            item, item_parts = refs.follow(written, ("paths", template))
        except ContractError as exc:
            raise _error(exc.reason, file, source, ("paths", template)) from None
        if not isinstance(item, Mapping):
            raise _error(f"path item {template!r} must be a mapping", file, source, ("paths", template))
        if not template.startswith("/"):
            raise _error(f"path {template!r} must start with '/'", file, source, ("paths", template))
        shared = item.get("parameters") or []
        for method in HTTP_METHODS:
            if method in item:
                where = (*item_parts, method)
                try:
                    operations.append(build_operation(partner, method, template, item[method], shared, refs, where))
                except ContractError as exc:
                    raise _error(
                        exc.reason, file, source, (*where, *(p for p in exc.pointer.strip("/").split("/") if p))
                    ) from None
    webhooks: dict[str, Operation] = {}
    for hook_name, written in (upgraded.get("webhooks") or {}).items():
        try:
            item, item_parts = refs.follow(written, ("webhooks", hook_name))
        except ContractError as exc:
            raise _error(exc.reason, file, source, ("webhooks", hook_name)) from None
        for method in HTTP_METHODS:
            if isinstance(item, Mapping) and method in item:
                try:
                    hook = build_operation(
                        partner, method, f"/{hook_name}", item[method], (), refs, (*item_parts, method)
                    )
                except ContractError as exc:
                    raise _error(exc.reason, file, source, ("webhooks", hook_name, method)) from None
                webhooks[hook.operation_id] = hook
    if eager:
        for operation in [*operations, *webhooks.values()]:
            try:
                operation.compile()
            except ContractError as exc:
                raise ContractError(f"{operation.method} {operation.path} {exc.reason}", file=file) from None
    try:
        index = OperationIndex(operations)
    except ContractError as exc:
        raise ContractError(exc.reason, file=file) from None
    return Contract(
        name=partner,
        path=file_path if from_file else None,
        document=raw,
        operations=index,
        webhooks=webhooks,
        references=refs,
    )


def load_contracts(directory: str | Path) -> dict[str, Contract]:
    """Every ``*.yaml``/``*.yml``/``*.json`` contract in ``directory``, keyed by partner name (the file stem)."""
    folder = Path(directory)
    if not folder.is_dir():
        raise ContractError(
            "not a directory of contracts; give the folder holding bank.yaml, sms.yaml, …", file=str(folder)
        )
    contracts: dict[str, Contract] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix in (".yaml", ".yml", ".json") and path.is_file():
            contract = load_contract(path)
            contracts[contract.name] = contract
    return contracts
