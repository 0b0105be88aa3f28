"""YAML from users (suites, --set values) read safely: no code, bounded size, depth and alias expansion.

`yaml.safe_load` never runs code, but an "alias bomb" (billion laughs: nine levels of ten aliases to the
level below) is a few hundred bytes that expand to 10^9 nodes once anything walks the data (pydantic, JSON,
hashing), and `[[[[...` a few thousand levels deep overflows the composer's recursion. The loader here
counts every node as the expanded document has it (an alias counts the whole subtree it names) and the
nesting depth (through aliases too) while composing, and stops with one line that says where.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, SequenceNode

from .errors import CmrbenchError

MAX_BYTES = 1 << 20  # 1 MiB: suites are a few KiB
MAX_NODES = 100_000  # nodes of the expanded document (scalars, lists, mappings); suites have a few hundred
MAX_DEPTH = 50  # nesting of lists and mappings; suites nest fewer than 10 levels


class _Limit(yaml.YAMLError):
    """A document over one of the limits (its message is already one line)."""


class BoundedSafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses documents over MAX_NODES expanded nodes or MAX_DEPTH levels, and recursive aliases."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0
        self._composed = 0
        self._measured: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded size, height)

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()
        self._depth += 1
        self._composed += 1
        if self._depth > MAX_DEPTH:
            raise _Limit(f"nested more than {MAX_DEPTH} levels deep{_at(event.start_mark)}")
        if self._composed > MAX_NODES:
            raise _Limit(f"more than {MAX_NODES} values{_at(event.start_mark)}")
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if node is None:
            return None
        if isinstance(event, AliasEvent):
            if id(node) not in self._measured:  # the anchored list or mapping is still being composed
                raise _Limit(f"alias *{event.anchor} refers to a list or mapping that contains it"
                             f"{_at(event.start_mark)}")
        else:
            self._measure(node)
        return node

    def construct_mapping(self, node: Node, deep: bool = False) -> dict:
        """A mapping whose keys are unique: YAML would silently keep the last of two equal keys."""
        if isinstance(node, MappingNode):
            seen: set = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                if isinstance(key, (str, int, float, bool)) or key is None:
                    if key in seen:
                        raise _Limit(f"key '{key}' appears twice in one mapping{_at(key_node.start_mark)}")
                    seen.add(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[arg-type]

    def _measure(self, node: Node) -> None:
        """Expanded size and height of a node whose children are all measured."""
        size, height = 1, 1
        if isinstance(node, (SequenceNode, MappingNode)):
            children = node.value if isinstance(node, SequenceNode) else [c for kv in node.value for c in kv]
            for child in children:
                s, h = self._measured[id(child)]
                size += s
                height = max(height, h + 1)
            if size > MAX_NODES:
                raise _Limit(f"expands to more than {MAX_NODES} values through aliases (&anchor/*alias)"
                             f"{_at(node.start_mark)}")
            if height > MAX_DEPTH:
                raise _Limit(f"nested more than {MAX_DEPTH} levels deep through aliases{_at(node.start_mark)}")
        self._measured[id(node)] = (size, height)


def _at(mark: Any) -> str:
    return f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""


def describe(exc: yaml.YAMLError) -> str:
    """A YAML error as one line: the problem and where (PyYAML's own text spans several lines)."""
    if isinstance(exc, yaml.MarkedYAMLError):
        what = "; ".join(x for x in (exc.context, exc.problem) if x)
        return one_line(f"{what}{_at(exc.problem_mark or exc.context_mark)}")
    if isinstance(exc, yaml.reader.ReaderError):
        return f"character #x{exc.character:04x} is not allowed in YAML (position {exc.position})"
    return one_line(str(exc))


def one_line(text: str, limit: int = 300) -> str:
    """Whitespace runs and control characters collapsed, so a message stays on one line; long text shortened."""
    text = " ".join("".join(c if c.isprintable() else repr(c)[1:-1] for c in part) for part in str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def load_text(text: str, where: str) -> Any:
    """Parse one YAML document; any problem is a CmrbenchError starting with `where`."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise CmrbenchError(f"{where}: {len(text.encode('utf-8', 'surrogatepass'))} bytes, more than the "
                            f"{MAX_BYTES} bytes (1 MiB) a suite may have")
    loader = None
    try:
        loader = BoundedSafeLoader(text)  # the reader checks every character here
        return loader.get_single_data()
    except _Limit as exc:
        raise CmrbenchError(f"{where}: {exc}") from None
    except yaml.YAMLError as exc:
        raise CmrbenchError(f"{where}: not valid YAML: {describe(exc)}") from None
    except RecursionError:  # a last resort: the depth limit above comes first
        raise CmrbenchError(f"{where}: nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()


def load_file(path: Path, where: str) -> Any:
    """Read a UTF-8 YAML file of at most MAX_BYTES and parse it as load_text does."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise CmrbenchError(f"{where}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > MAX_BYTES:
        size = path.stat().st_size
        raise CmrbenchError(f"{where}: {size} bytes, more than the {MAX_BYTES} bytes (1 MiB) a suite may have")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CmrbenchError(f"{where}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                            "a suite is a YAML text file") from None
    return load_text(text, where)
