"""Safe YAML loading that remembers where each value came from.

Contracts and scenarios are written by people; their errors must name the file, line and column.
PyYAML's ``compose`` gives a node tree with marks; we construct plain Python data from it with the
safe constructor (no python tags, no code), refuse documents whose aliases expand past a bound
(a "billion laughs" file), and keep the tree to map a key path back to a line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

__all__ = ["MAX_NODES", "Finding", "YamlDocument", "YamlError", "dotted", "load_yaml"]

#: Upper bound on the number of nodes a document may expand to once aliases are followed.
MAX_NODES = 200_000

_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """Keys are kept as written: ``no:`` stays "no" (not False) and ``200:`` stays "200" (not 200)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise yaml.constructor.ConstructorError(
                None, None, f"expected a mapping node, but found {node.id}", node.start_mark
            )
        self.flatten_mapping(node)
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key: Any = key_node.value
            else:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    "a key must be a plain value, not a list or mapping",
                    key_node.start_mark,
                )
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:  # 2019-02-30: looks like a date, is none
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a real date ({exc})", node.start_mark
            ) from None


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_yaml_map)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in a file, positioned for an editor (``file:line:column: key.path: message``)."""

    file: str
    line: int | None
    column: int | None
    path: str  # key path, e.g. "faults[0].outage.status" or "paths./repayments.post"
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        return f"{where}: {self.path + ': ' if self.path else ''}{self.message}"


def dotted(parts: Sequence[str | int]) -> str:
    """A key path for people: ``faults[0].outage.status``."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass(frozen=True, slots=True)
class YamlError(Exception):
    """A YAML text cannot be read: what is wrong, with a 1-based line and column when known."""

    reason: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.reason
        return f"line {self.line}, column {self.column}: {self.reason}"


class YamlDocument:
    """Plain data (dicts, lists, scalars) plus the node tree it came from."""

    __slots__ = ("_root", "data")

    def __init__(self, data: Any, root: yaml.Node | None) -> None:
        self.data = data
        self._root = root

    def position(self, path: Sequence[str | int]) -> tuple[int, int] | None:
        """(line, column), 1-based, of the deepest node on ``path`` that exists; None for an empty file.

        For a mapping entry the position is its key's, which is where a reader looks.
        """
        node = self._root
        if node is None:
            return None
        mark = node.start_mark
        for step in path:
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(step):
                        mark, node = key_node.start_mark, value_node
                        break
                else:
                    break
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
                node = node.value[step]
                mark = node.start_mark
            else:
                break
        return mark.line + 1, mark.column + 1


def _expanded_size(node: yaml.Node, memo: dict[int, int], depth: int = 0) -> int:
    key = id(node)
    if key in memo:
        return memo[key]
    if depth > 200:
        raise YamlError("the document nests deeper than 200 levels", node.start_mark.line + 1)
    memo[key] = 1  # a recursive alias counts once instead of looping
    size = 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            size += _expanded_size(k, memo, depth + 1) + _expanded_size(v, memo, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            size += _expanded_size(item, memo, depth + 1)
    memo[key] = size
    if size > MAX_NODES:
        raise YamlError(
            f"the document expands to more than {MAX_NODES:,} values once its aliases are followed; "
            "write the values out instead of repeating aliases",
            node.start_mark.line + 1,
            node.start_mark.column + 1,
        )
    return size


def load_yaml(text: str) -> YamlDocument:
    """Parse one YAML document safely; raise :class:`YamlError` with a position on any problem."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return YamlDocument(None, None)
        _expanded_size(root, {})
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = " ".join(part for part in (exc.context, exc.problem) if part) or str(exc)
        if "could not determine a constructor" in reason:
            reason += " (tags that run code are not allowed; remove the tag)"
        if mark is None:
            raise YamlError(reason) from None
        raise YamlError(reason, mark.line + 1, mark.column + 1) from None
    except yaml.YAMLError as exc:
        raise YamlError(str(exc)) from None
    except RecursionError:
        raise YamlError("the document nests too deeply to read") from None
    finally:
        loader.dispose()
    return YamlDocument(data, root)
