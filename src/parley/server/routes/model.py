"""Rasa's model endpoints: replace the served model, unload it, parse a message."""

from __future__ import annotations

import logging
from contextlib import AbstractAsyncContextManager, nullcontext
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from parley.auth.permissions import environment_write
from parley.core.messages import MAX_TEXT_LENGTH
from parley.errors import ModelError
from parley.server.auth import Authorized, requires
from parley.server.bot import Bot
from parley.server.dependencies import BotDep
from parley.server.errors import ApiError, responses
from parley.server.services import Services

logger = logging.getLogger(__name__)

router = APIRouter(tags=["model"], dependencies=[Authorized])


def _serving_permission(request: Request) -> str:
    """Replacing or unloading an environment's model changes what it serves."""
    environments = request.app.state.environments
    return environment_write(request.query_params.get("environment") or environments.default)


class ModelRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    model_file: str | None = Field(
        default=None,
        min_length=1,
        description="Path of the model file (`.tar.gz`) on the server's file system.",
    )
    model_server: dict[str, Any] | None = None
    remote_storage: str | None = None


class ParseRequest(BaseModel):
    text: str = Field(max_length=MAX_TEXT_LENGTH)
    message_id: str | None = None


@router.put(
    "/model",
    status_code=204,
    summary="Replace the served model; turns in flight finish on the old one",
    dependencies=[requires(_serving_permission)],
    responses=responses(400, 401, 404, 409, 422),
)
async def replace_model(request: ModelRequest, bot: BotDep, http: Request) -> Response:
    if request.model_server is not None or request.remote_storage is not None:
        raise ApiError(
            400,
            "loading from a model server or remote storage is not supported here; give "
            "`model_file`, the path of a model on the server",
        )
    if request.model_file is None:
        raise ApiError(400, "give `model_file`, the path of a model file on the server")
    path = Path(request.model_file)
    if not path.is_file():
        raise ApiError(400, f"there is no model file at {path} on the server")
    services: Services | None = http.app.state.services
    if services is None:
        raise ApiError(
            409,
            "this server follows the models tagged on its model server; tag the model there "
            "(`parley models tag`) instead",
        )
    async with _beside_the_follower(services):
        try:
            await bot.load(path)
        except ModelError as error:
            raise ApiError(400, f"the model at {path} cannot be loaded: {error}") from None
        await anyio.to_thread.run_sync(_register_and_tag, services, http, bot, path)
    return Response(status_code=204)


def _beside_the_follower(services: Services) -> AbstractAsyncContextManager[object]:
    """Between loading a model and tagging it, the follower would see an environment
    serving an untagged model and unload it: it waits until both are done."""
    return services.follower.lock if services.follower is not None else nullcontext()


def _register_and_tag(services: Services, http: Request, bot: Bot, path: Path) -> None:
    """The loaded model enters the registry (once) and gets the environment's tag, so that
    the environment goes on serving it: an environment serves the model its tag names."""
    project = http.app.state.environments.project
    record, _ = services.registry.adopt(project, path, trained_by="PUT /model")
    assert bot.environment is not None
    services.registry.tag(project, record.name, bot.environment)


@router.delete(
    "/model",
    status_code=204,
    summary="Unload the served model (and take the environment's tag off it)",
    dependencies=[requires(_serving_permission)],
    responses=responses(401, 404),
)
async def unload_model(bot: BotDep, http: Request) -> Response:
    services: Services | None = http.app.state.services
    if services is not None and bot.environment is not None:
        project = http.app.state.environments.project

        def untag() -> None:
            record = services.registry.tagged(project, bot.environment or "")
            if record is not None:
                services.registry.untag(project, record.name, bot.environment or "")

        async with _beside_the_follower(services):
            await anyio.to_thread.run_sync(untag)
            bot.unload()
        return Response(status_code=204)
    bot.unload()
    return Response(status_code=204)


@router.post(
    "/model/parse",
    summary="Parse a message: intent, entities, ranking",
    responses=responses(400, 401, 404, 409, 422),
)
async def parse(request: ParseRequest, bot: BotDep) -> dict[str, Any]:
    result = await bot.parse(request.text)
    if request.message_id is not None:
        result["message_id"] = request.message_id
    return result
