"""Composing the bot server: the part of the composition root that brings the web stack
and the database, kept apart so that commands which never serve do not import them."""

from __future__ import annotations

import gc
import secrets
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp
from threadpoolctl import threadpool_limits

from parley.bootstrap import action_client, load_model
from parley.bootstrap.jobs import ManagedJobQueue, job_queue
from parley.bootstrap.platform import Platform, platform
from parley.channels.socketio import SocketIOChannel, SocketIOOptions
from parley.clients.model_server import ModelServerClient
from parley.core.model_record import ModelRecord
from parley.core.ports import TrackerStore
from parley.errors import ConfigurationError, ConflictError
from parley.ops.metrics import Metrics
from parley.project.files import project_files
from parley.server.app import ServerOptions, create_app
from parley.server.bot import Bot
from parley.server.environments import Environments
from parley.server.inline import ThreadedTrackerStore
from parley.server.model_follower import ModelFollower, ModelSource, RegistrySource
from parley.server.services import Services
from parley.server.shared_models import SharedModels
from parley.settings import Settings
from parley.storage.sql.database import Database
from parley.storage.sql.tracker_store import SqlTrackerStore

GC_THRESHOLDS = (50_000, 20, 100)
"""Allocations before a young collection, and young (then middle) collections before an
older one; Python's defaults are (700, 10, 10)."""


class Role(StrEnum):
    """What a server process does (``parley serve --role``)."""

    ALL = "all"
    """The platform API, every environment's conversations, and (without Redis) the
    training worker in a child process: the embedded default."""
    BOT = "bot"
    """Conversations of one environment (``environments.serve_environment``), on the
    model its tag names: pulled from ``model_server.url``, or read from the registry."""


@dataclass(frozen=True)
class Server:
    """A composed server: its ASGI app, the environments it serves and the API token."""

    app: ASGIApp
    environments: Environments
    auth_token: str
    token_generated: bool
    """True when no token was configured and one was made for this start."""
    database: Database
    queue: ManagedJobQueue | None = None

    def close(self) -> None:
        """Release what the app's lifespan does not: the job queue, the database."""
        if self.queue is not None:
            self.queue.close()
        self.database.close()


def server(
    settings: Settings,
    *,
    endpoints: Mapping[str, Any] | None,
    environ: Mapping[str, str],
    socketio: Mapping[str, Any] | None = None,
    role: Role = Role.ALL,
) -> Server:
    """The server the settings describe: conversations in the database of
    ``settings.database.url`` (migrated to the current schema here), one environment per
    ``environments.names`` (the bot role: ``environments.serve_environment`` alone), each on
    the model its tag names; custom actions on the action server of the settings or
    ``endpoints``; the REST and socket.io channels (``socketio``: the options of
    credentials.yml's ``socketio``)."""
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
    actions = action_client(settings, endpoints, environ=environ)
    project = settings.environments.project
    models = SharedModels(lambda path: load_model(path, settings=settings))

    def bot(environment: str) -> Bot:
        store: TrackerStore = SqlTrackerStore(database, environment=environment)
        if database.backend != "sqlite":
            # Turns run on the event loop; a database across the network is waited for in
            # a thread, so that a slow or unreachable one holds the turn and not the server.
            store = ThreadedTrackerStore(store)
        return Bot(
            models,
            tracker_store=store,
            action_client=actions,
            metrics=metrics,
            environment=environment,
        )

    services: Services | None = None
    queue: ManagedJobQueue | None = None
    if role is Role.BOT:
        name = settings.environments.serve_environment
        if name is None:
            raise ConfigurationError(
                "a bot server serves one environment: set environments.serve_environment "
                f"(PARLEY_SERVE_ENVIRONMENT or --environment) to one of "
                f"{', '.join(settings.environments.names)}"
            )
        environments = Environments({name: bot(name)}, project=project)
        follower = ModelFollower(
            environments,
            _bot_source(settings, database),
            interval=settings.model_server.pull_interval,
        )
    else:
        stores = platform(settings, database)
        _ensure_project(stores, project)
        environments = Environments(
            {name: bot(name) for name in settings.environments.names}, project=project
        )
        follower = ModelFollower(
            environments, RegistrySource(stores.registry, project), interval=FOLLOW_INTERVAL
        )
        queue = job_queue(settings, stores)
        services = Services(
            projects=stores.projects,
            registry=stores.registry,
            jobs=stores.jobs,
            queue=queue,
            follower=follower,
        )
    configured = settings.auth.auth_token
    token = configured.get_secret_value() if configured else secrets.token_urlsafe(24)
    channel = SocketIOChannel(environments, SocketIOOptions.from_credentials(socketio))
    app = create_app(
        environments,
        ServerOptions(
            auth_token=token,
            max_body_size=settings.server.max_body_size,
            max_upload_size=settings.server.max_upload_size,
            cors_origins=[str(origin) for origin in settings.server.cors_origins],
            ping=database.ping,
        ),
        services=services,
        follower=follower,
        wrap=channel.asgi_app,
    )
    if queue is not None:
        queue.start()
    return Server(
        app=app,
        environments=environments,
        auth_token=token,
        token_generated=configured is None,
        database=database,
        queue=queue,
    )


FOLLOW_INTERVAL = 0.5
"""Seconds between two reads of the registry's tags: a tag changed by another process
reaches serving within this (one changed here, at once)."""


def _bot_source(settings: Settings, database: Database) -> ModelSource:
    url = settings.model_server.url
    if url is None:
        # Replicas sharing the database read the registry themselves.
        return RegistrySource(platform(settings, database).registry, settings.environments.project)
    token = settings.model_server.token
    return ModelServerClient(
        str(url),
        project=settings.environments.project,
        token=token.get_secret_value() if token else None,
        cache_dir=settings.home / "cache" / "model-server",
    )


def _ensure_project(stores: Platform, name: str) -> None:
    if name not in stores.projects.names():
        with suppress(ConflictError):  # another process made it meanwhile
            stores.projects.create(name)


def deploy_project(
    stores: Platform, project: str, folder: Path, model: Path, *, environment: str
) -> tuple[ModelRecord, bool]:
    """What ``parley run DIR`` does before serving: the folder's files become the stored
    project's, its model enters the registry (once per fingerprint), and ``environment``
    gets the model when the model is new or the environment has none. Returns the model's
    record and whether the environment serves it (or one of the same fingerprint)."""
    _ensure_project(stores, project)
    files = project_files(folder)
    if stores.projects.files(project) != files:
        stores.projects.replace(project, files)
    registry = stores.registry
    record, new = registry.adopt(project, model, trained_by="parley run")
    current = registry.tagged(project, environment)
    if current is not None and current.fingerprint == record.fingerprint:
        return current, True
    if new or current is None:
        return registry.tag(project, record.name, environment), True
    return record, False
