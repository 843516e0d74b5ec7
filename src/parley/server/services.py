"""What the platform API's routes work with: the stores, the training queue and the
follower that moves environments onto newly tagged models. A bot-role server has none
of them (it follows a model server instead), and its platform routes answer 404."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from parley.core.ports import JobQueue, JobStore, ProjectStore
from parley.errors import NotFoundError
from parley.models.registry import ModelRegistry
from parley.server.environments import Environments
from parley.server.errors import ApiError
from parley.server.model_follower import ModelFollower


@dataclass(frozen=True)
class Services:
    projects: ProjectStore
    registry: ModelRegistry
    jobs: JobStore
    queue: JobQueue
    follower: ModelFollower | None = None

    def require_project(self, name: str) -> None:
        """:class:`~parley.errors.NotFoundError` listing the projects unless ``name`` is one."""
        names = self.projects.names()
        if name not in names:
            raise NotFoundError("project", name, names)


def _services(request: Request) -> Services:
    services: Services | None = request.app.state.services
    if services is None:
        raise ApiError(
            404,
            "this server only serves conversations (`parley serve --role bot`); the platform "
            "API is on the server it pulls its models from",
        )
    return services


def _environments(request: Request) -> Environments:
    environments: Environments = request.app.state.environments
    return environments


ServicesDep = Annotated[Services, Depends(_services)]
EnvironmentsDep = Annotated[Environments, Depends(_environments)]
