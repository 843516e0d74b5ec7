"""Where a setting's value came from, as messages and ``parley config show`` say it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from parley.core.problem import Location
from parley.project.yaml_file import YamlFile

SettingSource = Literal["default", "file", "environment", "option"]
"""Which layer a setting's value came from."""


@dataclass(frozen=True)
class FromFile:
    """The config file; ``shown_as`` is its path as messages write it."""

    file: YamlFile
    shown_as: Path
    source: SettingSource = "file"

    def describe(self, loc: Sequence[str | int]) -> str:
        """``parley.yml:LINE:COLUMN`` of the value at ``loc``."""
        return self.where(loc)

    def where(self, loc: Sequence[str | int], *, key: bool = False) -> str:
        """``parley.yml:LINE:COLUMN`` of the value at ``loc``, or of its key."""
        found = self.file.location(loc, key=key)
        return str(Location(self.shown_as, found.line, found.column))


@dataclass(frozen=True)
class FromEnvironment:
    """An environment variable; ``text`` is its value as it was set."""

    name: str
    text: str
    source: SettingSource = "environment"

    def describe(self, loc: Sequence[str | int]) -> str:
        return f"environment variable {self.name}"


@dataclass(frozen=True)
class FromOption:
    """A command-line option by dotted key; ``text`` is its value when it was given as text."""

    key: str
    text: str | None
    source: SettingSource = "option"

    def describe(self, loc: Sequence[str | int]) -> str:
        return f"command-line option {self.key}"


Origin = FromFile | FromEnvironment | FromOption
