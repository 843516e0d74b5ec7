"""Cluster mode end to end: ``parley serve`` on PostgreSQL and Redis hands training to a
separate ``parley worker`` process; ``parley train --remote`` starts the job and follows
it, and the trained model serves once tagged."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.support.parley_server import parley_process
from tests.support.polling import eventually

from parley.project.files import project_files
from parley.project.scaffold import create_starter_project

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PARLEY = Path(sys.executable).parent / "parley"
GREETINGS = {
    "Hello, welcome to the Corner Café! What can I get you?",
    "Hi there! What would you like to drink today?",
}


@contextlib.contextmanager
def _worker(environ: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(PARLEY), "worker", "--name", "e2e-worker"],
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_the_server_queues_training_on_redis_and_a_worker_trains(
    tmp_path: Path, postgres_url: str, redis_url: str, redis_scope: str
) -> None:
    environ = {
        "DATABASE_URL": postgres_url,
        "REDIS_URL": redis_url,
        "PARLEY_REDIS_SCOPE": redis_scope,
    }
    home = tmp_path / "home"
    with parley_process(
        None, home=home, env=environ, command=("serve",), ready="/health"
    ) as server:
        full = {**os.environ, **environ, "PARLEY_HOME": str(home), "NO_COLOR": "1"}
        full["PARLEY_AUTH_TOKEN"] = server.token
        bot = tmp_path / "cafe"
        create_starter_project(bot)
        headers = {"Authorization": f"Bearer {server.token}"}
        stored = httpx.put(
            f"{server.base_url}/api/projects/default/files",
            json={"files": project_files(bot)},
            headers=headers,
            trust_env=False,
        )
        assert stored.status_code == 200, stored.text
        with _worker(full, tmp_path / "worker.log"):
            trained = subprocess.run(
                [str(PARLEY), "train", "--remote", server.base_url],
                env=full,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
        assert trained.returncode == 0, trained.stdout + trained.stderr
        jobs = httpx.get(f"{server.base_url}/api/jobs", headers=headers, trust_env=False).json()
        assert [job["status"] for job in jobs] == ["succeeded"]
        assert jobs[0]["worker"] == "e2e-worker"
        model = jobs[0]["model"]
        assert model in trained.stdout
        tagged = httpx.put(
            f"{server.base_url}/api/projects/default/models/{model}/tags/production",
            headers=headers,
            trust_env=False,
        )
        assert tagged.status_code == 204

        def greeting() -> str | None:
            answer = httpx.post(
                f"{server.base_url}/webhooks/rest/webhook",
                json={"sender": "visitor", "message": "hello"},
                trust_env=False,
            )
            return answer.json()[0]["text"] if answer.status_code == 200 else None

        # A tag changed through the API is followed at once; 10 s leave a slow machine room.
        eventually(
            lambda: greeting() in GREETINGS, "production answering with the trained model", 10.0
        )
