"""A YAML file read for a project: its plain data plus where every value stands in it.

YAML is read as version 1.2, as Rasa reads it, so ``yes``/``no``/``on``/``off`` stay strings
(``title: Yes`` is a button title, not a boolean). The text must be UTF-8; anything else is
reported with the position of the first bad byte rather than guessed at. Tags that ask
for anything but plain values (``!!python/object/apply:…``, ``!!binary``) are refused,
never constructed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import (
    CommentedKeyMap,
    CommentedKeySeq,
    CommentedMap,
    CommentedSeq,
    TaggedScalar,
)
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, ScalarEvent
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.parser import Parser
from ruamel.yaml.scanner import Scanner

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

    def node(self, path: Sequence[PathPart]) -> Any:
        """The parsed value at ``path`` as the tree holds it (a literal block keeps its
        style, for one), or None when the path leaves the tree."""
        node = self.tree
        for part in path:
            node = _child(node, part)
            if node is _ABSENT:
                return None
        return node

    def location(self, path: Sequence[PathPart] = (), *, key: bool = False) -> Location:
        """Where the value at ``path`` stands; with ``key``, where its mapping key stands.

        A path that leaves the tree (a missing key) points at the deepest node it reached,
        which is where the user has to add the missing part.
        """
        node = self.tree
        line, column = 0, 0
        for depth, part in enumerate(path):
            child = _child(node, part)
            if child is _ABSENT:
                if depth == 0 and isinstance(node, CommentedMap | CommentedSeq):
                    line, column = node.lc.line, node.lc.col
                break
            if isinstance(node, CommentedMap):
                at_key = key and depth == len(path) - 1
                line, column = node.lc.key(part) if at_key else node.lc.value(part)
            else:
                line, column = node.lc.item(part)
            node = child
        return Location(self.path, line + 1, column + 1)

    def locations_below(
        self, path: Sequence[PathPart]
    ) -> Iterator[tuple[tuple[PathPart, ...], Location]]:
        """Every key and item under ``path``, with the path below ``path`` that reaches it.

        Parts of the project that keep the file's shape (a slot, a form, a response) take
        these as they are, so a finding deep inside one points at the exact line.
        """
        node = self.node(path)
        if node is not None:
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


_ABSENT = object()


def _child(node: Any, part: PathPart) -> Any:
    """The value under ``part`` in a parsed mapping or sequence, or ``_ABSENT``."""
    if isinstance(node, CommentedMap):
        return node.get(part, _ABSENT)
    if isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return _ABSENT


MAX_DEPTH = 100
"""How deeply values may nest in a file. Real project files stay below ten levels; the
limit keeps a runaway file (generated, or with unclosed brackets) from exhausting the
stack of the parser or of anything that walks the values afterwards."""


class _RefusedError(Exception):
    """Input that parses as YAML but that a project file cannot hold, with its position
    (0-based, as the parser counts)."""

    def __init__(self, code: str, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
        self.column = column

    @classmethod
    def at(cls, code: str, message: str, mark: Any) -> _RefusedError:
        return cls(code, message, mark.line, mark.column)


_CORE_TAG = "tag:yaml.org,2002:"
PLAIN_TAGS = frozenset(
    {"!", *(_CORE_TAG + kind for kind in ("str", "int", "float", "bool", "null", "seq", "map"))}
)
"""The explicit tags a project file may use: those of plain values, and ``!``. Other tags
(``!!python/object/apply:…``, ``!!binary``, ``!!set``, ``!custom``) ask for values a project
cannot hold, and some ask a loader to run code; they are refused, never built."""


_TYPED_SCALARS = {
    _CORE_TAG + "int": "a whole number",
    _CORE_TAG + "float": "a number",
    _CORE_TAG + "bool": "true or false",
    _CORE_TAG + "null": "null",
}
"""Tags that ask for a scalar of a type, with what the scalar must then be."""


def _shown_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_CORE_TAG) if tag.startswith(_CORE_TAG) else tag


class _Composer(Composer):
    """Refuses, before the tree is built, tags other than :data:`PLAIN_TAGS` (and typed
    scalars whose text is not of their type), values nested deeper than :data:`MAX_DEPTH`
    and aliases used inside the value they name: the latter two would make everything that
    walks the tree recurse without end (ruamel itself turns a recursive alias into a
    silent null)."""

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        # A reused anchor is valid YAML (the later one counts); ruamel would warn.
        self.warn_double_anchors = False
        self._open: list[str] = []
        """The anchors of the nodes being composed, outermost first ("" for none)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        open_anchors = self._open
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent):
            if event.anchor in open_anchors:
                raise _RefusedError.at(
                    "yaml-recursive-alias",
                    f"the alias *{event.anchor} stands inside the value its anchor "
                    f"&{event.anchor} names, so that value would contain itself; write the "
                    "repeated part out, or anchor a smaller value",
                    event.start_mark,
                )
            return super().compose_node(parent, index)
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in PLAIN_TAGS:
            raise _RefusedError.at(
                "yaml-tag",
                f"the tag {_shown_tag(tag)} is not allowed: project files hold plain values "
                "(text, numbers, true/false, null, lists and mappings); remove the tag",
                event.start_mark,
            )
        if isinstance(event, ScalarEvent) and tag in _TYPED_SCALARS:
            self._check_typed(event, tag)
        if len(open_anchors) >= MAX_DEPTH:
            raise _RefusedError.at(
                "yaml-too-deep",
                f"the values here are nested too deeply (more than {MAX_DEPTH} levels); "
                "a project file needs a few levels at most: look for unclosed brackets",
                event.start_mark,
            )
        # Every open node is pushed, anchored or not, so the list's length is the depth.
        open_anchors.append(event.anchor or "")
        try:
            return super().compose_node(parent, index)
        finally:
            open_anchors.pop()

    def _check_typed(self, event: ScalarEvent, tag: str) -> None:
        """A scalar tagged ``!!int``, ``!!float``, ``!!bool`` or ``!!null`` must read as that
        type untagged too: on other text, ruamel's constructors fail with whatever exception
        Python raises (IndexError, KeyError, ValueError)."""
        implicit = str(self.resolver.resolve(ScalarNode, event.value, (True, False)))
        if implicit == tag or (tag.endswith("float") and implicit.endswith("int")):
            return
        raise _RefusedError.at(
            "yaml-tag",
            f"{_shown_tag(tag)} {spelling(event.value)} is not {_TYPED_SCALARS[tag]}; fix the "
            "value or remove the tag",
            event.start_mark,
        )


class _Constructor(RoundTripConstructor):
    """Reports a repeated key and a key that is a list or mapping in a few words, at the
    key, instead of ruamel's dump of both values, and refuses whole numbers too long for
    Python to spell out."""

    def construct_yaml_int(self, node: Any) -> int:
        try:
            value: int = super().construct_yaml_int(node)
            # Messages spell numbers out, which Python refuses beyond a limit of digits
            # (decimal numbers that long cannot even be read).
            str(value)
        except ValueError:
            raise _RefusedError.at(
                "yaml-number",
                "this whole number has more digits than Python handles "
                f"({sys.get_int_max_str_digits()}); put it in quotes if it is meant as text",
                node.start_mark,
            ) from None
        return value

    def check_mapping_key(
        self, node: Any, key_node: Any, mapping: Any, key: Any, value: Any
    ) -> bool:
        if isinstance(key, CommentedKeySeq | CommentedKeyMap):
            kind = "a list" if isinstance(key, CommentedKeySeq) else "a mapping"
            raise _RefusedError.at(
                "yaml-complex-key",
                f"this key is {kind}; keys in a project file are names: write it as one",
                key_node.start_mark,
            )
        if key in mapping:
            first = ""
            with contextlib.suppress(KeyError, TypeError):  # a key merged in by `<<` has none
                first = f" (first at line {mapping.lc.key(key)[0] + 1})"
            raise _RefusedError.at(
                "yaml-syntax",
                f"duplicate key {spelling(key)}{first}; merge the two into one",
                key_node.start_mark,
            )
        return True


_Constructor.add_constructor(_CORE_TAG + "int", _Constructor.construct_yaml_int)


def spelling(value: Any) -> str:
    """``value`` as YAML writes it, quoted when it is a string: for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def read_yaml_text(path: Path, text: str) -> YamlFile:
    """Parse ``text`` as the content of ``path``; raises :class:`YamlFileError`."""
    yaml = YAML(typ="rt", pure=True)
    yaml.version = (1, 2)
    yaml.allow_duplicate_keys = False
    # The round-trip tree is kept for its positions; comments are not needed, and the
    # plain scanner and parser, which skip them, read a fifth faster.
    yaml.Scanner = Scanner
    yaml.Parser = Parser
    yaml.Composer = _Composer
    yaml.Constructor = _Constructor
    try:
        tree = yaml.load(text)
        data = to_plain(tree)
    except _RefusedError as refused:
        location = Location(path, refused.line + 1, refused.column + 1)
        raise YamlFileError(Problem(refused.code, refused.message, location)) from None
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
    return YamlFile(path=path, data=data, tree=tree, text=text)


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
    """The tree as plain Python values, so nothing downstream depends on ruamel's types.

    It recurses once per level: the trees :func:`read_yaml_text` builds are at most
    :data:`MAX_DEPTH` deep and free of cycles.
    """
    if isinstance(node, Mapping):
        return {to_plain(key): to_plain(value) for key, value in node.items()}
    if isinstance(node, list | tuple):
        return [to_plain(item) for item in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, str):
        return str(node)
    if isinstance(node, TaggedScalar):  # `!!str x`: the only tag on a scalar that is kept
        return str(node.value)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, dt.date):
        return node.isoformat()
    return node


def _one_line(text: str) -> str:
    return " ".join(text.split())
