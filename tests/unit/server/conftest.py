"""Fixtures of the bot server's unit tests: the starter assistant trained once per session
(and a variant that answers differently, to tell two models apart), and the server app
(see :mod:`tests.unit.server.helpers`)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient
from tests.unit.server.helpers import B_GREETING, B_PLACED, GREETINGS, Served, make_served

import parley
from parley.project.scaffold import create_starter_project


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def starter_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("starter") / "cafe"
    create_starter_project(project)
    return project


@pytest.fixture(scope="session")
def model_a(starter_project: Path) -> Path:
    """The starter assistant's model."""
    return parley.train(starter_project, starter_project / "models").path


@pytest.fixture(scope="session")
def model_b(starter_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The starter assistant with other words for its greeting and for a placed order."""
    project = tmp_path_factory.mktemp("variant") / "cafe"
    shutil.copytree(starter_project, project, ignore=shutil.ignore_patterns("models"))
    domain = project / "domain.yml"
    text = domain.read_text(encoding="utf-8")
    for greeting in GREETINGS:
        text = text.replace(greeting, B_GREETING)
    text = text.replace(
        "Done! Your {drink} will be ready at the counter in a few minutes.", B_PLACED
    )
    assert B_GREETING in text
    assert B_PLACED in text
    domain.write_text(text, encoding="utf-8")
    return parley.train(project, project / "models").path


@pytest.fixture(scope="session")
def nlu_only_model(starter_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("nlu-only")
    return parley.train(starter_project, out, nlu_only=True).path


@pytest.fixture
def corrupt_model(tmp_path: Path) -> Path:
    """A file named like a model that is not one (a truncated download, say)."""
    path = tmp_path / "20260101-000000-corrupt.tar.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00 this is not a gzip stream at all" * 50)
    return path


@pytest.fixture
def served(model_a: Path) -> Served:
    """The starter assistant's server; its lifespan loads ``model_a``."""
    return make_served(initial_model=model_a)


@pytest.fixture
def client(served: Served) -> Iterator[TestClient]:
    """A client of :func:`served`, its lifespan run (the model loaded)."""
    with TestClient(served.app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
async def aclient(served: Served, model_a: Path) -> AsyncIterator[httpx.AsyncClient]:
    """An async client of :func:`served`, for tests that run requests concurrently. The
    ASGI transport runs no lifespan: the model is loaded here."""
    await served.bot.load(model_a)
    transport = httpx.ASGITransport(served.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://parley") as async_client:
        yield async_client
