"""The queue of a server without Redis: one job at a time, in order, in processes of their
own; a restart runs the jobs still queued and fails those a dead run left running."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator

import pytest
from tests.support.fake_training import Starter, sleep_then_exit
from tests.support.polling import eventually

from parley.core.job import Job, JobStatus
from parley.models.registry import ModelRegistry
from parley.storage.memory import MemoryJobStore, MemoryModelCatalog, MemoryModelStore
from parley.worker.embedded import EmbeddedQueue
from parley.worker.supervisor import JobRunner


class Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def jobs(clock: Clock) -> MemoryJobStore:
    return MemoryJobStore(MemoryModelCatalog(), clock=clock)


def make_queue(jobs: MemoryJobStore, start: Starter) -> EmbeddedQueue:
    registry = ModelRegistry(MemoryModelCatalog(), MemoryModelStore())
    runner = JobRunner(jobs=jobs, registry=registry, worker="server", start=start, stale_after=2)
    return EmbeddedQueue(runner)


@pytest.fixture
def queues() -> Iterator[list[EmbeddedQueue]]:
    made: list[EmbeddedQueue] = []
    yield made
    for queue in made:
        queue.close()


def new_job(jobs: MemoryJobStore) -> Job:
    return jobs.create("default", "train", {}, created_by="ann")


def test_submitted_jobs_run_one_at_a_time_in_order(
    jobs: MemoryJobStore, queues: list[EmbeddedQueue]
) -> None:
    start = Starter(sleep_then_exit, 0.2, 0)
    queue = make_queue(jobs, start)
    queues.append(queue)
    queue.start()
    first, second, third = new_job(jobs), new_job(jobs), new_job(jobs)

    for job in (first, second, third):
        queue.submit(job)
    eventually(
        lambda: all(jobs.get(j.id).status.final for j in (first, second, third)),
        "the three jobs to end",
        30,
    )

    assert start.job_ids == [first.id, second.id, third.id]
    ended = [jobs.get(j.id) for j in (first, second, third)]
    for earlier, later in itertools.pairwise(ended):
        assert earlier.finished is not None
        assert later.started is not None
        assert earlier.finished <= later.started


def test_submitting_returns_before_the_job_runs(
    jobs: MemoryJobStore, queues: list[EmbeddedQueue]
) -> None:
    queue = make_queue(jobs, Starter(sleep_then_exit, 5, 0))
    queues.append(queue)
    queue.start()
    job = new_job(jobs)

    queue.submit(job)

    assert jobs.get(job.id).status is JobStatus.QUEUED


def test_a_start_runs_the_jobs_left_queued(
    jobs: MemoryJobStore, queues: list[EmbeddedQueue]
) -> None:
    left = [new_job(jobs), new_job(jobs)]  # queued before a restart: nobody submits them again
    start = Starter(sleep_then_exit, 0, 0)
    queue = make_queue(jobs, start)
    queues.append(queue)

    queue.start()
    eventually(lambda: all(jobs.get(j.id).status.final for j in left), "the jobs left to end", 30)

    assert start.job_ids == [j.id for j in left]


def test_a_start_fails_the_jobs_a_dead_run_left_running(
    jobs: MemoryJobStore, clock: Clock, queues: list[EmbeddedQueue]
) -> None:
    clock.offset = -60
    orphan = new_job(jobs)
    jobs.claim(orphan.id, "the-server-before")
    clock.offset = 0
    queue = make_queue(jobs, Starter(sleep_then_exit, 0, 0))
    queues.append(queue)

    queue.start()

    ended = jobs.get(orphan.id)
    assert ended.status is JobStatus.FAILED
    assert ended.message == "its worker the-server-before stopped answering (no heartbeat for 2 s)"


def test_closing_fails_the_running_job_and_keeps_the_queued_ones(
    jobs: MemoryJobStore, queues: list[EmbeddedQueue]
) -> None:
    start = Starter(sleep_then_exit, 60, 0)
    queue = make_queue(jobs, start)
    queue.start()
    running, waiting = new_job(jobs), new_job(jobs)
    queue.submit(running)
    queue.submit(waiting)
    eventually(lambda: jobs.get(running.id).status is JobStatus.RUNNING, "the first job to run", 30)

    queue.close()

    assert jobs.get(running.id).status is JobStatus.FAILED
    assert "stopped while it ran" in jobs.get(running.id).message
    assert not start.processes[0].is_alive()
    assert jobs.get(waiting.id).status is JobStatus.QUEUED

    restarted = make_queue(jobs, Starter(sleep_then_exit, 0, 0))
    queues.append(restarted)
    restarted.start()
    eventually(lambda: jobs.get(waiting.id).status.final, "the waiting job to end", 30)
