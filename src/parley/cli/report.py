"""How ``parley validate`` shows what it found: editor-style lines for people, JSON for tools.

Each problem is one ``file:line:col: severity: message [code]`` line, which terminals and
editors turn into a link to the spot. Paths are shown relative to the working folder when
they are inside it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from itertools import groupby
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from parley.core.problem import Problem, Severity, by_position
from parley.project import ProjectReading

_SEVERITY_STYLES = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow"}


def display_path(path: Path) -> str:
    """``path`` relative to the working folder when it lies inside it, else as given."""
    if path.is_absolute():
        try:
            return path.relative_to(Path.cwd()).as_posix() or "."
        except ValueError:
            return str(path)
    return path.as_posix()


def _file_key(problem: Problem) -> str:
    return display_path(problem.location.file) if problem.location else ""


def _order(problems: Iterable[Problem]) -> list[Problem]:
    """By file, then position; problems about the whole project first."""
    return sorted(problems, key=by_position)


def _where(problem: Problem) -> str:
    location = problem.location
    if location is None:
        return ""
    parts = [display_path(location.file)]
    parts += [str(n) for n in (location.line, location.column) if n is not None]
    return ":".join(parts)


def problem_line(problem: Problem) -> Text:
    where = _where(problem)
    return Text.assemble(
        (f"{where}: ", "bold") if where else "",
        (problem.severity.value, _SEVERITY_STYLES[problem.severity]),
        f": {problem.message} ",
        (f"[{problem.code}]", "dim"),
    )


def _plural(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def summary(reading: ProjectReading) -> Text:
    """One line: whether the project is valid, and what it holds or what is wrong."""
    files = f"{_plural(len(reading.files), 'file')} in {display_path(reading.root)}"
    errors, warnings = len(reading.errors), len(reading.warnings)
    if errors:
        counts = _plural(errors, "error")
        if warnings:
            counts += f" and {_plural(warnings, 'warning')}"
        return Text.assemble(("Invalid: ", "bold red"), f"{counts} ({files})")
    project = reading.project
    contents = ", ".join(
        [
            _plural(len(project.domain.intents), "intent"),
            _plural(len(project.nlu.examples), "example"),
            _plural(len(project.stories), "story", "stories"),
            _plural(len(project.rules), "rule"),
            _plural(len(project.domain.responses), "response"),
            _plural(len(project.domain.slots), "slot"),
            _plural(len(project.domain.forms), "form"),
        ]
    )
    text = Text.assemble(("Valid: ", "bold green"), contents)
    if warnings:
        text.append(f", {_plural(warnings, 'warning')}", style="yellow")
    text.append(f" ({files})")
    return text


def print_text(reading: ProjectReading, out: Console) -> None:
    """Every problem grouped by file (a blank line between files), then the summary."""
    for _, group in groupby(_order(reading.problems), key=_file_key):
        for problem in group:
            out.print(problem_line(problem))
        out.print()
    out.print(summary(reading))


def as_json(reading: ProjectReading) -> str:
    """The findings as a JSON document: ``valid``, counts, files read and every problem."""
    document: dict[str, Any] = {
        "project": display_path(reading.root),
        "valid": not reading.errors,
        "errors": len(reading.errors),
        "warnings": len(reading.warnings),
        "files": [display_path(f) for f in reading.files],
        "problems": [
            {
                "file": display_path(p.location.file) if p.location else None,
                "line": p.location.line if p.location else None,
                "column": p.location.column if p.location else None,
                "severity": p.severity.value,
                "code": p.code,
                "message": p.message,
            }
            for p in _order(reading.problems)
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)
