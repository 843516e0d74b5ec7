"""What the bot server's unit tests share: the app built around a
:class:`~parley.server.bot.Bot` with in-memory stores and an in-process action server, and
the check of Rasa's error body."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tests.support.fake_action_server import FakeActionServer

import parley
from parley.core.job import Job
from parley.core.stores import InMemoryTrackerStore
from parley.errors import StorageError
from parley.models.registry import ModelRegistry
from parley.server.app import ServerOptions, create_app
from parley.server.bot import Bot
from parley.server.environments import Environments
from parley.server.model_follower import ModelFollower, RegistrySource
from parley.server.services import Services
from parley.server.shared_models import SharedModels
from parley.storage.memory import (
    MemoryJobStore,
    MemoryModelCatalog,
    MemoryModelStore,
    MemoryProjectStore,
)

TOKEN = "t"
AUTH = {"token": TOKEN}

GREETINGS = {
    "Hello, welcome to the Corner Café! What can I get you?",
    "Hi there! What would you like to drink today?",
}
"""What the starter assistant answers to a greeting (one of its two variants)."""

B_GREETING = "Model B says hello."
B_PLACED = "Model B placed your {drink}."


@dataclass
class Served:
    """The app under test and what it is made of."""

    app: Any
    bot: Bot
    store: InMemoryTrackerStore
    actions: FakeActionServer
    services: Services
    environments: Environments


class RecordingQueue:
    """The job queue of unit tests: it keeps what was submitted; no worker takes it."""

    def __init__(self) -> None:
        self.submitted: list[Job] = []

    def submit(self, job: Job) -> None:
        self.submitted.append(job)


def make_served(
    *,
    tracker_store: Any = None,
    actions: FakeActionServer | None = None,
    initial_model: Path | None = None,
    ping: Any = None,
    max_body_size: int = 1_048_576,
    lock_store: Any = None,
    environments: tuple[str, ...] = ("production",),
) -> Served:
    """The server of the starter assistant's tests; ``environments`` after the first
    (production) get in-memory conversation stores of their own."""
    store = tracker_store if tracker_store is not None else InMemoryTrackerStore()
    server = actions if actions is not None else FakeActionServer()
    models = SharedModels(parley.load_model)
    bots = {
        name: Bot(
            models,
            tracker_store=store if index == 0 else InMemoryTrackerStore(),
            lock_store=lock_store,
            action_client=server,
            environment=name,
        )
        for index, name in enumerate(environments)
    }
    projects = MemoryProjectStore()
    projects.create("default")
    catalog = MemoryModelCatalog(projects.names)
    registry = ModelRegistry(catalog, MemoryModelStore())
    if initial_model is not None:
        record = registry.register(
            "default", initial_model, name=initial_model.name, trained_by="test"
        )
        registry.tag("default", record.name, environments[0])
    served = Environments(bots, project="default")
    follower = ModelFollower(served, RegistrySource(registry, "default"), interval=0.2)
    jobs = MemoryJobStore(catalog, projects=projects.names)
    projects.on_delete += [catalog.forget, jobs.forget]
    services = Services(
        projects=projects,
        registry=registry,
        jobs=jobs,
        queue=RecordingQueue(),
        follower=follower,
    )
    app = create_app(
        served,
        ServerOptions(auth_token=TOKEN, ping=ping, max_body_size=max_body_size),
        services=services,
        follower=follower,
    )
    return Served(
        app=app,
        bot=bots[environments[0]],
        store=store,
        actions=server,
        services=services,
        environments=served,
    )


class HttpResponse(Protocol):
    """An answer of httpx's clients or of Starlette's ``TestClient`` (built on httpx2)."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def text(self) -> str: ...
    def json(self) -> Any: ...


def assert_error_body(response: HttpResponse, code: int) -> dict[str, Any]:
    """``response`` is Rasa's error answer with status ``code``; its body."""
    assert response.status_code == code, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == {"version", "status", "message", "reason", "details", "help", "code"}
    assert body["status"] == "failure"
    assert body["code"] == code
    assert body["version"] == parley.__version__
    assert isinstance(body["message"], str)
    assert body["message"]
    assert isinstance(body["reason"], str)
    assert isinstance(body["details"], dict)
    return body


class BrokenStore(InMemoryTrackerStore):
    """Reads work; appending fails as with the database gone mid-turn."""

    def __init__(self) -> None:
        super().__init__()
        self.broken = False

    def append(self, sender_id: str, events: Any, *, model_id: str | None = None) -> None:
        if self.broken:
            raise StorageError("database is unreachable (connection refused)")
        super().append(sender_id, events, model_id=model_id)
