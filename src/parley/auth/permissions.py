"""Permissions, named ``area.action`` (``models.write``) or, for an environment,
``environments.<name>.write``. Every route that changes something declares the one it
needs; until users and roles exist, the API token holds all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from parley.errors import PermissionDeniedError

PROJECTS_READ = "projects.read"
PROJECTS_WRITE = "projects.write"
MODELS_READ = "models.read"
MODELS_WRITE = "models.write"
TRAINING_READ = "training.read"
TRAINING_RUN = "training.run"
ENVIRONMENTS_READ = "environments.read"


def environment_write(environment: str) -> str:
    """What tagging a model for ``environment`` (so changing what it serves) needs."""
    return f"environments.{environment}.write"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    name: str
    permissions: frozenset[str] = field(default_factory=frozenset)
    holds_all: bool = False

    def has(self, permission: str) -> bool:
        return self.holds_all or permission in self.permissions

    def require(self, permission: str) -> None:
        if not self.has(permission):
            raise PermissionDeniedError(permission)


API_TOKEN = Principal(name="api-token", holds_all=True)
"""The shared API token (``PARLEY_AUTH_TOKEN``): every permission."""
