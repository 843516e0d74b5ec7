"""Rasa-format projects: read, validate and write them.

``load_project(path)`` is what most callers want: it reads a project folder (Rasa 3.x
layout; Rasa 2.x files where they differ little), checks it, and raises
:class:`~parley.errors.ProjectError` listing every error. ``read_project`` returns all
findings instead of raising, for tools that show them (``parley validate``).
"""

from parley.project.config import ComponentSpec, ModelConfig
from parley.project.project import Project, TestData
from parley.project.reader import load_project, read_project
from parley.project.reading import ProjectReading
from parley.project.source_map import SourceMap
from parley.project.validation import validate_project
from parley.project.writer import write_project

__all__ = [
    "ComponentSpec",
    "ModelConfig",
    "Project",
    "ProjectReading",
    "SourceMap",
    "TestData",
    "load_project",
    "read_project",
    "validate_project",
    "write_project",
]
