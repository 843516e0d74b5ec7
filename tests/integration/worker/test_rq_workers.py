"""Cluster mode for real: two ``parley worker`` processes on the real Redis and a PostgreSQL
database, five training jobs of the starter project, and one worker killed with ``kill -9``
in the middle of a job. Every job must end, and the registry hold only complete models."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from rq import Queue, Worker
from tests.support.polling import eventually

from parley.bootstrap import load_model
from parley.bootstrap.platform import Platform, platform
from parley.cluster.job_queue import RqJobQueue, queue_name
from parley.core.job import Job, JobStatus
from parley.project.files import project_files
from parley.project.scaffold import create_starter_project
from parley.settings import load_settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PROJECT = "default"
STALE_AFTER_S = 3


class Workers:
    """``parley worker`` processes of the test, each in a process group of its own."""

    def __init__(self, environ: dict[str, str], logs: Path) -> None:
        self.environ = environ
        self.logs = logs
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *options: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "parley", "worker", "--name", name, *options],
            env={**os.environ, **self.environ},
            cwd=self.logs,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.processes[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for process in self.processes.values():
            # Whatever a killed worker left in its process group (nothing, if all is well).
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def environ(tmp_path: Path, postgres_url: str, redis_url: str, redis_scope: str) -> dict[str, str]:
    return {
        "DATABASE_URL": postgres_url,
        "REDIS_URL": redis_url,
        "PARLEY_REDIS_SCOPE": redis_scope,
        "PARLEY_HOME": str(tmp_path / "home"),
        "PARLEY_MODELS_DIR": str(tmp_path / "models"),
        "PARLEY_JOBS__STALE_AFTER": str(STALE_AFTER_S),
    }


@pytest.fixture
def stores(environ: dict[str, str], tmp_path: Path) -> Iterator[Platform]:
    composed = platform(load_settings(environ=environ, cwd=tmp_path))
    folder = tmp_path / "starter"
    create_starter_project(folder)
    composed.projects.create(PROJECT)
    composed.projects.replace(PROJECT, project_files(folder))
    yield composed
    composed.database.close()


@pytest.fixture
def workers(environ: dict[str, str], tmp_path: Path) -> Iterator[Workers]:
    started = Workers(environ, tmp_path)
    yield started
    started.stop_all()


def test_a_worker_killed_mid_job_leaves_every_job_final_and_only_complete_models(
    environ: dict[str, str], stores: Platform, workers: Workers, redis_url: str
) -> None:
    scope = environ["PARLEY_REDIS_SCOPE"]
    connection = redis.Redis.from_url(redis_url)
    rq_queue = Queue(queue_name(scope), connection=connection)
    doomed = workers.start("worker-a")
    workers.start("worker-b")
    eventually(lambda: len(Worker.all(queue=rq_queue)) == 2, "both workers", 60)

    queue = RqJobQueue(redis_url, scope)
    queued: list[Job] = []
    for _ in range(5):
        job = stores.jobs.create(PROJECT, "train", {"nlu_only": False}, created_by="ann")
        queue.submit(job)
        queued.append(job)

    def running_on_a() -> Job | None:
        return next(
            (
                job
                for job in stores.jobs.list(project=PROJECT, statuses=[JobStatus.RUNNING])
                if job.worker == "worker-a"
            ),
            None,
        )

    eventually(running_on_a, "a job running on worker-a", 60)
    killed = running_on_a()
    assert killed is not None
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait()

    def every_job_final() -> bool:
        return all(stores.jobs.get(job.id).status.final for job in queued)

    eventually(every_job_final, "every job to end", 120)

    ended = {job.id: stores.jobs.get(job.id) for job in queued}
    lost = ended[killed.id]
    assert lost.status is JobStatus.FAILED, workers.log("worker-a")
    assert lost.message == (
        f"its worker worker-a stopped answering (no heartbeat for {STALE_AFTER_S:g} s)"
    )
    others = [job for job in ended.values() if job.id != killed.id]
    assert all(job.status is JobStatus.SUCCEEDED for job in others), [
        (job.id, job.status.value, job.message) for job in others
    ]
    assert {job.worker for job in others} <= {"worker-a", "worker-b"}

    models = stores.registry.list(PROJECT)
    assert sorted(model.name for model in models) == sorted(str(job.model) for job in others)
    for model in models:
        loaded = load_model(stores.registry.path(PROJECT, model.name))
        assert loaded.manifest.fingerprint == model.fingerprint
    # No artifact without its row: the killed job's, if it got that far, was removed.
    assert sorted(stores.registry.store.names(PROJECT)) == sorted(m.name for m in models)
    assert not any(
        name.endswith(f"-job{killed.id}") for name in stores.registry.store.names(PROJECT)
    )
    assert not list((Path(environ["PARLEY_MODELS_DIR"]) / PROJECT).glob(".*"))


def wait_for_worker(redis_url: str, scope: str, count: int = 1) -> None:
    rq_queue = Queue(queue_name(scope), connection=redis.Redis.from_url(redis_url))
    eventually(lambda: len(Worker.all(queue=rq_queue)) == count, f"{count} worker(s)", 60)


def train(stores: Platform, queue: RqJobQueue, *, nlu_only: bool = True) -> Job:
    job = stores.jobs.create(PROJECT, "train", {"nlu_only": nlu_only}, created_by="ann")
    queue.submit(job)
    return job


def test_a_stopped_worker_finishes_its_job_first(
    environ: dict[str, str], stores: Platform, workers: Workers, redis_url: str
) -> None:
    scope = environ["PARLEY_REDIS_SCOPE"]
    worker = workers.start("worker-warm")
    wait_for_worker(redis_url, scope)
    job = train(stores, RqJobQueue(redis_url, scope))
    eventually(lambda: stores.jobs.get(job.id).status is JobStatus.RUNNING, "the job to run", 60)

    worker.send_signal(signal.SIGTERM)

    assert worker.wait(timeout=120) == 0
    ended = stores.jobs.get(job.id)
    assert ended.status is JobStatus.SUCCEEDED, ended.message
    assert [model.name for model in stores.registry.list(PROJECT)] == [ended.model]


def test_a_worker_stopped_twice_fails_its_job_at_once(
    environ: dict[str, str], stores: Platform, workers: Workers, redis_url: str
) -> None:
    scope = environ["PARLEY_REDIS_SCOPE"]
    worker = workers.start("worker-cold")
    wait_for_worker(redis_url, scope)
    # A whole training (seconds): the job still runs when the second signal comes.
    job = train(stores, RqJobQueue(redis_url, scope), nlu_only=False)
    eventually(lambda: stores.jobs.get(job.id).status is JobStatus.RUNNING, "the job to run", 60)

    worker.send_signal(signal.SIGTERM)
    time.sleep(1.1)  # RQ takes a second signal within a second for the same one
    worker.send_signal(signal.SIGTERM)

    worker.wait(timeout=60)
    ended = stores.jobs.get(job.id)
    assert ended.status is JobStatus.FAILED, workers.log("worker-cold")
    assert ended.message == "its worker worker-cold stopped while it ran; train again"
    assert stores.registry.list(PROJECT) == []
    assert stores.registry.store.names(PROJECT) == []


def test_jobs_that_redis_lost_are_run_by_the_next_worker(
    environ: dict[str, str], stores: Platform, workers: Workers, redis_url: str
) -> None:
    scope = environ["PARLEY_REDIS_SCOPE"]
    queue = RqJobQueue(redis_url, scope)
    queued = [train(stores, queue), train(stores, queue)]
    # What a Redis restarted without its data has: nothing.
    queue.connection.delete(queue.queue.key)
    assert queue.waiting() == set()

    worker = workers.start("worker-burst", "--burst")

    assert worker.wait(timeout=120) == 0, workers.log("worker-burst")
    ended = [stores.jobs.get(job.id) for job in queued]
    assert [job.status for job in ended] == [JobStatus.SUCCEEDED] * 2, workers.log("worker-burst")
    assert {job.worker for job in ended} == {"worker-burst"}
