"""The app factory: the ASGI application serving one assistant, its channels and the
Rasa-compatible HTTP API, built from parts the composition root chose."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from parley.channels import rest
from parley.server import errors
from parley.server.body_limit import BodyLimit
from parley.server.bot import Bot
from parley.server.routes import conversations, health, metrics, model, status
from parley.version import __version__


@dataclass(frozen=True)
class ServerOptions:
    auth_token: str
    """The token the management endpoints require."""
    max_body_size: int = 1_048_576
    cors_origins: list[str] = field(default_factory=list)
    initial_model: Path | None = None
    """Loaded before the server accepts requests."""
    ping: Callable[[], None] | None = None
    """Raises :class:`parley.errors.StorageError` when the database is unreachable."""


def create_app(
    bot: Bot,
    options: ServerOptions,
    *,
    wrap: Callable[[ASGIApp], ASGIApp] | None = None,
) -> ASGIApp:
    """The server's ASGI app. ``wrap`` mounts what lives beside FastAPI (the socket.io
    channel wraps the app, as python-socketio's ASGI app does)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if options.initial_model is not None:
            await bot.load(options.initial_model)
        yield
        await bot.aclose()

    app = FastAPI(
        title="Parley",
        version=__version__,
        summary="A served Parley assistant: channels and the Rasa-compatible HTTP API.",
        lifespan=lifespan,
    )
    app.state.bot = bot
    app.state.auth_token = options.auth_token
    app.state.ping = options.ping
    errors.install(app)
    for module in (health, metrics, status, model, conversations):
        app.include_router(module.router)
    app.include_router(rest.router(bot, error_responses=errors.responses(400, 409, 413, 422, 503)))
    if options.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=options.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    served: ASGIApp = BodyLimit(app, options.max_body_size)
    return wrap(served) if wrap else served
