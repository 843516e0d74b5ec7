"""Training jobs end to end without Redis: the starter project, stored in a real database,
trained by the server's queue in a process of its own, registered in the model folder."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from parley.bootstrap import load_model
from parley.bootstrap.jobs import ManagedJobQueue, job_queue
from parley.bootstrap.platform import Platform, platform
from parley.core.job import Job, JobStatus
from parley.project.files import project_files
from parley.project.scaffold import create_starter_project
from parley.settings import Settings, load_settings
from parley.worker.embedded import EmbeddedQueue

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PROJECT = "default"


def settings_for(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(
        environ={
            "PARLEY_HOME": str(tmp_path / "home"),
            "DATABASE_URL": database_url,
            "PARLEY_JOBS__STALE_AFTER": "3",
        },
        cwd=tmp_path,
    )


def import_starter_project(stores: Platform, tmp_path: Path) -> None:
    folder = tmp_path / "starter"
    create_starter_project(folder)
    stores.projects.create(PROJECT)
    stores.projects.replace(PROJECT, project_files(folder))


class Installation:
    """The stores and the queue of one server process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stores = platform(settings)
        self.queue: ManagedJobQueue = job_queue(settings, self.stores)

    def close(self) -> None:
        self.queue.close()
        self.stores.database.close()

    def train(self) -> Job:
        job = self.stores.jobs.create(PROJECT, "train", {"nlu_only": False}, created_by="ann")
        self.queue.submit(job)
        return job

    def wait(self, job: Job, condition: Callable[[Job], bool], seconds: float = 120) -> Job:
        deadline = time.monotonic() + seconds
        while True:
            current = self.stores.jobs.get(job.id)
            if condition(current):
                return current
            assert time.monotonic() < deadline, f"job {job.id} is still {current.status.value}"
            time.sleep(0.05)


@pytest.fixture
def installations() -> Iterator[list[Installation]]:
    made: list[Installation] = []
    yield made
    for installation in made:
        installation.close()


def start(settings: Settings, installations: list[Installation]) -> Installation:
    installation = Installation(settings)
    installations.append(installation)
    installation.queue.start()
    return installation


def final(job: Job) -> bool:
    return job.status.final


def test_a_job_trains_the_stored_project_and_registers_a_loadable_model(
    tmp_path: Path, database_url: str, installations: list[Installation]
) -> None:
    server = start(settings_for(tmp_path, database_url), installations)
    assert isinstance(server.queue, EmbeddedQueue)
    import_starter_project(server.stores, tmp_path)

    queued = server.train()
    ended = server.wait(queued, final)

    assert ended.status is JobStatus.SUCCEEDED, ended.message + "\n" + ended.log
    assert ended.progress == 1.0
    assert ended.started is not None
    assert ended.finished is not None
    assert ended.worker is not None
    assert "training the dialogue policies" in ended.log
    [model] = server.stores.registry.list(PROJECT)
    assert model.name == ended.model
    assert model.name.endswith(f"-job{ended.id}")
    assert model.trained_by == f"job {ended.id}"
    assert model.kind == "full"
    loaded = load_model(server.stores.registry.path(PROJECT, model.name))
    assert loaded.manifest.fingerprint == model.fingerprint
    assert server.stores.registry.store.names(PROJECT) == [model.name]


def test_cancelling_a_running_job_keeps_no_model(
    tmp_path: Path, sqlite_url: str, installations: list[Installation]
) -> None:
    server = start(settings_for(tmp_path, sqlite_url), installations)
    import_starter_project(server.stores, tmp_path)

    queued = server.train()
    server.wait(queued, lambda job: job.status is JobStatus.RUNNING)
    server.stores.jobs.cancel(queued.id)
    ended = server.wait(queued, final)

    assert ended.status is JobStatus.CANCELLED
    assert ended.message == "cancelled on request"
    assert server.stores.registry.list(PROJECT) == []
    assert server.stores.registry.store.names(PROJECT) == []


def test_a_restarted_server_runs_the_jobs_queued_before(
    tmp_path: Path, sqlite_url: str, installations: list[Installation]
) -> None:
    settings = settings_for(tmp_path, sqlite_url)
    before = Installation(settings)  # never started: it stops with its job still queued
    import_starter_project(before.stores, tmp_path)
    queued = before.train()
    before.close()

    after = start(settings, installations)
    ended = after.wait(queued, final)

    assert ended.status is JobStatus.SUCCEEDED, ended.message
    assert [model.name for model in after.stores.registry.list(PROJECT)] == [ended.model]
