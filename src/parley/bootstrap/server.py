"""Composing the bot server: the part of the composition root that brings the web stack
and the database, kept apart so that commands which never serve do not import them."""

from __future__ import annotations

import gc
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp
from threadpoolctl import threadpool_limits

from parley.bootstrap import action_client, load_model
from parley.channels.socketio import SocketIOChannel, SocketIOOptions
from parley.core.ports import TrackerStore
from parley.ops.metrics import Metrics
from parley.server.app import ServerOptions, create_app
from parley.server.bot import Bot
from parley.server.inline import ThreadedTrackerStore
from parley.settings import Settings
from parley.storage.sql.database import Database
from parley.storage.sql.tracker_store import SqlTrackerStore

GC_THRESHOLDS = (50_000, 20, 100)
"""Allocations before a young collection, and young (then middle) collections before an
older one; Python's defaults are (700, 10, 10)."""


@dataclass(frozen=True)
class Server:
    """A composed bot server: its ASGI app, the served assistant and the API token."""

    app: ASGIApp
    bot: Bot
    auth_token: str
    token_generated: bool
    """True when no token was configured and one was made for this start."""
    database: Database


def server(
    settings: Settings,
    *,
    model: Path | None,
    endpoints: Mapping[str, Any] | None,
    environ: Mapping[str, str],
    socketio: Mapping[str, Any] | None = None,
) -> Server:
    """The bot server the settings describe, serving ``model`` once started: conversations
    in the database of ``settings.database.url`` (migrated to the current schema here),
    custom actions on the action server of the settings or ``endpoints``, the REST and
    socket.io channels (``socketio``: the options of credentials.yml's ``socketio``)."""
    # Turns run side by side on few cores and multiply only small matrices: BLAS threads
    # would just compete with them.
    threadpool_limits(limits=1, user_api="blas")
    # A server keeps many long-lived objects (cached sessions, trackers, the model): with
    # the default thresholds, full collections walked them every few hundred turns and
    # stalled every conversation for tens of milliseconds. Turns free their garbage by
    # reference counting; the collector only has cycles to find, so it may run seldom.
    gc.set_threshold(*GC_THRESHOLDS)
    database = Database.connect(str(settings.database.url))
    database.migrate()
    metrics = Metrics()
    store: TrackerStore = SqlTrackerStore(database)
    if database.backend != "sqlite":
        # Turns run on the event loop; a database across the network is waited for in a
        # thread, so that a slow or unreachable one holds the turn and not the server.
        store = ThreadedTrackerStore(store)
    bot = Bot(
        lambda path: load_model(path, settings=settings),
        tracker_store=store,
        action_client=action_client(settings, endpoints, environ=environ),
        metrics=metrics,
    )
    configured = settings.auth.auth_token
    token = configured.get_secret_value() if configured else secrets.token_urlsafe(24)
    channel = SocketIOChannel(bot, SocketIOOptions.from_credentials(socketio))
    app = create_app(
        bot,
        ServerOptions(
            auth_token=token,
            max_body_size=settings.server.max_body_size,
            cors_origins=[str(origin) for origin in settings.server.cors_origins],
            initial_model=model,
            ping=database.ping,
        ),
        wrap=channel.asgi_app,
    )
    return Server(
        app=app, bot=bot, auth_token=token, token_generated=configured is None, database=database
    )
