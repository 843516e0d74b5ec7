"""Schemathesis against the server's own OpenAPI document: no generated request gets a 5xx,
and every answer matches what the document says (status code, content type, body schema).

The server is a real ``parley run`` process (the starter assistant, SQLite in a temporary
``PARLEY_HOME``); the requests carry the API token, so the management endpoints are fuzzed
past authentication. Examples are bounded and derandomized: the run is reproducible and
takes well under a minute.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.testclient import TestClient
from tests.support.parley_server import running_parley

from parley.bootstrap import load_model
from parley.core.stores import InMemoryTrackerStore
from parley.project.scaffold import create_starter_project
from parley.server.app import ServerOptions, create_app
from parley.server.bot import Bot
from parley.server.environments import Environments

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def parley_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    root = tmp_path_factory.mktemp("fuzz")
    project = root / "cafe"
    create_starter_project(project)
    with running_parley(project, home=root / "home") as served:
        yield served


@pytest.fixture(scope="module")
def session(parley_server: tuple[str, str]) -> Iterator[requests.Session]:
    with requests.Session() as http:
        http.trust_env = False  # never through a proxy of the environment
        http.headers["Authorization"] = f"Bearer {parley_server[1]}"
        yield http


def _document() -> dict[str, Any]:
    """The server's OpenAPI document, built in-process so the tests can be generated at
    collection time (``test_the_document_is_the_served_one`` checks that ``parley run``
    serves this very document). Schemathesis' lazy ``from_fixture`` loader fails under
    pytest 9 (it reads ``request.node._nodeid``, which pytest 9 removed)."""
    app = create_app(
        Environments(
            {"production": Bot(load_model, tracker_store=InMemoryTrackerStore())},
            project="default",
        ),
        ServerOptions(auth_token="unused"),
    )
    with TestClient(app) as client:
        document: dict[str, Any] = client.get("/openapi.json").json()
    return document


DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(DOCUMENT)


def test_the_document_is_the_served_one(parley_server: tuple[str, str]) -> None:
    with requests.Session() as http:
        http.trust_env = False
        served = http.get(f"{parley_server[0]}/openapi.json", timeout=10)
    assert served.status_code == 200
    assert served.json() == DOCUMENT


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_and_answers_match_the_document(
    case: Any, session: requests.Session, parley_server: tuple[str, str]
) -> None:
    base_url = parley_server[0]
    unloads = case.path == "/model" and case.method == "DELETE"
    served = session.get(f"{base_url}/status", timeout=10).json()["model_file"] if unloads else None
    case.call_and_validate(base_url=base_url, session=session, checks=CHECKS)
    if served is not None:
        # Load the model again, or every later operation would answer 409.
        reloaded = session.put(f"{base_url}/model", json={"model_file": served}, timeout=60)
        assert reloaded.status_code == 204, reloaded.text


def test_the_server_still_serves(parley_server: tuple[str, str]) -> None:
    base_url, _ = parley_server
    with requests.Session() as http:
        http.trust_env = False
        ready = http.get(f"{base_url}/ready", timeout=10)
        assert ready.status_code == 200, ready.text
        answer = http.post(
            f"{base_url}/webhooks/rest/webhook",
            json={"sender": "after-fuzz", "message": "hi"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
