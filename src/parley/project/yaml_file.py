"""A YAML file read for a project: its plain data plus where every value stands in it.

YAML is read as version 1.2, as Rasa reads it, so ``yes``/``no``/``on``/``off`` stay strings
(``title: Yes`` is a button title, not a boolean). The text must be UTF-8; anything else is
reported with the position of the first bad byte rather than guessed at.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from parley.core.problem import Location, Problem

PathPart = str | int


class YamlFileError(Exception):
    """The file could not be read as YAML; ``problem`` says where and why."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


@dataclass(frozen=True)
class YamlFile:
    path: Path
    data: Any
    """Plain Python data: dicts, lists, str, int, float, bool and None only."""
    tree: Any = field(repr=False, compare=False)
    """The parsed tree with positions, kept to locate values for messages."""
    text: str = field(default="", repr=False, compare=False)
    """The decoded source, for positions the tree does not keep (lines inside a block)."""

    def location(self, path: Sequence[PathPart] = (), *, key: bool = False) -> Location:
        """Where the value at ``path`` stands; with ``key``, where its mapping key stands.

        A path that leaves the tree (a missing key) points at the deepest node it reached,
        which is where the user has to add the missing part.
        """
        node = self.tree
        line, column = 0, 0
        for depth, part in enumerate(path):
            last = depth == len(path) - 1
            if isinstance(node, CommentedMap) and part in node:
                line, column = node.lc.key(part) if (key and last) else node.lc.value(part)
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                line, column = node.lc.item(part)
                node = node[part]
            else:
                if isinstance(node, CommentedMap | CommentedSeq) and depth == 0:
                    line, column = node.lc.line, node.lc.col
                break
        return Location(self.path, line + 1, column + 1)

    def locations_below(
        self, path: Sequence[PathPart]
    ) -> Iterator[tuple[tuple[PathPart, ...], Location]]:
        """Every key and item under ``path``, with the path below ``path`` that reaches it.

        Parts of the project that keep the file's shape (a slot, a form, a response) take
        these as they are, so a finding deep inside one points at the exact line.
        """
        node = self.tree
        for part in path:
            if isinstance(node, CommentedMap | CommentedSeq):
                try:
                    node = node[part]
                except (KeyError, IndexError, TypeError):
                    return
            else:
                return
        yield from self._walk(node, ())

    def _walk(
        self, node: Any, below: tuple[PathPart, ...]
    ) -> Iterator[tuple[tuple[PathPart, ...], Location]]:
        if isinstance(node, CommentedMap):
            for key, child in node.items():
                line, column = node.lc.key(key)
                yield (*below, key), Location(self.path, line + 1, column + 1)
                yield from self._walk(child, (*below, key))
        elif isinstance(node, CommentedSeq):
            for index, child in enumerate(node):
                line, column = node.lc.item(index)
                yield (*below, index), Location(self.path, line + 1, column + 1)
                yield from self._walk(child, (*below, index))


def read_yaml_text(path: Path, text: str) -> YamlFile:
    """Parse ``text`` as the content of ``path``; raises :class:`YamlFileError`."""
    yaml = YAML(typ="rt", pure=True)
    yaml.version = (1, 2)
    yaml.allow_duplicate_keys = False
    try:
        tree = yaml.load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        reason = " ".join(str(part) for part in (error.context, error.problem) if part)
        location = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path)
        raise YamlFileError(
            Problem("yaml-syntax", f"invalid YAML: {_one_line(reason)}", location)
        ) from None
    except YAMLError as error:
        raise YamlFileError(
            Problem("yaml-syntax", f"invalid YAML: {_one_line(str(error))}", Location(path))
        ) from None
    return YamlFile(path=path, data=to_plain(tree), tree=tree, text=text)


def read_yaml(path: Path) -> YamlFile:
    """Read and parse the UTF-8 YAML file at ``path``; raises :class:`YamlFileError`."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise YamlFileError(Problem("file-missing", "file not found", Location(path))) from None
    except OSError as error:
        raise YamlFileError(
            Problem("file-unreadable", f"cannot read the file: {error.strerror}", Location(path))
        ) from None
    return read_yaml_text(path, decode_utf8(path, raw))


def decode_utf8(path: Path, raw: bytes) -> str:
    """``raw`` as text; raises :class:`YamlFileError` naming the first byte that is not UTF-8."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        raise YamlFileError(
            Problem(
                "file-encoding",
                f"the file is not UTF-8 (byte 0x{raw[error.start]:02x} cannot be decoded); "
                "save it as UTF-8, e.g. `iconv -f latin1 -t utf-8 FILE > NEW`",
                Location(path, line, column),
            )
        ) from None
    return text.removeprefix("\ufeff")


def to_plain(node: Any) -> Any:
    """The tree as plain Python values, so nothing downstream depends on ruamel's types."""
    if isinstance(node, Mapping):
        return {to_plain(key): to_plain(value) for key, value in node.items()}
    if isinstance(node, list | tuple):
        return [to_plain(item) for item in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, dt.date):
        return node.isoformat()
    return node


def _one_line(text: str) -> str:
    return " ".join(text.split())
