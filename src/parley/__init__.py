"""Parley: self-hosted conversational AI for assistants written in the Rasa 3.x format.

This module is the public API; everything else is internal and may change between
releases. ``tests/unit/test_public_api.py`` pins the list below.
"""

from parley.errors import ConfigurationError, ParleyError, ProjectError
from parley.project import Project, load_project, read_project, write_project
from parley.settings import Settings, load_settings
from parley.version import __version__

__all__ = [
    "ConfigurationError",
    "ParleyError",
    "Project",
    "ProjectError",
    "Settings",
    "__version__",
    "load_project",
    "load_settings",
    "read_project",
    "write_project",
]
