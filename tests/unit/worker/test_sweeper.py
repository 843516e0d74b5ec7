"""The sweep: abandoned jobs are failed once, what they stored unregistered is removed,
and queued jobs their queue lost are sent again."""

from __future__ import annotations

import time
from pathlib import Path

from parley.core.job import Job, JobStatus
from parley.models.registry import ModelRegistry
from parley.storage.memory import MemoryJobStore, MemoryModelCatalog, MemoryModelStore
from parley.worker.sweeper import Sweeper, sweep_interval


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def setup() -> tuple[Clock, MemoryJobStore, ModelRegistry]:
    clock = Clock()
    catalog = MemoryModelCatalog()
    return clock, MemoryJobStore(catalog, clock=clock), ModelRegistry(catalog, MemoryModelStore())


def test_a_job_whose_worker_stopped_beating_is_failed_once() -> None:
    clock, jobs, registry = setup()
    job = jobs.create("default", "train", {}, created_by="ann")
    jobs.claim(job.id, "w1")
    sweeper = Sweeper(jobs, registry, stale_after=10, clock=clock)

    clock.now += 5
    assert sweeper.sweep() == []
    clock.now += 10
    swept = sweeper.sweep()

    assert [j.id for j in swept] == [job.id]
    assert jobs.get(job.id).status is JobStatus.FAILED
    assert "w1 stopped answering" in jobs.get(job.id).message
    assert sweeper.sweep() == []


def test_the_artifact_a_swept_job_left_unregistered_is_removed(tmp_path: Path) -> None:
    clock, jobs, registry = setup()
    job = jobs.create("default", "train", {}, created_by="ann")
    jobs.claim(job.id, "w1")
    artifact = tmp_path / "m.tar.gz"
    artifact.write_bytes(b"half a model's worth")
    registry.store.save("default", f"20260101-000000-abc-job{job.id}", artifact)
    clock.now += 60

    Sweeper(jobs, registry, stale_after=10, clock=clock).sweep()

    assert registry.store.names("default") == []


def test_queued_jobs_are_restored_oldest_first_once_they_are_old_enough() -> None:
    clock, jobs, registry = setup()
    old = jobs.create("default", "train", {}, created_by="ann")
    older_still = jobs.create("default", "train", {}, created_by="ann")
    jobs.claim(older_still.id, "w1")
    clock.now += 30
    new = jobs.create("default", "train", {}, created_by="ann")
    restored: list[list[Job]] = []
    sweeper = Sweeper(jobs, registry, stale_after=60, restore=restored.append, clock=clock)

    sweeper.tick()  # nothing is a minute old yet
    clock.now += 31
    sweeper.tick()
    sweeper.restore()  # at a start: every queued job

    assert [[j.id for j in batch] for batch in restored] == [[old.id], [old.id, new.id]]


def test_the_sweep_runs_in_a_thread_until_closed() -> None:
    _, jobs, registry = setup()
    job = jobs.create("default", "train", {}, created_by="ann")
    jobs.claim(job.id, "w1")
    sweeper = Sweeper(jobs, registry, stale_after=0.01, every=0.01, clock=lambda: time.time() + 1e6)

    sweeper.start()
    try:
        deadline = time.monotonic() + 10
        while jobs.get(job.id).status is JobStatus.RUNNING and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        sweeper.close()

    assert jobs.get(job.id).status is JobStatus.FAILED


def test_workers_sweep_every_few_seconds() -> None:
    assert sweep_interval(15) == 5
    assert sweep_interval(3) == 1
