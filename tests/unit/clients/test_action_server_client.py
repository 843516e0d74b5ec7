"""HttpActionClient against a real HTTP server on 127.0.0.1 answering as the Rasa SDK's
webhook does, and as broken, slow or absent servers do; and ``bootstrap.action_client``,
which builds it from the settings or a project's ``endpoints.yml``."""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from parley.bootstrap import action_client
from parley.clients.action_server import HttpActionClient
from parley.errors import ActionRejectedError, ActionServerError, ConfigurationError
from parley.settings import Settings

PAYLOAD: dict[str, Any] = {
    "next_action": "action_check_order",
    "sender_id": "alice",
    "tracker": {"sender_id": "alice", "events": []},
    "domain": {"actions": ["action_check_order"]},
    "version": "3.6.0",
}
REPLY = {
    "events": [{"event": "slot", "name": "order", "value": "A1", "timestamp": None}],
    "responses": [{"text": "Your order is on its way."}],
}


class ActionServer(ThreadingHTTPServer):
    """A webhook whose answer is ``status`` and ``body``; with ``slow`` it holds every request
    until ``release`` is set. ``requests`` keeps what each request carried."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.status = 200
        self.body: bytes = json.dumps(REPLY).encode("utf-8")
        self.slow = False
        self.release = threading.Event()
        self.requests: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/webhook"

    def answer(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")


class _Handler(BaseHTTPRequestHandler):
    server: ActionServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.server.requests.append(
            {
                "path": urlsplit(self.path).path,
                "query": parse_qs(urlsplit(self.path).query),
                "headers": dict(self.headers.items()),
                "json": json.loads(self.rfile.read(length)),
            }
        )
        if self.server.slow:
            self.server.release.wait(10)
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read ``server.requests`` instead."""


@pytest.fixture
def server() -> Iterator[ActionServer]:
    running = ActionServer()
    thread = threading.Thread(target=running.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield running
    running.release.set()
    running.shutdown()
    running.server_close()
    thread.join(5)


@pytest.fixture
def refused_url() -> str:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/webhook"


def run(url: str, payload: dict[str, Any] = PAYLOAD, **options: Any) -> dict[str, Any]:
    with HttpActionClient(url, **options) as client:
        return client.run(payload)


def test_a_reply_is_returned_as_the_server_sent_it(server: ActionServer) -> None:
    assert run(server.url) == REPLY

    (request,) = server.requests
    assert request["path"] == "/webhook"
    assert request["json"] == PAYLOAD
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["query"] == {}


def test_a_reply_without_events_or_responses_is_fine(server: ActionServer) -> None:
    server.answer(200, {})

    assert run(server.url) == {}


def test_token_params_headers_and_basic_auth_are_sent(server: ActionServer) -> None:
    run(
        server.url,
        token="s3cret",
        params={"team": "sales"},
        headers={"X-Api-Key": "k1"},
        basic_auth=("bot", "pw"),
    )

    (request,) = server.requests
    assert request["query"] == {"token": ["s3cret"], "team": ["sales"]}
    assert request["headers"]["X-Api-Key"] == "k1"
    assert request["headers"]["Authorization"] == "Basic " + base64.b64encode(b"bot:pw").decode()


def test_the_token_goes_under_token_name(server: ActionServer) -> None:
    run(server.url, token="s3cret", token_name="api_token")

    assert server.requests[0]["query"] == {"api_token": ["s3cret"]}


def test_a_400_is_the_actions_rejection(server: ActionServer) -> None:
    server.answer(
        400, {"action_name": "action_check_order", "error": "no order number in the message"}
    )

    with pytest.raises(ActionRejectedError) as caught:
        run(server.url)

    assert caught.value.action_name == "action_check_order"
    assert caught.value.error == "no order number in the message"


def test_a_400_without_the_sdk_body_is_a_server_error(server: ActionServer) -> None:
    server.answer(400, b"Bad Request")

    with pytest.raises(ActionServerError, match=r"HTTP 400 .*'action_check_order'.*Bad Request"):
        run(server.url)


def test_an_action_the_server_does_not_have(server: ActionServer) -> None:
    server.answer(
        404,
        {
            "error": "No registered action found for name 'action_check_order'.",
            "action_name": "action_check_order",
        },
    )

    with pytest.raises(ActionServerError) as caught:
        run(server.url)

    message = str(caught.value)
    assert f"the action server at {server.url} has no action named 'action_check_order'" in message
    assert "implement it on the action server" in message
    assert "remove it from the domain" in message


def test_a_404_from_a_wrong_path_points_at_the_url(server: ActionServer) -> None:
    server.answer(404, b"<html>Not Found</html>")

    with pytest.raises(ActionServerError, match=r"HTTP 404 .*check the URL.*/webhook"):
        run(server.url)


@pytest.mark.parametrize("status", [500, 449, 502])
def test_another_status_is_a_server_error_with_an_excerpt(
    server: ActionServer, status: int
) -> None:
    server.answer(status, b"Traceback (most recent call last): boom" + b"x" * 500)

    with pytest.raises(ActionServerError) as caught:
        run(server.url)

    message = str(caught.value)
    assert f"the action server at {server.url} answered HTTP {status}" in message
    assert "'action_check_order'" in message
    assert "Traceback (most recent call last): boom" in message
    assert "x" * 300 not in message  # only an excerpt


def test_a_reply_that_is_not_json(server: ActionServer) -> None:
    server.answer(200, b"<html>maintenance</html>")

    with pytest.raises(ActionServerError, match="'action_check_order' with something that is not"):
        run(server.url)


@pytest.mark.parametrize(
    "body", [[1, 2], "text", None, {"events": {"event": "slot"}}, {"responses": "hi"}]
)
def test_json_that_is_not_a_reply(server: ActionServer, body: Any) -> None:
    server.answer(200, body)

    with pytest.raises(
        ActionServerError, match=re.escape(f"{server.url} answered custom action 'action_")
    ):
        run(server.url)


def test_a_server_that_is_not_running(refused_url: str) -> None:
    with pytest.raises(ActionServerError) as caught:
        run(refused_url)

    message = str(caught.value)
    assert f"the action server at {refused_url} cannot be reached" in message
    assert "'action_check_order'" in message
    assert "start the action server" in message
    assert "PARLEY_ACTION_ENDPOINT" in message


def test_a_host_that_does_not_resolve() -> None:
    with pytest.raises(ActionServerError, match=r"cannot be reached .*start the action server"):
        run("http://actions.invalid/webhook")


def test_a_server_slower_than_the_timeout(server: ActionServer) -> None:
    server.slow = True

    with pytest.raises(ActionServerError) as caught:
        run(server.url, timeout=0.3)

    message = str(caught.value)
    assert f"{server.url} did not answer custom action 'action_check_order' within 0.3 s" in message
    assert "raise the timeout (actions.timeout" in message


def test_messages_never_show_the_token_or_a_password(refused_url: str) -> None:
    url = refused_url.replace("http://", "http://bot:pw@") + "?token=inurl"

    with pytest.raises(ActionServerError) as caught:
        run(url, token="s3cret")

    message = str(caught.value)
    assert "s3cret" not in message
    assert "inurl" not in message
    assert ":pw" not in message
    assert "bot@127.0.0.1" in message


# --- bootstrap.action_client: which action server, from the settings or endpoints.yml --------


def client_from(
    endpoints: dict[str, Any] | None,
    environ: dict[str, str] | None = None,
    **actions: Any,
) -> HttpActionClient | None:
    settings = Settings(actions=actions) if actions else Settings()
    return action_client(settings, endpoints, environ=environ or {})


def test_no_setting_and_no_action_endpoint_is_no_client() -> None:
    assert client_from(None) is None
    assert client_from({}) is None
    assert client_from({"tracker_store": {"type": "memory"}}) is None
    assert client_from({"action_endpoint": None}) is None


@pytest.mark.parametrize("url", [None, "", "  "])
def test_an_action_endpoint_without_a_url_is_no_client(url: str | None) -> None:
    assert client_from({"action_endpoint": {"url": url}}) is None
    assert client_from({"action_endpoint": {"token": "t"}}) is None


def test_the_setting_wins_over_endpoints_yml(server: ActionServer) -> None:
    endpoints = {"action_endpoint": {"url": "http://elsewhere:5055/webhook", "token": "${UNSET}"}}

    client = client_from(endpoints, endpoint=server.url, timeout=4.0)

    assert client is not None
    with client:
        assert (client.url, client.timeout) == (server.url, 4.0)
        assert client.run(PAYLOAD) == REPLY
    assert server.requests[0]["query"] == {}


def test_endpoints_yml_as_rasa_reads_it(server: ActionServer) -> None:
    endpoints = {
        "action_endpoint": {
            "url": server.url,
            "token": "${ACTION_TOKEN}",
            "token_name": "auth",
            "params": {"team": "sales"},
            "headers": {"X-Api-Key": "key-${KEY_SUFFIX}", "X-Retries": 3},
            "basic_auth": {"username": "bot", "password": "${ACTION_PASSWORD}"},
            "cafile": "ignored.pem",
        }
    }
    environ = {"ACTION_TOKEN": "s3cret", "KEY_SUFFIX": "42", "ACTION_PASSWORD": "pw"}

    client = client_from(endpoints, environ, timeout=2.5)

    assert client is not None
    with client:
        assert (client.url, client.timeout) == (server.url, 2.5)
        client.run(PAYLOAD)
    (request,) = server.requests
    assert request["query"] == {"auth": ["s3cret"], "team": ["sales"]}
    assert request["headers"]["X-Api-Key"] == "key-42"
    assert request["headers"]["X-Retries"] == "3"
    assert request["headers"]["Authorization"] == "Basic " + base64.b64encode(b"bot:pw").decode()


def test_the_url_may_come_from_a_variable(server: ActionServer) -> None:
    client = client_from({"action_endpoint": {"url": "${ACTION_URL}"}}, {"ACTION_URL": server.url})

    assert client is not None
    with client:
        assert client.url == server.url


def test_an_unset_variable_is_named() -> None:
    endpoints = {"action_endpoint": {"url": "http://actions:5055/webhook", "token": "${TOKEN}"}}

    with pytest.raises(ConfigurationError) as caught:
        client_from(endpoints, {"OTHER": "x"})

    message = str(caught.value)
    assert "'TOKEN'" in message
    assert "action_endpoint.token" in message
    assert "is not set" in message


def test_variables_are_read_from_environ_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARLEY_TEST_ONLY_IN_OS_ENVIRON", "http://actions:5055/webhook")
    endpoints = {"action_endpoint": {"url": "${PARLEY_TEST_ONLY_IN_OS_ENVIRON}"}}

    with pytest.raises(ConfigurationError, match="PARLEY_TEST_ONLY_IN_OS_ENVIRON"):
        client_from(endpoints, {})


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ("http://actions:5055/webhook", "must be a mapping with a `url`"),
        ({"url": "actions:5055/webhook"}, "`url` 'actions:5055/webhook' is wrong"),
        ({"url": "ftp://actions/webhook"}, "the scheme 'ftp' is not supported"),
        ({"url": "http://a/webhook", "headers": ["X-A: 1"]}, "`headers` must be a mapping"),
        ({"url": "http://a/webhook", "token": {"v": 1}}, "`token` must be text"),
        ({"url": "http://a/webhook", "basic_auth": {"username": "u"}}, "`username` and `password`"),
    ],
)
def test_an_action_endpoint_rasa_would_not_take(section: Any, expected: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(expected)):
        client_from({"action_endpoint": section})
