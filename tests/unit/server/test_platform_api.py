"""The platform API on in-memory stores: projects and their files, the model registry on
Rasa X's paths (with the model-server protocol), environments, training jobs, and the
permission every write declares."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from tests.support.polling import eventually
from tests.unit.server.helpers import (
    AUTH,
    B_GREETING,
    GREETINGS,
    Served,
    assert_error_body,
    make_served,
)

from parley.auth.permissions import Principal
from parley.server import auth

MODELS = "/api/projects/default/models"


@pytest.fixture
def two(model_a: Path) -> Served:
    """production serves model A; development has no model yet."""
    return make_served(initial_model=model_a, environments=("production", "development"))


@pytest.fixture
def api(two: Served) -> Iterator[TestClient]:
    with TestClient(two.app, raise_server_exceptions=False) as client:
        yield client


def _upload(api: TestClient, model: Path, name: str | None = None) -> dict[str, object]:
    data = {"name": name} if name else {}
    with model.open("rb") as file:
        response = api.post(
            MODELS, params=AUTH, files={"model": (model.name, file, "application/gzip")}, data=data
        )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def _say(api: TestClient, text: str, environment: str | None = None) -> Any:
    params = {"environment": environment} if environment else {}
    return api.post("/webhooks/rest/webhook", params=params, json={"sender": "me", "message": text})


# -- projects ---------------------------------------------------------------------------


def test_projects_and_their_files(api: TestClient) -> None:
    assert api.get("/api/projects", params=AUTH).json() == [{"name": "default"}]
    assert api.post("/api/projects", params=AUTH, json={"name": "shop"}).status_code == 201
    assert_error_body(api.post("/api/projects", params=AUTH, json={"name": "shop"}), 409)
    files = {"domain.yml": "version: '3.1'\n", "data/nlu.yml": "nlu: []\n"}
    assert api.put("/api/projects/shop/files", params=AUTH, json={"files": files}).json() == {
        "files": ["data/nlu.yml", "domain.yml"]
    }
    assert api.get("/api/projects/shop/files", params=AUTH).json() == {"files": files}
    one = api.put(
        "/api/projects/shop/files/data/rules.yml", params=AUTH, json={"content": "rules: []\n"}
    )
    assert one.status_code == 200
    assert api.get("/api/projects/shop/files/data/rules.yml", params=AUTH).json() == {
        "path": "data/rules.yml",
        "content": "rules: []\n",
    }
    assert api.delete("/api/projects/shop/files/data/rules.yml", params=AUTH).status_code == 204
    assert_error_body(api.get("/api/projects/shop/files/data/rules.yml", params=AUTH), 404)
    assert api.delete("/api/projects/shop", params=AUTH).status_code == 204
    missing = assert_error_body(api.get("/api/projects/shop/files", params=AUTH), 404)
    assert "default" in missing["message"]


@pytest.mark.parametrize("path", ["../etc/passwd", "data/../../x.yml", ".hidden/a.yml"])
def test_file_paths_outside_the_project_are_refused(api: TestClient, path: str) -> None:
    response = api.put("/api/projects/default/files", params=AUTH, json={"files": {path: "x: 1\n"}})
    assert_error_body(response, 400)


def test_the_api_needs_the_token(api: TestClient) -> None:
    assert_error_body(api.get("/api/projects"), 401)
    assert_error_body(api.get(MODELS, params={"token": "wrong"}), 401)


# -- the registry -----------------------------------------------------------------------


def test_upload_list_download_delete(api: TestClient, model_b: Path) -> None:
    record = _upload(api, model_b, name="variant")
    assert record["model"] == "variant"
    assert record["tags"] == []
    assert record["trained_by"] == "upload by api-token"
    names = [m["model"] for m in api.get(MODELS, params=AUTH).json()]
    assert names[0] == "variant"
    assert len(names) == 2
    download = api.get(f"{MODELS}/variant", params=AUTH)
    assert download.status_code == 200
    assert download.content == model_b.read_bytes()
    assert download.headers["etag"] == f'"{record["hash"]}"'
    assert_error_body(_upload_raw(api, model_b, "variant"), 409)
    assert api.delete(f"{MODELS}/variant", params=AUTH).status_code == 204
    assert_error_body(api.get(f"{MODELS}/variant", params=AUTH), 404)


def _upload_raw(api: TestClient, model: Path, name: str) -> Any:
    with model.open("rb") as file:
        return api.post(
            MODELS, params=AUTH, files={"model": (model.name, file)}, data={"name": name}
        )


def test_a_corrupt_upload_is_refused_and_not_kept(api: TestClient, corrupt_model: Path) -> None:
    body = assert_error_body(_upload_raw(api, corrupt_model, "broken"), 400)
    assert "train" in body["message"]
    assert [m["model"] for m in api.get(MODELS, params=AUTH).json()] != ["broken"]
    assert "broken" not in [m["model"] for m in api.get(MODELS, params=AUTH).json()]


def test_a_tagged_model_cannot_be_deleted(api: TestClient, model_b: Path) -> None:
    _upload(api, model_b, name="variant")
    assert api.put(f"{MODELS}/variant/tags/staging", params=AUTH).status_code == 204
    body = assert_error_body(api.delete(f"{MODELS}/variant", params=AUTH), 409)
    assert "staging" in body["message"]
    assert api.delete(f"{MODELS}/variant/tags/staging", params=AUTH).status_code == 204
    assert api.delete(f"{MODELS}/variant", params=AUTH).status_code == 204


def test_tagging_moves_the_tag(api: TestClient, model_b: Path) -> None:
    first = api.get(MODELS, params=AUTH).json()[0]["model"]
    _upload(api, model_b, name="variant")
    assert api.put(f"{MODELS}/{first}/tags/staging", params=AUTH).status_code == 204
    assert api.put(f"{MODELS}/variant/tags/staging", params=AUTH).status_code == 204
    tags = {m["model"]: m["tags"] for m in api.get(MODELS, params=AUTH).json()}
    assert tags == {"variant": ["staging"], first: ["production"]}
    assert_error_body(api.delete(f"{MODELS}/{first}/tags/staging", params=AUTH), 404)


def test_get_by_tag_speaks_the_model_server_protocol(api: TestClient, model_a: Path) -> None:
    response = api.get(f"{MODELS}/tags/production", params=AUTH)
    assert response.status_code == 200
    assert response.content == model_a.read_bytes()
    etag = response.headers["etag"]
    assert etag.startswith('"')
    assert len(etag) == 66
    again = api.get(f"{MODELS}/tags/production", params=AUTH, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    bare = api.get(
        f"{MODELS}/tags/production", params=AUTH, headers={"If-None-Match": etag.strip('"')}
    )
    assert bare.status_code == 304
    other = api.get(f"{MODELS}/tags/production", params=AUTH, headers={"If-None-Match": '"x"'})
    assert other.status_code == 200
    assert_error_body(api.get(f"{MODELS}/tags/development", params=AUTH), 404)


# -- environments -----------------------------------------------------------------------


def test_environments_serve_their_tagged_models(api: TestClient, model_b: Path) -> None:
    assert _say(api, "hello").json()[0]["text"] in GREETINGS
    body = assert_error_body(_say(api, "hello", "development"), 409)
    assert "parley models tag MODEL development" in body["message"]
    unknown = assert_error_body(_say(api, "hello", "staging"), 404)
    assert "development" in unknown["message"]
    assert "production" in unknown["message"]

    _upload(api, model_b, name="variant")
    assert api.put(f"{MODELS}/variant/tags/development", params=AUTH).status_code == 204
    eventually(
        lambda: _say(api, "hello", "development").status_code == 200, "development serving", 5
    )
    assert _say(api, "hello", "development").json()[0]["text"] == B_GREETING
    assert _say(api, "hello").json()[0]["text"] in GREETINGS

    listed = {e["name"]: e for e in api.get("/api/environments", params=AUTH).json()}
    assert listed["development"]["model"]["model"] == "variant"
    assert listed["development"]["serving"] == listed["development"]["model"]["hash"]

    assert api.delete(f"{MODELS}/variant/tags/development", params=AUTH).status_code == 204
    eventually(
        lambda: _say(api, "hello", "development").status_code == 409,
        "development without a model",
        5,
    )


def test_environments_on_one_model_share_its_loaded_copy(two: Served, api: TestClient) -> None:
    name = api.get(MODELS, params=AUTH).json()[0]["model"]
    assert api.put(f"{MODELS}/{name}/tags/development", params=AUTH).status_code == 204
    eventually(lambda: _say(api, "hello", "development").status_code == 200, "development", 5.0)
    production = two.environments.bot("production").served
    development = two.environments.bot("development").served
    assert production is not None
    assert development is not None
    assert development.model is production.model
    assert development.agent is not production.agent


def test_conversations_are_kept_per_environment(api: TestClient, model_a: Path) -> None:
    name = api.get(MODELS, params=AUTH).json()[0]["model"]
    assert api.put(f"{MODELS}/{name}/tags/development", params=AUTH).status_code == 204
    eventually(
        lambda: _say(api, "hello", "development").status_code == 200, "development serving", 5
    )
    assert _say(api, "hi there").status_code == 200
    production = api.get("/conversations/me/tracker", params=AUTH).json()
    development = api.get(
        "/conversations/me/tracker", params={**AUTH, "environment": "development"}
    ).json()
    said = [e.get("text") for e in production["events"] if e["event"] == "user"]
    assert said == ["hi there"]
    assert [e.get("text") for e in development["events"] if e["event"] == "user"] == ["hello"]


# -- training jobs ----------------------------------------------------------------------


def test_train_queues_a_job_and_answers_at_once(two: Served, api: TestClient) -> None:
    response = api.post("/api/projects/default/train", params=AUTH, json={"nlu_only": True})
    assert response.status_code == 202
    job = response.json()
    assert job["status"] == "queued"
    assert job["params"] == {"nlu_only": True}
    assert [j.id for j in two.services.queue.submitted] == [job["id"]]
    assert api.get("/api/jobs", params=AUTH).json()[0]["id"] == job["id"]
    shown = api.get(f"/api/jobs/{job['id']}", params=AUTH).json()
    assert shown["log"] == ""
    cancelled = api.post(f"/api/jobs/{job['id']}/cancel", params=AUTH)
    assert cancelled.status_code == 202
    assert cancelled.json()["status"] == "cancelled"
    assert_error_body(api.post(f"/api/jobs/{job['id']}/cancel", params=AUTH), 409)
    assert_error_body(api.get("/api/jobs/999", params=AUTH), 404)
    assert_error_body(api.post("/api/projects/nope/train", params=AUTH), 404)


# -- permissions ------------------------------------------------------------------------


@pytest.fixture
def reader(two: Served) -> Iterator[TestClient]:
    """A caller holding the read permissions and the development environment's write."""
    caller = Principal(
        name="reader",
        permissions=frozenset(
            {"models.read", "projects.read", "training.read", "environments.development.write"}
        ),
    )
    two.app.app.dependency_overrides[auth.require_token] = lambda: caller
    with TestClient(two.app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path", "permission"),
    [
        ("post", "/api/projects", "projects.write"),
        ("delete", "/api/projects/default", "projects.write"),
        ("put", "/api/projects/default/files/domain.yml", "projects.write"),
        ("delete", f"{MODELS}/some", "models.write"),
        ("put", f"{MODELS}/some/tags/production", "environments.production.write"),
        ("delete", f"{MODELS}/some/tags/production", "environments.production.write"),
        ("put", f"{MODELS}/some/tags/staging", "models.write"),
        ("post", "/api/projects/default/train", "training.run"),
        ("post", "/api/jobs/1/cancel", "training.run"),
        ("put", "/model", "environments.production.write"),
        ("delete", "/model", "environments.production.write"),
    ],
)
def test_every_write_declares_its_permission(
    reader: TestClient, method: str, path: str, permission: str
) -> None:
    body = {"name": "x", "content": "x"}
    response = getattr(reader, method)(
        path, **({"json": body} if method in {"post", "put"} else {})
    )
    message = assert_error_body(response, 403)["message"]
    assert repr(permission) in message


def test_a_caller_with_an_environments_write_may_tag_it(reader: TestClient) -> None:
    name = reader.get(MODELS).json()[0]["model"]
    assert reader.put(f"{MODELS}/{name}/tags/development").status_code == 204
    assert reader.get(MODELS).json()[0]["tags"] == ["development", "production"]


def test_put_model_is_never_undone_by_the_follower(
    two: Served, api: TestClient, model_b: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``PUT /model`` loads, then tags; a sync of the follower in between would find
    production serving an untagged model and unload it. Registering is slowed down here so
    that several syncs fall into that window."""
    assert api.delete("/model", params=AUTH).status_code == 204
    adopt = two.services.registry.adopt

    def slow_adopt(*args: Any, **kwargs: Any) -> Any:
        time.sleep(1.0)
        return adopt(*args, **kwargs)

    monkeypatch.setattr(two.services.registry, "adopt", slow_adopt)
    response = api.put("/model", params=AUTH, json={"model_file": str(model_b)})
    assert response.status_code == 204, response.text
    assert api.get("/ready").status_code == 200
    assert _say(api, "hello").json()[0]["text"] == B_GREETING
