"""A finding about user input, with the place in the user's files it points at.

Readers and validators collect problems instead of raising on the first one, so a user
sees every mistake in a project at once. Errors stop a command; warnings are reported
and let it go on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """A position in a file; ``line`` and ``column`` count from 1 as editors show them."""

    file: Path
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return str(self.file)
        if self.column is None:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding. ``code`` is stable (tests and tools match on it); ``message`` is for people
    and says what is wrong, with the fix or the valid options where there are any."""

    code: str
    message: str
    location: Location | None = None
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.severity.value}: {self.message} [{self.code}]"


def by_position(problem: Problem) -> tuple[str, int, int, str]:
    """Sort key that lists problems as one reads the files: by file, then line and column
    (then code, so the order is stable); problems about no file in particular come first."""
    location = problem.location
    if location is None:
        return ("", 0, 0, problem.code)
    return (str(location.file), location.line or 0, location.column or 0, problem.code)
