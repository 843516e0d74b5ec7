"""Liveness and readiness, for load balancers and orchestrators."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from parley.errors import StorageError
from parley.server.dependencies import BotDep
from parley.server.errors import responses

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    model: str | None
    """The served model's file name; None when none is loaded."""
    database: Literal["ok", "unavailable"]
    problems: list[str] = []


@router.get("/health", summary="Liveness: the process answers")
async def health() -> Health:
    return Health()


@router.get(
    "/ready",
    summary="Readiness: a model is loaded and the database is reachable",
    response_model=Readiness,
    responses={
        **responses(404),
        503: {"model": Readiness, "description": "Not ready; `problems` says why"},
    },
)
async def ready(request: Request, bot: BotDep) -> Readiness | JSONResponse:
    problems: list[str] = []
    served = bot.served
    if served is None:
        problems.append("no model is loaded")
    database: Literal["ok", "unavailable"] = "ok"
    ping: Callable[[], None] | None = request.app.state.ping
    if ping is not None:
        try:
            await anyio.to_thread.run_sync(ping)
        except StorageError as error:
            database = "unavailable"
            problems.append(str(error))
    answer = Readiness(
        status="not ready" if problems else "ready",
        model=served.path.name if served else None,
        database=database,
        problems=problems,
    )
    if problems:
        return JSONResponse(answer.model_dump(), status_code=503)
    return answer
