"""Findings of the cross-file checks: problems located through the source map, and the
phrases their messages share (valid options, the closest name, where something else is)."""

from __future__ import annotations

from collections.abc import Iterable

from parley.core.problem import Location, Problem, Severity
from parley.core.suggestion import closest
from parley.project.source_map import ModelPath, SourceMap

_MAX_LISTED = 30


class Findings:
    """The problems found so far, each placed where its model path was read."""

    def __init__(self, sources: SourceMap) -> None:
        self.sources = sources
        self.problems: list[Problem] = []

    def report(
        self, code: str, message: str, path: ModelPath, severity: Severity = Severity.ERROR
    ) -> None:
        self.problems.append(Problem(code, message, self.locate(path), severity))

    def locate(self, path: ModelPath) -> Location | None:
        return self.sources.locate(path)

    def where(self, path: ModelPath, here: ModelPath) -> str:
        """Where ``path`` is, to follow a name in a message about ``here``: `` (line 7)``
        in the same file, `` (file:line:col)`` in another, nothing when unknown."""
        location = self.locate(path)
        if location is None:
            return ""
        near = self.locate(here)
        if near is not None and near.file == location.file and location.line is not None:
            return f" (line {location.line})"
        return f" ({location})"


def quoted(names: Iterable[str]) -> str:
    items = [f"'{name}'" for name in names]
    if len(items) > _MAX_LISTED:
        rest = len(items) - _MAX_LISTED
        return ", ".join(items[:_MAX_LISTED]) + f", … ({rest} more)"
    return ", ".join(items) if items else "(the domain declares none)"


def did_you_mean(name: str, options: Iterable[str]) -> str:
    """Ends a sentence about ``name``: with the closest option as a question, else a full stop."""
    close = closest(name, options)
    return f"; did you mean '{close[0]}'?" if close else "."


def block_label(kind: str, name: str) -> str:
    return f"{kind} '{name}'"
