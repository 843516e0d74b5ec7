"""Parley: self-hosted conversational AI for assistants written in the Rasa 3.x format.

This module is the public API; everything else is internal and may change between
releases. ``tests/unit/test_public_api.py`` pins the list below. The engine's names
(``Agent``, ``load_model``, ``train``…) are imported on first use, so ``import parley``
stays light for commands that never touch a model.
"""

from typing import TYPE_CHECKING, Any

from parley.errors import ConfigurationError, ParleyError, ProjectError
from parley.project import Project, load_project, read_project, write_project
from parley.settings import Settings, load_settings
from parley.version import __version__

if TYPE_CHECKING:
    from parley.agent import Agent
    from parley.bootstrap import load_model, train
    from parley.core.messages import BotMessage, UserMessage

__all__ = [
    "Agent",
    "BotMessage",
    "ConfigurationError",
    "ParleyError",
    "Project",
    "ProjectError",
    "Settings",
    "UserMessage",
    "__version__",
    "load_model",
    "load_project",
    "load_settings",
    "read_project",
    "train",
    "write_project",
]

_LAZY = {
    "Agent": "parley.agent",
    "BotMessage": "parley.core.messages",
    "UserMessage": "parley.core.messages",
    "load_model": "parley.bootstrap",
    "train": "parley.bootstrap",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib  # noqa: PLC0415

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'parley' has no attribute {name!r}")
