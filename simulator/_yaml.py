"""Safe YAML loading that remembers where each value came from.

Contracts and scenarios are written by people; their errors must name the file, line and column.
PyYAML's ``compose`` gives a node tree with marks; we construct plain Python data from it with the
safe constructor (no python tags, no code), refuse documents whose aliases expand past a bound — in values or
in characters (a "billion laughs" file, a long string repeated by aliases) — or refer to the value that contains
them (``name: &a [*a]``), note every key a mapping repeats (the last value would silently win), and keep the tree
to map a key path back to a line. :func:`read_text` reads a document's file: a regular file, of bounded size.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import yaml

__all__ = [
    "MAX_CHARACTERS",
    "MAX_FILE_BYTES",
    "MAX_NODES",
    "DuplicateKey",
    "Finding",
    "Severity",
    "YamlDocument",
    "YamlError",
    "dotted",
    "json_for_yaml",
    "load_yaml",
    "read_text",
    "top_level_keys",
]

#: Upper bound on the number of nodes a document may expand to once aliases are followed.
MAX_NODES = 200_000
#: Upper bound on the characters of the scalars (keys and values) a document expands to once aliases are followed:
#: what a program handing the data on (JSON, a schema validator) writes out.
MAX_CHARACTERS = 32 * 1024 * 1024
#: The largest file read as a contract or a scenario.
MAX_FILE_BYTES = 32 * 1024 * 1024

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

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_int(node)
        except ValueError:  # past Python's 4,300-digit limit on reading an integer from text
            digits = sum(char.isdigit() for char in str(node.value))
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"an integer of {digits:,} digits is too long to read; write a number of at most 4,300 digits",
                node.start_mark,
            ) from None


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_yaml_map)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in a file, positioned for an editor (``file:line:column: error: key.path: message``).

    An ``error`` makes the file unusable; a ``warning`` names something that runs but cannot mean what it
    says (``lendsim lint --strict`` treats warnings as errors).
    """

    file: str
    line: int | None
    column: int | None
    path: str  # key path as written, e.g. "faults[0].outage.status" or "paths./repayments.post"
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        return f"{where}: {self.severity}: {self.path + ': ' if self.path else ''}{self.message}"

    @property
    def order(self) -> tuple[str, int, int]:
        """Sort key: by file, then line and column (findings about the whole file first)."""
        return (self.file, self.line or 0, self.column or 0)


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


@dataclass(frozen=True, slots=True)
class DuplicateKey:
    """A mapping that gives ``key`` twice: at ``first`` and again at ``second`` (1-based line, column)."""

    path: tuple[str | int, ...]  # the key path of the repeated key
    key: str
    first: tuple[int, int]
    second: tuple[int, int]

    def __str__(self) -> str:
        (line, column), (again, column_again) = self.first, self.second
        where = (
            f"on line {line} and again on line {again}"
            if line != again
            else f"on line {line}, at columns {column} and {column_again}"
        )
        return f"the key {self.key!r} is given twice, {where}; the second would silently replace the first: keep one"


class YamlDocument:
    """Plain data (dicts, lists, scalars) plus the node tree it came from, and the keys it repeats."""

    __slots__ = ("_root", "data", "duplicates")

    def __init__(self, data: Any, root: yaml.Node | None, duplicates: Sequence[DuplicateKey] = ()) -> None:
        self.data = data
        self._root = root
        self.duplicates = tuple(duplicates)

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


def read_text(path: str | os.PathLike[str], *, limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of the regular file at ``path``, of at most ``limit`` bytes.

    Raises OSError (its message says what the path is and what to give instead) for anything else — a FIFO, which
    would block until something writes to it, a device such as /dev/zero, which never ends, a folder, a file
    over the bound — and UnicodeDecodeError for text that is not UTF-8. Opened without blocking and checked
    on the open file, so what is checked is what is read.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise OSError(f"{_kind(mode)}, not a regular file; give the path of a YAML or JSON file")
        with open(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        size = Path(path).stat().st_size
        raise OSError(f"the file is {size:,} bytes, over the {limit:,} a document may have; split it or trim it")
    return data.decode("utf-8")


def _kind(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((f"it is {name}" for test, name in kinds if test(mode)), "it is a special file")


@dataclass(slots=True)
class _Walk:
    """One pass over the node tree: sizes once aliases are followed (in nodes and in characters of scalars),
    repeated keys, aliases that loop."""

    memo: dict[int, tuple[int, int]] = field(default_factory=dict)
    open: set[int] = field(default_factory=set)  # the nodes being walked: an alias to one of them loops
    duplicates: list[DuplicateKey] = field(default_factory=list)
    loops: list[yaml.Node] = field(default_factory=list)

    def size(self, node: yaml.Node, path: tuple[str | int, ...], depth: int = 0) -> tuple[int, int]:
        """(nodes, characters) ``node`` expands to."""
        if isinstance(node, yaml.ScalarNode):
            return 1, len(node.value)  # most nodes: nothing inside to repeat a key or loop
        key = id(node)
        if key in self.open:
            self.loops.append(node)
            return 1, 0
        if key in self.memo:
            return self.memo[key]
        if depth > 200:
            raise YamlError("the document nests deeper than 200 levels", node.start_mark.line + 1)
        self.open.add(key)
        size = 1
        chars = 0
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, yaml.Node] = {}
            for k, v in node.value:
                name = k.value if isinstance(k, yaml.ScalarNode) else None
                if name is not None and k.tag != "tag:yaml.org,2002:merge":
                    if name in seen:
                        first = seen[name].start_mark
                        self.duplicates.append(
                            DuplicateKey(
                                (*path, name),
                                name,
                                (first.line + 1, first.column + 1),
                                (k.start_mark.line + 1, k.start_mark.column + 1),
                            )
                        )
                    else:
                        seen[name] = k
                if name is None:
                    nodes, more = self.size(k, path, depth + 1)
                    size += nodes
                    chars += more
                else:
                    size += 1
                    chars += len(name)
                if isinstance(v, yaml.ScalarNode):
                    size += 1
                    chars += len(v.value)
                else:
                    nodes, more = self.size(v, (*path, name or ""), depth + 1)
                    size += nodes
                    chars += more
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                if isinstance(item, yaml.ScalarNode):
                    size += 1
                    chars += len(item.value)
                else:
                    nodes, more = self.size(item, (*path, index), depth + 1)
                    size += nodes
                    chars += more
        self.open.discard(key)
        self.memo[key] = (size, chars)
        if size > MAX_NODES:
            raise YamlError(
                f"the document expands to more than {MAX_NODES:,} values once its aliases are followed; "
                "write the values out instead of repeating aliases",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            )
        if chars > MAX_CHARACTERS:
            raise YamlError(
                f"the document expands to more than {MAX_CHARACTERS:,} characters once its aliases are followed; "
                "write the values out instead of repeating aliases to long text",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            )
        return size, chars


def _loop_error(text: str) -> YamlError:
    """The first alias that refers to the value containing it (``name: &a [*a]``), with its position.

    The node tree has forgotten where its aliases were written; the event stream still knows."""
    open_anchors: list[str | None] = []
    for event in yaml.parse(text, Loader=_Base):
        if isinstance(event, yaml.CollectionStartEvent):
            open_anchors.append(event.anchor)
        elif isinstance(event, yaml.CollectionEndEvent):
            open_anchors.pop()
        elif isinstance(event, yaml.AliasEvent) and event.anchor in open_anchors and event.start_mark:
            mark = event.start_mark
            return YamlError(
                f"the alias *{event.anchor} refers to the value that contains it (anchored &{event.anchor}), "
                "which would repeat forever; write the value out, or anchor a value outside it",
                mark.line + 1,
                mark.column + 1,
            )
    return YamlError("an alias refers to the value that contains it; write the value out")


#: A JSON surrogate pair (``\\ud83d\\udc4d``, one character outside the Basic Multilingual Plane) after an even run
#: of backslashes: JSON's way to write it, which YAML does not read.
_SURROGATE_PAIR: Final = re.compile(r"(?<!\\)((?:\\\\)*)\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})", re.IGNORECASE)


def json_for_yaml(text: str) -> str:
    """JSON text the YAML reader reads as JSON does: each surrogate pair escape written as YAML's ``\\U`` escape of
    the character it stands for (on the same line, so positions stay right to the line)."""

    def escape(match: re.Match[str]) -> str:
        high, low = int(match[2], 16), int(match[3], 16)
        return f"{match[1]}\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08X}"

    return _SURROGATE_PAIR.sub(escape, text) if "\\u" in text else text


def top_level_keys(text: str) -> Iterator[str]:
    """The keys of a document's top-level mapping, read as a stream of parser events (nothing is built, so a
    large document costs only as far as the key looked for); none when the top level is not a mapping or
    the text does not parse."""
    depth = 0
    expect_key = False
    try:
        for event in yaml.parse(text, Loader=_Base):
            if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                if depth == 0 and isinstance(event, yaml.SequenceStartEvent):
                    return
                if depth == 1 and expect_key:
                    return  # a complex key: not a mapping of names
                depth += 1
                expect_key = depth == 1
                continue
            if isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                depth -= 1
                expect_key = depth == 1
                if depth == 0:
                    return
                continue
            if depth == 0 and isinstance(event, yaml.ScalarEvent):
                return
            if depth == 1 and isinstance(event, yaml.ScalarEvent | yaml.AliasEvent):
                if expect_key and isinstance(event, yaml.ScalarEvent):
                    yield event.value
                expect_key = not expect_key
    except yaml.YAMLError:
        return


def load_yaml(text: str) -> YamlDocument:
    """Parse one YAML document safely; raise :class:`YamlError` with a position on any problem.

    Keys a mapping repeats do not stop the reading (the last value is kept, as YAML loaders do): they are in
    :attr:`YamlDocument.duplicates`, for lint to report with both positions."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return YamlDocument(None, None)
        walk = _Walk()
        walk.size(root, ())
        if walk.loops:
            raise _loop_error(text)
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
    return YamlDocument(data, root, walk.duplicates)
