"""Rasa's ``/version`` and ``/status``."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from parley.models.manifest import FORMAT_VERSION
from parley.server.auth import Authorized
from parley.server.dependencies import BotDep
from parley.server.errors import responses
from parley.version import __version__

router = APIRouter(tags=["server"])


class Version(BaseModel):
    version: str
    minimum_compatible_version: str
    """The oldest Parley whose models this server loads (Rasa's field)."""
    model_format: int


class Status(BaseModel):
    model_file: str | None
    model_id: str | None
    fingerprint: dict[str, str] | None
    num_active_training_jobs: int = 0


@router.get("/version", summary="The server's version")
async def version() -> Version:
    return Version(
        version=__version__,
        minimum_compatible_version=__version__,
        model_format=FORMAT_VERSION,
    )


@router.get(
    "/status",
    summary="The loaded model",
    dependencies=[Authorized],
    responses=responses(401, 404, 422),
)
async def status(bot: BotDep) -> Status:
    served = bot.served
    if served is None:
        return Status(model_file=None, model_id=None, fingerprint=None)
    return Status(
        model_file=str(served.path),
        model_id=served.id,
        fingerprint={"model": served.id},
    )
