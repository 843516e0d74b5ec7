"""The app factory: the ASGI application serving one assistant, its channels and the
Rasa-compatible HTTP API, built from parts the composition root chose."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from parley.channels import rest
from parley.server import errors
from parley.server.body_limit import BodyLimit
from parley.server.environments import Environments
from parley.server.model_follower import ModelFollower
from parley.server.routes import (
    conversations,
    environments,
    health,
    jobs,
    metrics,
    model,
    models,
    projects,
    status,
)
from parley.server.services import Services
from parley.version import __version__

UPLOADS = re.compile(r"/api/projects/[^/]+/(models|files)")
"""The paths that take files, and the larger limit of ``server.max_upload_size``."""


@dataclass(frozen=True)
class ServerOptions:
    auth_token: str
    """The token the management endpoints require."""
    max_body_size: int = 1_048_576
    max_upload_size: int = 1 << 30
    cors_origins: list[str] = field(default_factory=list)
    initial_model: Path | None = None
    """Loaded into the default environment before the server accepts requests (when no
    follower says otherwise: with a follower, its first sync loads the tagged models)."""
    ping: Callable[[], None] | None = None
    """Raises :class:`parley.errors.StorageError` when the database is unreachable."""


def create_app(
    served: Environments,
    options: ServerOptions,
    *,
    services: Services | None = None,
    follower: ModelFollower | None = None,
    wrap: Callable[[ASGIApp], ASGIApp] | None = None,
) -> ASGIApp:
    """The server's ASGI app: conversations of every environment in ``served``, the
    platform API when there are ``services``, environments kept on their tagged models by
    ``follower``. ``wrap`` mounts what lives beside FastAPI (the socket.io channel wraps
    the app, as python-socketio's ASGI app does)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if options.initial_model is not None:
            await served.bot().load(options.initial_model)
        following = None
        if follower is not None:
            # The first sync before serving: each environment answers with its model
            # from the first request on.
            await follower.sync()
            following = asyncio.create_task(follower.run())
        yield
        if following is not None:
            following.cancel()
            with suppress(asyncio.CancelledError):
                await following
        await served.aclose()

    app = FastAPI(
        title="Parley",
        version=__version__,
        summary="A served Parley assistant: channels and the Rasa-compatible HTTP API.",
        lifespan=lifespan,
    )
    app.state.environments = served
    app.state.services = services
    app.state.auth_token = options.auth_token
    app.state.ping = options.ping
    errors.install(app)
    for module in (health, metrics, status, model, conversations):
        app.include_router(module.router)
    for module in (projects, models, environments, jobs):
        app.include_router(module.router)
    app.include_router(
        rest.router(served, error_responses=errors.responses(400, 404, 409, 413, 422, 503))
    )
    if options.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=options.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    limited: ASGIApp = BodyLimit(
        app, options.max_body_size, uploads=UPLOADS, max_upload_bytes=options.max_upload_size
    )
    return wrap(limited) if wrap else limited
