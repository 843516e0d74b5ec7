"""The outside services a command talks to: the action server of the project's
``endpoints.yml`` (or the settings), built by the composition root; the channels of its
``credentials.yml``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from parley.bootstrap import action_client
from parley.cli.config import SettingsLoader
from parley.clients.action_server import HttpActionClient
from parley.errors import ProjectError
from parley.project.yaml_file import YamlFileError, read_yaml
from parley.settings import Settings


def project_endpoints(project_dir: Path | None) -> dict[str, Any] | None:
    """``endpoints.yml`` of the project folder as written, or None."""
    return _project_file(project_dir, "endpoints.yml")


def project_credentials(project_dir: Path | None) -> dict[str, Any] | None:
    """``credentials.yml`` of the project folder (which channels are open) as written, or
    None."""
    return _project_file(project_dir, "credentials.yml")


def _project_file(project_dir: Path | None, name: str) -> dict[str, Any] | None:
    if project_dir is None:
        return None
    path = project_dir / name
    if not path.is_file():
        return None
    try:
        data = read_yaml(path).data
    except YamlFileError as error:
        raise ProjectError([error.problem], summary=f"{path} cannot be read") from None
    return data if isinstance(data, dict) else None


def project_action_client(
    settings: Settings, loader: SettingsLoader, project_dir: Path | None
) -> HttpActionClient | None:
    return action_client(settings, project_endpoints(project_dir), environ=loader.environ)
