"""ModelServerClient against a real HTTP server on 127.0.0.1 that speaks Rasa's model-server
pull protocol (ETag, If-None-Match, 304, 404), and against servers that break it: no ETag, a
hostile ETag, an error status, a transfer cut short, no server at all."""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from parley.clients.model_server import UNCHANGED, Download, ModelServerClient
from parley.errors import ModelServerError, ServiceError

TOKEN = "s3cret"
PREFIX = "/parley"


class ModelServer(ThreadingHTTPServer):
    """Serves ``models[(project, tag)] = (fingerprint, bytes)`` under ``PREFIX``, asking for
    ``TOKEN``. ``etag`` overrides the ETag sent (None: none at all), ``status`` forces an
    answer, ``cut`` sends only that many bytes of a 200 and closes the connection."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.models: dict[tuple[str, str], tuple[str, bytes]] = {}
        self.etag: str | bool | None = True
        self.status: int | None = None
        self.cut: int | None = None
        self.requests: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}{PREFIX}"


class _Handler(BaseHTTPRequestHandler):
    server: ModelServer

    def log_message(self, *_: Any) -> None:
        pass

    def do_GET(self) -> None:
        server = self.server
        server.requests.append({"path": self.path, "headers": dict(self.headers.items())})
        parts = self.path.removeprefix(PREFIX).split("/")
        # /api/projects/{project}/models/tags/{tag}
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._error(401, "Unauthorized")
        if server.status is not None:
            return self._error(server.status, "boom")
        if (
            len(parts) != 7
            or parts[1:3] != ["api", "projects"]
            or parts[4:6]
            != [
                "models",
                "tags",
            ]
        ):
            return self._error(404, "no such route")
        found = server.models.get((parts[3], parts[6]))
        if found is None:
            return self._error(404, f"no model tagged {parts[6]}")
        fingerprint, body = found
        if self.headers.get("If-None-Match", "").strip('"') == fingerprint:
            self.send_response(304)
            self.send_header("ETag", f'"{fingerprint}"')
            self.end_headers()
            return None
        self.send_response(200)
        self.send_header("Content-Type", "application/gzip")
        self.send_header("Content-Length", str(len(body)))
        if server.etag is True:
            self.send_header("ETag", f'"{fingerprint}"')
        elif isinstance(server.etag, str):
            self.send_header("ETag", server.etag)
        self.end_headers()
        self.wfile.write(body if server.cut is None else body[: server.cut])
        return None

    def _error(self, status: int, message: str) -> None:
        body = json.dumps({"status": "failure", "message": message, "code": status}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[ModelServer]:
    server = ModelServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def client(server: ModelServer, tmp_path: Path) -> Iterator[ModelServerClient]:
    with ModelServerClient(
        server.url, token=TOKEN, cache_dir=tmp_path / "cache", timeout=5
    ) as client:
        yield client


def _files(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_a_tagged_model_is_downloaded_under_its_fingerprint(
    server: ModelServer, client: ModelServerClient, tmp_path: Path
) -> None:
    server.models["default", "production"] = ("abc123", b"model bytes" * 1000)
    got = client.fetch("production", None)
    assert got == Download(fingerprint="abc123", path=tmp_path / "cache" / "abc123.tar.gz")
    assert got.path.read_bytes() == b"model bytes" * 1000
    assert _files(tmp_path / "cache") == ["abc123.tar.gz"]
    request = server.requests[-1]
    assert request["path"] == f"{PREFIX}/api/projects/default/models/tags/production"
    assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert "If-None-Match" not in request["headers"]


def test_the_fingerprint_held_is_sent_and_an_unchanged_model_is_not_sent_again(
    server: ModelServer, client: ModelServerClient, tmp_path: Path
) -> None:
    server.models["default", "production"] = ("abc123", b"model")
    assert client.fetch("production", "abc123") is UNCHANGED
    assert server.requests[-1]["headers"]["If-None-Match"] == '"abc123"'
    assert _files(tmp_path / "cache") == []

    server.models["default", "production"] = ("def456", b"newer model")
    got = client.fetch("production", "abc123")
    assert isinstance(got, Download)
    assert got.fingerprint == "def456"
    assert got.path.read_bytes() == b"newer model"


def test_no_model_with_the_tag_is_none(server: ModelServer, client: ModelServerClient) -> None:
    server.models["default", "staging"] = ("abc123", b"model")
    assert client.fetch("production", None) is None


def test_the_project_picks_the_models(server: ModelServer, tmp_path: Path) -> None:
    server.models["shop", "production"] = ("f1", b"shop model")
    server.models["default", "production"] = ("f2", b"default model")
    with ModelServerClient(
        server.url + "/", project="shop", token=TOKEN, cache_dir=tmp_path
    ) as client:
        got = client.fetch("production", None)
    assert isinstance(got, Download)
    assert got.path.read_bytes() == b"shop model"
    assert server.requests[-1]["path"] == f"{PREFIX}/api/projects/shop/models/tags/production"


def test_a_weak_etag_loses_its_marker_and_quotes(
    server: ModelServer, client: ModelServerClient
) -> None:
    server.models["default", "production"] = ("abc123", b"model")
    server.etag = 'W/"abc123"'
    got = client.fetch("production", None)
    assert isinstance(got, Download)
    assert got.fingerprint == "abc123"
    assert got.path.name == "abc123.tar.gz"


def test_only_the_newest_models_are_kept(
    server: ModelServer, client: ModelServerClient, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    for number in range(5):
        server.models["default", "production"] = (f"model{number}", b"m")
        got = client.fetch("production", None)
        assert isinstance(got, Download)
        # Distinct times, so the order does not hang on the file system's clock resolution.
        os.utime(got.path, (1_000_000 + number, 1_000_000 + number))
    assert _files(cache) == ["model2.tar.gz", "model3.tar.gz", "model4.tar.gz"]


def test_a_model_without_an_etag_is_an_error_and_not_kept(
    server: ModelServer, client: ModelServerClient, tmp_path: Path
) -> None:
    server.models["default", "production"] = ("abc123", b"model")
    server.etag = None
    with pytest.raises(ModelServerError, match="without an ETag") as raised:
        client.fetch("production", None)
    assert server.url in str(raised.value)
    assert "PARLEY_MODEL_SERVER_URL" in str(raised.value)
    assert _files(tmp_path / "cache") == []


def test_an_etag_that_is_a_path_is_refused(
    server: ModelServer, client: ModelServerClient, tmp_path: Path
) -> None:
    server.models["default", "production"] = ("abc123", b"model")
    server.etag = '"../../escaped"'
    with pytest.raises(ModelServerError, match="not a model fingerprint"):
        client.fetch("production", None)
    assert not (tmp_path / "escaped.tar.gz").exists()
    assert _files(tmp_path / "cache") == []


def test_a_transfer_cut_short_is_an_error_and_leaves_nothing(
    server: ModelServer, client: ModelServerClient, tmp_path: Path
) -> None:
    server.models["default", "production"] = ("abc123", b"x" * 100_000)
    server.cut = 1000
    with pytest.raises(ModelServerError, match="broke off") as raised:
        client.fetch("production", None)
    assert server.url in str(raised.value)
    assert _files(tmp_path / "cache") == []


def test_a_wrong_token_names_the_setting(server: ModelServer, tmp_path: Path) -> None:
    server.models["default", "production"] = ("abc123", b"model")
    with (
        ModelServerClient(server.url, token="wrong", cache_dir=tmp_path) as client,
        pytest.raises(ModelServerError, match="HTTP 401") as raised,
    ):
        client.fetch("production", None)
    assert "PARLEY_MODEL_SERVER__TOKEN" in str(raised.value)


def test_an_error_status_is_a_service_error(server: ModelServer, client: ModelServerClient) -> None:
    server.status = 500
    with pytest.raises(ServiceError, match=r"answered HTTP 500: .*boom"):
        client.fetch("production", None)


def test_no_server_is_an_error_naming_the_url(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with (
        ModelServerClient(url, token=None, cache_dir=tmp_path) as client,
        pytest.raises(ModelServerError, match="cannot be reached") as raised,
    ):
        client.fetch("production", None)
    assert f"{url}/api/projects/default/models/tags/production" in str(raised.value)
    assert "start it" in str(raised.value)
