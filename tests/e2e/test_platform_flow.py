"""The platform end to end, on real processes: a shared assistant imported into the
database, trained by a job through the API, tagged to development and then production,
each environment answering with its own model, an externally trained model uploaded and
tagged, and an environment left without a model once untagged."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.parley_server import parley_process
from tests.support.polling import eventually

import parley
from parley.storage.sql.database import Database

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PARLEY = Path(sys.executable).parent / "parley"
MOOD_GREETING = "Hey! How are you?"
CAFE_GREETINGS = {
    "Hello, welcome to the Corner Café! What can I get you?",
    "Hi there! What would you like to drink today?",
}
JOB_TIMEOUT_S = 300.0
FOLLOW_S = 10.0
"""A tag change reaches serving within a second; ten leave room for a slow machine without
hiding a follower that never follows."""


_senders = itertools.count()


def _say(client: httpx.Client, text: str, environment: str | None = None) -> httpx.Response:
    """``text`` as the first message of a new conversation (``tester-N``)."""
    params = {"environment": environment} if environment else {}
    sender = f"tester-{next(_senders)}"
    return client.post(
        "/webhooks/rest/webhook", params=params, json={"sender": sender, "message": text}
    )


def _greeting(client: httpx.Client, environment: str | None = None) -> str:
    answer = _say(client, "hello", environment)
    assert answer.status_code == 200, answer.text
    text: str = answer.json()[0]["text"]
    return text


def _wait_for_job(client: httpx.Client, job_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] in {"succeeded", "failed", "cancelled"}:
            return job
        time.sleep(0.5)
    pytest.fail(f"job {job_id} did not finish within {JOB_TIMEOUT_S:.0f} s")


def test_import_train_tag_promote_upload_untag(
    shared_dir: Path, project: Path, tmp_path: Path, model_b_file: Path
) -> None:
    home = tmp_path / "home"
    with (
        parley_process(project, home=home) as server,
        httpx.Client(
            base_url=server.base_url,
            headers={"Authorization": f"Bearer {server.token}"},
            timeout=30.0,
            trust_env=False,
        ) as client,
    ):
        assert _greeting(client) in CAFE_GREETINGS
        environ = {
            **os.environ,
            "PARLEY_HOME": str(home),
            "DATABASE_URL": server.database_url,
            "NO_COLOR": "1",
        }
        moodbot = shared_dir / "bench" / "bots" / "moodbot"
        imported = subprocess.run(
            [str(PARLEY), "import", str(moodbot), "--project", "default", "--replace"],
            env=environ,
            capture_output=True,
            text=True,
            check=False,
        )
        assert imported.returncode == 0, imported.stdout + imported.stderr
        files = client.get("/api/projects/default/files").json()["files"]
        assert files["domain.yml"] == (moodbot / "domain.yml").read_text(encoding="utf-8")

        started = client.post("/api/projects/default/train", json={})
        assert started.status_code == 202, started.text
        job = _wait_for_job(client, started.json()["id"])
        assert job["status"] == "succeeded", job
        assert job["progress"] == 1.0
        trained = job["model"]

        assert (
            client.put(f"/api/projects/default/models/{trained}/tags/development").status_code
            == 204
        )
        eventually(
            lambda: _say(client, "hello", "development").status_code == 200,
            "development serving",
            FOLLOW_S,
        )
        assert _greeting(client, "development") == MOOD_GREETING
        assert _greeting(client) in CAFE_GREETINGS

        assert (
            client.put(f"/api/projects/default/models/{trained}/tags/production").status_code == 204
        )
        eventually(
            lambda: _greeting(client) == MOOD_GREETING, "production on the new model", FOLLOW_S
        )
        assert _greeting(client, "development") == MOOD_GREETING

        with model_b_file.open("rb") as file:
            uploaded = client.post(
                "/api/projects/default/models",
                files={"model": ("external.tar.gz", file, "application/gzip")},
            )
        assert uploaded.status_code == 201, uploaded.text
        external = uploaded.json()["model"]
        assert external == "external"
        assert (
            client.put(f"/api/projects/default/models/{external}/tags/development").status_code
            == 204
        )
        eventually(
            lambda: _greeting(client, "development") in CAFE_GREETINGS,
            "development on the upload",
            FOLLOW_S,
        )
        assert _greeting(client) == MOOD_GREETING

        assert (
            client.delete(f"/api/projects/default/models/{external}/tags/development").status_code
            == 204
        )
        eventually(
            lambda: _say(client, "hello", "development").status_code == 409,
            "development without a model",
            FOLLOW_S,
        )
        assert "development" in _say(client, "hello", "development").json()["message"]
        assert _greeting(client) == MOOD_GREETING

        environments = {e["name"]: e for e in client.get("/api/environments").json()}
        assert environments["production"]["model"]["model"] == trained
        assert environments["development"]["model"] is None
        models = {
            m["model"]: m["hash"][:12] for m in client.get("/api/projects/default/models").json()
        }
        database = Database.connect(server.database_url)
        try:
            stored = {
                tuple(row)
                for row in database.fetch(
                    "SELECT c.environment, e.model_id FROM events e JOIN conversations c "
                    "ON c.id = e.conversation_id WHERE e.type = 'user'",
                    {},
                )
            }
        finally:
            database.close()
    # Each environment's conversation names the models that answered it.
    assert ("production", models[trained]) in stored
    assert ("development", models[trained]) in stored
    assert ("development", models[external]) in stored


@pytest.fixture
def model_b_file(trained_project: Path) -> Path:
    """A model trained outside the server: the starter assistant, trained by `parley train`
    into a folder of its own."""
    out = trained_project.parent / "external"
    return parley.train(trained_project, out).path
