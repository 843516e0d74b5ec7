"""The outcome of reading a project folder: the project, every problem found, and where
each part came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from parley.core.problem import Problem
from parley.project.project import Project
from parley.project.source_map import SourceMap


@dataclass
class ProjectReading:
    root: Path
    project: Project
    """What could be read. Files with errors contribute nothing, so when ``errors`` is not
    empty this is incomplete and must not be trained or served."""
    problems: list[Problem] = field(default_factory=list)
    sources: SourceMap = field(default_factory=SourceMap)
    files: list[Path] = field(default_factory=list)
    """Every file that was read, in reading order."""

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]
