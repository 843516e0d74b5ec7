"""The deployment environments and the model each one serves."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from parley.auth.permissions import ENVIRONMENTS_READ
from parley.core.model_record import NAME_PATTERN
from parley.server.auth import requires
from parley.server.errors import responses
from parley.server.services import EnvironmentsDep, ServicesDep

router = APIRouter(prefix="/api/environments", tags=["environments"])


class Environment(BaseModel):
    name: str
    model: dict[str, Any] | None
    """The registry's record of the model tagged for it; null when there is none."""
    serving: str | None
    """The fingerprint of the model this server has loaded for it (it follows the tag
    within a second)."""


@router.get(
    "",
    summary="The environments and the model tagged for each",
    dependencies=[requires(ENVIRONMENTS_READ)],
    responses=responses(401, 404),
)
def list_environments(
    environments: EnvironmentsDep,
    services: ServicesDep,
    project: Annotated[str | None, Query(pattern=NAME_PATTERN.pattern)] = None,
) -> list[Environment]:
    chosen = project or environments.project
    services.require_project(chosen)
    found = []
    for name, bot in environments.items():
        record = services.registry.tagged(chosen, name)
        served = bot.served if chosen == environments.project else None
        found.append(
            Environment(
                name=name,
                model=record.to_json() if record else None,
                serving=served.id if served else None,
            )
        )
    return found
