"""HttpDuckling against a real HTTP server speaking Duckling's ``/parse`` protocol (backed by
Duckling in-process), and what the extractor does when the server is down, slow or broken."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

from parley.bootstrap import nlu_context
from parley.clients.duckling import HttpDuckling
from parley.errors import DucklingError
from parley.nlu.component import ComponentContext
from parley.nlu.duckling_engine import InProcessDuckling
from parley.nlu.pipeline import Pipeline
from parley.project.config import ComponentSpec
from parley.settings import Settings

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
TEXT = "tomorrow at 5pm, $20 or twenty three euros, mail a@b.org"


ODD_MATCHES = [
    {"start": 0, "end": 3, "dim": "time", "value": {"type": "interval", "to": "x", "from": 5}},
]
"""A match of the right shape whose interval bounds are not objects."""


class DucklingServer(ThreadingHTTPServer):
    """Duckling's HTTP API. ``mode`` makes it misbehave: ``slow`` holds every request until
    ``release`` is set, ``error`` answers 500, ``garbage`` answers text that is not JSON."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = "duckling"
        self.release = threading.Event()
        self.requests: list[dict[str, str]] = []
        self.engine = InProcessDuckling()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _Handler(BaseHTTPRequestHandler):
    server: DucklingServer

    def do_POST(self) -> None:
        if self.path != "/parse":
            self._answer(404, b"not found")
            return
        length = int(self.headers.get("Content-Length", "0"))
        fields = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode("utf-8")).items()}
        self.server.requests.append(fields)
        if self.server.mode == "slow":
            self.server.release.wait(10)
        if self.server.mode == "error":
            self._answer(500, b"Internal Server Error")
            return
        if self.server.mode == "garbage":
            self._answer(200, b"<html>maintenance</html>")
            return
        if self.server.mode == "odd":
            self._answer(200, json.dumps(ODD_MATCHES).encode("utf-8"), "application/json")
            return
        matches = self.server.engine.parse(
            fields["text"],
            locale=fields["locale"],
            timezone=fields["tz"],
            dimensions=json.loads(fields["dims"]),
            reference_time=datetime.fromtimestamp(int(fields["reftime"]) / 1000, UTC),
        )
        self._answer(200, json.dumps(matches).encode("utf-8"), "application/json")

    def _answer(self, status: int, body: bytes, kind: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read ``server.requests`` instead."""


@pytest.fixture
def server() -> Iterator[DucklingServer]:
    running = DucklingServer()
    thread = threading.Thread(target=running.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield running
    running.release.set()
    running.shutdown()
    running.server_close()
    thread.join(5)


@pytest.fixture
def connect() -> Iterator[Callable[..., HttpDuckling]]:
    """``connect(url, timeout=…)``: an HttpDuckling, closed after the test."""
    clients: list[HttpDuckling] = []

    def make(url: str, timeout: float = 3.0) -> HttpDuckling:
        clients.append(HttpDuckling(url, timeout))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def refused_url() -> str:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _pipeline(context: ComponentContext) -> Pipeline:
    specs = [
        ComponentSpec(name="WhitespaceTokenizer"),
        ComponentSpec(name="DucklingEntityExtractor", options={"timezone": "Europe/Berlin"}),
    ]
    return Pipeline.from_config(specs, context)


def test_http_answers_what_in_process_answers(server: DucklingServer) -> None:
    options: dict[str, Any] = {
        "locale": "en_GB",
        "timezone": "Europe/Berlin",
        "dimensions": [],
        "reference_time": NOW,
    }
    with HttpDuckling(server.url) as remote:
        assert remote.parse(TEXT, **options) == InProcessDuckling().parse(TEXT, **options)
    (sent,) = server.requests
    assert sent == {
        "text": TEXT,
        "locale": "en_GB",
        "lang": "en",
        "tz": "Europe/Berlin",
        "dims": "[]",
        "reftime": str(int(NOW.timestamp() * 1000)),
    }


def test_the_extractor_through_http_finds_what_it_finds_in_process(
    server: DucklingServer, connect: Callable[..., HttpDuckling]
) -> None:
    remote = _pipeline(ComponentContext(duckling=connect(server.url)))
    local = _pipeline(ComponentContext())
    found = remote.parse(TEXT, reference_time=NOW).to_rasa()["entities"]
    assert found == local.parse(TEXT, reference_time=NOW).to_rasa()["entities"]
    assert {e["entity"] for e in found} == {"time", "amount-of-money", "email"}
    assert json.loads(server.requests[0]["dims"]) == []


def test_the_settings_url_selects_the_server(server: DucklingServer) -> None:
    context = nlu_context(Settings.model_validate({"duckling": {"url": server.url}}))
    assert isinstance(context.duckling, HttpDuckling)
    with context.duckling:
        entities = _pipeline(context).parse("$20", reference_time=NOW).entities
    assert [(e.entity, e.value) for e in entities] == [("amount-of-money", 20)]
    assert len(server.requests) == 1
    assert nlu_context(Settings(), language="de").duckling is None


def test_a_server_that_is_down_gives_no_entities_and_a_warning(
    refused_url: str, connect: Callable[..., HttpDuckling], caplog: pytest.LogCaptureFixture
) -> None:
    duckling = connect(refused_url)
    with pytest.raises(DucklingError, match="cannot be reached"):
        duckling.parse("$5", locale="en", timezone="UTC", dimensions=[], reference_time=NOW)
    with caplog.at_level(logging.WARNING):
        result = _pipeline(ComponentContext(duckling=duckling)).parse("$20 tomorrow")
    assert result.entities == []
    assert result.text == "$20 tomorrow"
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert refused_url in record.getMessage()


def test_a_slow_server_times_out_and_the_parse_goes_on(
    server: DucklingServer, connect: Callable[..., HttpDuckling], caplog: pytest.LogCaptureFixture
) -> None:
    server.mode = "slow"
    pipeline = _pipeline(ComponentContext(duckling=connect(server.url, timeout=0.2)))
    with caplog.at_level(logging.WARNING):
        result = pipeline.parse("tomorrow at 5pm", reference_time=NOW)
    assert result.entities == []
    assert "did not answer within 0.2 s" in caplog.text


@pytest.mark.parametrize(
    ("mode", "expected"), [("error", "answered HTTP 500"), ("garbage", "not JSON")]
)
def test_a_broken_server_gives_no_entities_and_a_warning(
    server: DucklingServer,
    connect: Callable[..., HttpDuckling],
    caplog: pytest.LogCaptureFixture,
    mode: str,
    expected: str,
) -> None:
    server.mode = mode
    with caplog.at_level(logging.WARNING):
        result = _pipeline(ComponentContext(duckling=connect(server.url))).parse("$20")
    assert result.entities == []
    assert expected in caplog.text


def test_odd_interval_bounds_give_open_ends(
    server: DucklingServer, connect: Callable[..., HttpDuckling]
) -> None:
    server.mode = "odd"
    result = _pipeline(ComponentContext(duckling=connect(server.url))).parse("$20")
    [entity] = result.entities
    assert entity.entity == "time"
    assert entity.value == {"to": None, "from": None}
