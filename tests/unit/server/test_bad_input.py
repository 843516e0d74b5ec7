"""Bad requests get Rasa's error body with a 4xx status, the server keeps serving, and no
event of a refused request is stored."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient
from tests.unit.server.helpers import (
    AUTH,
    GREETINGS,
    BrokenStore,
    Served,
    assert_error_body,
    make_served,
)

TEN_MB = 10 * 1024 * 1024
JSON = {"content-type": "application/json"}


def still_serving(client: TestClient | httpx.Client) -> None:
    response = client.post("/webhooks/rest/webhook", json={"sender": "ok", "message": "hi"})
    assert response.status_code == 200, response.text
    assert response.json()[0]["text"] in GREETINGS


# Where a body is read, with a valid body for it.
BODIES = [
    ("POST", "/webhooks/rest/webhook", {"sender": "x", "message": "hi"}),
    ("POST", "/model/parse", {"text": "hi"}),
    ("POST", "/conversations/x/messages", {"text": "hi", "sender": "user"}),
    ("POST", "/conversations/x/tracker/events", [{"event": "restart"}]),
    ("POST", "/conversations/x/trigger_intent", {"name": "greet"}),
    ("POST", "/conversations/x/execute", {"name": "utter_greet"}),
    ("PUT", "/model", {"model_file": "/nowhere.tar.gz"}),
]
IDS = [f"{method} {path}" for method, path, _ in BODIES]


@pytest.mark.parametrize("endpoint", BODIES, ids=IDS)
@pytest.mark.parametrize(
    "raw",
    [b'{"sender": "x", "message": ', b"{'single': 'quotes'}", b"", b"\x00\x01"],
    ids=["truncated", "python-dict", "empty", "binary"],
)
def test_malformed_json_is_a_bad_request(
    client: TestClient, served: Served, endpoint: tuple[str, str, Any], raw: bytes
) -> None:
    method, path, _ = endpoint
    response = client.request(method, path, params=AUTH, content=raw, headers=JSON)
    if raw == b"":
        # No body at all: the body is missing, which is a validation error.
        assert response.status_code in {400, 422}
        assert_error_body(response, response.status_code)
    else:
        assert "JSON" in assert_error_body(response, 400)["message"]
    assert served.store.sender_ids() == []
    still_serving(client)


@pytest.mark.parametrize(
    "endpoint",
    [
        ("POST", "/webhooks/rest/webhook", {"sender": "x", "message": 42}),
        ("POST", "/webhooks/rest/webhook", {"sender": ["x"], "message": "hi"}),
        ("POST", "/webhooks/rest/webhook", {"sender": "x", "message": "hi", "metadata": [1]}),
        ("POST", "/webhooks/rest/webhook", {"sender": "x"}),
        ("POST", "/webhooks/rest/webhook", ["not", "an", "object"]),
        ("POST", "/model/parse", {"text": None}),
        ("POST", "/conversations/x/messages", {"text": {"nested": 1}}),
        ("POST", "/conversations/x/messages", {"text": "hi", "metadata": "nope"}),
        ("POST", "/conversations/x/tracker/events", "restart"),
        ("POST", "/conversations/x/tracker/events", [1, 2]),
        ("POST", "/conversations/x/trigger_intent", {"name": 7}),
        ("POST", "/conversations/x/trigger_intent", {"name": "greet", "entities": [1]}),
        ("POST", "/conversations/x/execute", {"name": ""}),
        ("PUT", "/model", {"model_file": 3}),
    ],
)
def test_wrong_types_are_a_validation_error(
    client: TestClient, served: Served, endpoint: tuple[str, str, Any]
) -> None:
    method, path, body = endpoint
    response = client.request(method, path, params=AUTH, json=body)
    error = assert_error_body(response, 422)
    assert error["reason"] == "ValidationError"
    assert error["details"]["errors"]
    assert served.store.sender_ids() == []
    still_serving(client)


@pytest.mark.parametrize("endpoint", BODIES, ids=IDS)
def test_invalid_utf8_is_refused(
    client: TestClient, served: Served, endpoint: tuple[str, str, Any]
) -> None:
    method, path, _ = endpoint
    raw = b'{"sender": "x", "message": "caf\xe9 \xff\xfe", "text": "\xc3\x28"}'
    response = client.request(method, path, params=AUTH, content=raw, headers=JSON)
    assert 400 <= response.status_code < 500
    assert_error_body(response, response.status_code)
    assert served.store.sender_ids() == []
    still_serving(client)


LONG_ID = "s" * 256


def test_a_sender_id_over_255_characters_is_refused(client: TestClient, served: Served) -> None:
    at_limit = "s" * 255
    assert (
        client.post(
            "/webhooks/rest/webhook", json={"sender": at_limit, "message": "hi"}
        ).status_code
        == 200
    )
    assert served.store.exists(at_limit)

    rest = client.post("/webhooks/rest/webhook", json={"sender": LONG_ID, "message": "hi"})
    assert_error_body(rest, 422)
    for method, path, body in [
        ("GET", f"/conversations/{LONG_ID}/tracker", None),
        ("POST", f"/conversations/{LONG_ID}/messages", {"text": "hi"}),
        ("POST", f"/conversations/{LONG_ID}/tracker/events", [{"event": "restart"}]),
        ("POST", f"/conversations/{LONG_ID}/trigger_intent", {"name": "greet"}),
        ("POST", f"/conversations/{LONG_ID}/predict", None),
        ("POST", f"/conversations/{LONG_ID}/execute", {"name": "utter_greet"}),
    ]:
        response = client.request(method, path, params=AUTH, json=body)
        assert_error_body(response, 422)
    assert served.store.sender_ids() == [at_limit]
    still_serving(client)


def test_an_empty_sender_is_refused(client: TestClient, served: Served) -> None:
    assert_error_body(
        client.post("/webhooks/rest/webhook", json={"sender": "", "message": "hi"}), 422
    )
    assert served.store.sender_ids() == []


def test_a_message_too_long_to_parse_is_refused(client: TestClient, served: Served) -> None:
    long_text = "latte " * 2000
    assert_error_body(
        client.post("/webhooks/rest/webhook", json={"sender": "x", "message": long_text}), 422
    )
    assert_error_body(client.post("/model/parse", params=AUTH, json={"text": long_text}), 422)
    assert served.store.sender_ids() == []


def test_unknown_route_and_method(client: TestClient) -> None:
    assert_error_body(client.get("/no/such/route"), 404)
    assert_error_body(client.get("/webhooks/rest/webhook"), 405)


# -- bodies over the limit --------------------------------------------------------------


def big_body() -> bytes:
    return b'{"sender": "big", "message": "' + b"a" * TEN_MB + b'"}'


@pytest.fixture
async def big_client(served: Served, model_a: Any) -> AsyncIterator[httpx.AsyncClient]:
    await served.bot.load(model_a)
    transport = httpx.ASGITransport(served.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://parley") as client:
        yield client


@pytest.mark.anyio
@pytest.mark.parametrize("endpoint", BODIES, ids=IDS)
async def test_a_10_mb_body_with_content_length_is_too_large(
    big_client: httpx.AsyncClient, served: Served, endpoint: tuple[str, str, Any]
) -> None:
    method, path, _ = endpoint
    response = await big_client.request(method, path, params=AUTH, content=big_body(), headers=JSON)
    assert response.request.headers["content-length"] == str(len(big_body()))
    assert "limit" in assert_error_body(response, 413)["message"]
    assert served.store.sender_ids() == []


async def _chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.anyio
@pytest.mark.parametrize("endpoint", BODIES, ids=IDS)
async def test_a_10_mb_chunked_body_is_too_large(
    big_client: httpx.AsyncClient, served: Served, endpoint: tuple[str, str, Any]
) -> None:
    method, path, _ = endpoint
    """No Content-Length: the limit is found while the body streams in."""
    response = await big_client.request(
        method, path, params=AUTH, content=_chunks(big_body()), headers=JSON
    )
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in response.request.headers
    assert "limit" in assert_error_body(response, 413)["message"]
    assert served.store.sender_ids() == []
    after = await big_client.post("/webhooks/rest/webhook", json={"sender": "ok", "message": "hi"})
    assert after.status_code == 200


@pytest.mark.anyio
async def test_a_chunked_body_under_the_limit_is_served(
    big_client: httpx.AsyncClient, served: Served
) -> None:
    body = b'{"sender": "small", "message": "hi"}'
    response = await big_client.post(
        "/webhooks/rest/webhook", content=_chunks(body, size=5), headers=JSON
    )
    assert response.status_code == 200, response.text
    assert served.store.exists("small")


def test_the_limit_is_the_configured_one(model_a: Any) -> None:
    served = make_served(initial_model=model_a, max_body_size=100)
    with TestClient(served.app) as client:
        ok = client.post("/webhooks/rest/webhook", json={"sender": "a", "message": "hi"})
        assert ok.status_code == 200
        over = client.post("/webhooks/rest/webhook", json={"sender": "a", "message": "a" * 100})
        assert_error_body(over, 413)


# -- a failing store --------------------------------------------------------------------


@pytest.fixture
def broken(model_a: Any) -> Iterator[tuple[TestClient, BrokenStore]]:
    store = BrokenStore()
    served = make_served(tracker_store=store, initial_model=model_a)
    with TestClient(served.app, raise_server_exceptions=False) as client:
        yield client, store


def test_a_turn_the_store_cannot_keep_is_a_503_and_nothing_is_kept(
    broken: tuple[TestClient, BrokenStore],
) -> None:
    client, store = broken
    client.post("/webhooks/rest/webhook", json={"sender": "a", "message": "hi"})
    kept = store.retrieve_all("a")
    store.broken = True
    response = client.post(
        "/webhooks/rest/webhook", json={"sender": "a", "message": "can I get a latte?"}
    )
    error = assert_error_body(response, 503)
    assert "unavailable" in error["message"]
    assert response.headers["retry-after"] == "1"
    assert store.retrieve_all("a") == kept
    for method, path, body in [
        ("POST", "/conversations/a/messages", {"text": "hi"}),
        ("POST", "/conversations/a/tracker/events", [{"event": "restart"}]),
        ("POST", "/conversations/a/trigger_intent", {"name": "greet"}),
        ("POST", "/conversations/a/execute", {"name": "utter_greet"}),
    ]:
        assert_error_body(client.request(method, path, params=AUTH, json=body), 503)
    assert store.retrieve_all("a") == kept
    store.broken = False
    still_serving(client)
