"""The supervisor of a job, with the in-memory job store and real (spawned) processes that
stand in for training: claiming, beating, cancelling, and every way a process can end."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

import pytest
from tests.support.fake_training import (
    Starter,
    ignore_sigterm_and_sleep,
    kill_self,
    sleep_then_exit,
)

from parley.core.job import Job, JobStatus
from parley.core.model_record import ModelRecord
from parley.models.registry import ModelRegistry
from parley.storage.memory import MemoryJobStore, MemoryModelCatalog, MemoryModelStore
from parley.worker.supervisor import JobRunner, exit_reason, supervise

WORKER = "worker-a"


class Stores:
    def __init__(self) -> None:
        self.catalog = MemoryModelCatalog()
        self.jobs = MemoryJobStore(self.catalog)
        self.registry = ModelRegistry(self.catalog, MemoryModelStore())

    def new_job(self) -> Job:
        return self.jobs.create("default", "train", {"nlu_only": False}, created_by="ann")

    def run(self, job: Job, start: Starter, **options: object) -> Job:
        options.setdefault("heartbeat_s", 0.05)
        return supervise(
            job.id,
            jobs=self.jobs,
            worker=WORKER,
            start=start,
            registry=self.registry,
            **options,  # type: ignore[arg-type]
        )


@pytest.fixture
def stores() -> Stores:
    return Stores()


def record(job: Job, name: str) -> ModelRecord:
    return ModelRecord(
        project=job.project,
        name=name,
        fingerprint="f" * 32,
        created=1.0,
        registered=2.0,
        trained_by=f"job {job.id}",
        kind="full",
        parley_version="0",
        size=3,
    )


def when_running(jobs: MemoryJobStore, job: Job, action: Callable[[], object]) -> threading.Thread:
    """Do ``action`` in a thread as soon as ``job`` runs."""

    def wait_then_act() -> None:
        deadline = time.monotonic() + 30
        while jobs.get(job.id).status is not JobStatus.RUNNING:
            if time.monotonic() > deadline:
                return
            time.sleep(0.01)
        action()

    thread = threading.Thread(target=wait_then_act, daemon=True)
    thread.start()
    return thread


def test_a_process_that_finishes_the_job_leaves_it_succeeded(stores: Stores) -> None:
    job = stores.new_job()
    model = record(job, "m-job1")
    when_running(stores.jobs, job, lambda: stores.jobs.succeed(job.id, model))

    ended = stores.run(job, Starter(sleep_then_exit, 0.5, 0))

    assert ended.status is JobStatus.SUCCEEDED
    assert ended.worker == WORKER
    assert ended.model == "m-job1"
    assert stores.catalog.get("default", "m-job1").name == "m-job1"


def test_a_job_is_run_once_however_often_it_is_delivered(stores: Stores) -> None:
    job = stores.new_job()
    start = Starter(sleep_then_exit, 0.3, 0)

    threads = [threading.Thread(target=stores.run, args=(job, start)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    again = stores.run(job, start)

    assert start.job_ids == [job.id]
    assert again.status.final


def test_a_cancelled_job_is_not_started(stores: Stores) -> None:
    job = stores.new_job()
    stores.jobs.cancel(job.id)
    start = Starter(sleep_then_exit, 0, 0)

    ended = stores.run(job, start)

    assert ended.status is JobStatus.CANCELLED
    assert start.processes == []


def test_cancelling_a_running_job_stops_its_process(stores: Stores) -> None:
    job = stores.new_job()
    start = Starter(sleep_then_exit, 60, 0)
    when_running(stores.jobs, job, lambda: stores.jobs.cancel(job.id))

    ended = stores.run(job, start)

    assert ended.status is JobStatus.CANCELLED
    assert ended.message == "cancelled on request"
    assert not start.processes[0].is_alive()


def test_a_process_deaf_to_sigterm_is_killed_after_the_grace_period(
    stores: Stores, tmp_path: Path
) -> None:
    job = stores.new_job()
    ready = tmp_path / "ready"
    start = Starter(ignore_sigterm_and_sleep, str(ready), 60)

    def cancel_once_deaf() -> None:
        while not ready.exists():
            time.sleep(0.01)
        stores.jobs.cancel(job.id)

    when_running(stores.jobs, job, cancel_once_deaf)

    ended = stores.run(job, start, grace_s=0.5)

    assert ended.status is JobStatus.CANCELLED
    assert start.processes[0].exitcode == -signal.SIGKILL


def test_a_process_that_exits_with_an_error_fails_the_job_saying_so(stores: Stores) -> None:
    job = stores.new_job()

    ended = stores.run(job, Starter(sleep_then_exit, 0, 3))

    assert ended.status is JobStatus.FAILED
    assert ended.message == exit_reason(3)
    assert "exited with code 3" in ended.message


def test_a_killed_process_fails_the_job_naming_the_signal(stores: Stores) -> None:
    job = stores.new_job()

    ended = stores.run(job, Starter(kill_self, signal.SIGKILL))

    assert ended.status is JobStatus.FAILED
    assert "killed by SIGKILL" in ended.message


def test_a_process_that_ends_without_finishing_fails_the_job(stores: Stores) -> None:
    job = stores.new_job()

    ended = stores.run(job, Starter(sleep_then_exit, 0, 0))

    assert ended.status is JobStatus.FAILED
    assert ended.message == "its training process ended without finishing the job"


def test_a_job_running_too_long_is_stopped_and_failed(stores: Stores) -> None:
    job = stores.new_job()
    start = Starter(sleep_then_exit, 60, 0)

    ended = stores.run(job, start, timeout_s=0.5)

    assert ended.status is JobStatus.FAILED
    assert "ran longer than 0.5 s (jobs.timeout)" in ended.message
    assert not start.processes[0].is_alive()


def test_stopping_the_worker_fails_the_running_job(stores: Stores) -> None:
    job = stores.new_job()
    start = Starter(sleep_then_exit, 60, 0)
    stop = threading.Event()
    when_running(stores.jobs, job, stop.set)

    ended = stores.run(job, start, stop=stop)

    assert ended.status is JobStatus.FAILED
    assert ended.message == f"its worker {WORKER} stopped while it ran; train again"
    assert not start.processes[0].is_alive()


def test_a_job_failed_by_a_sweep_stops_its_process(stores: Stores) -> None:
    job = stores.new_job()
    start = Starter(sleep_then_exit, 60, 0)
    when_running(stores.jobs, job, lambda: stores.jobs.sweep(0, now=time.time() + 60))

    ended = stores.run(job, start)

    assert ended.status is JobStatus.FAILED
    assert "stopped answering" in ended.message
    assert not start.processes[0].is_alive()


def test_the_supervisor_beats_for_the_job(stores: Stores) -> None:
    job = stores.new_job()
    beats: list[float | None] = []

    def watch() -> None:
        for _ in range(20):
            beats.append(stores.jobs.get(job.id).heartbeat)
            time.sleep(0.05)

    when_running(stores.jobs, job, watch)
    stores.run(job, Starter(sleep_then_exit, 1.5, 0))

    assert len({beat for beat in beats if beat is not None}) > 1


@pytest.fixture
def raise_in_main_thread() -> Iterator[Callable[[float], None]]:
    """Raise an exception in the main thread after some seconds, as RQ's job time limit
    or a worker's cold shutdown does."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit("stopped")

    previous = signal.signal(signal.SIGALRM, handler)

    def arm(seconds: float) -> None:
        signal.setitimer(signal.ITIMER_REAL, seconds)

    yield arm
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def test_an_exception_in_the_worker_fails_the_job_and_stops_its_process(
    stores: Stores, raise_in_main_thread: Callable[[float], None]
) -> None:
    job = stores.new_job()
    start = Starter(sleep_then_exit, 60, 0)
    raise_in_main_thread(1.0)

    with pytest.raises(SystemExit):
        stores.run(job, start)

    ended = stores.jobs.get(job.id)
    assert ended.status is JobStatus.FAILED
    assert "stopped while it ran" in ended.message
    assert not start.processes[0].is_alive()


def test_a_process_that_cannot_start_fails_the_job(stores: Stores) -> None:
    job = stores.new_job()

    def start(job_id: int) -> object:
        raise OSError("no more processes")

    ended = stores.run(job, start)  # type: ignore[arg-type]

    assert ended.status is JobStatus.FAILED
    assert "could not start on worker-a: no more processes" in ended.message


def test_what_a_stopped_job_stored_without_registering_is_removed(
    stores: Stores, tmp_path: Path
) -> None:
    job = stores.new_job()
    other = stores.new_job()
    artifact = tmp_path / "model.tar.gz"
    artifact.write_bytes(b"model")
    # What a process killed between storing its artifact and succeeding leaves behind…
    stores.registry.store.save("default", f"20260101-000000-abc-job{job.id}", artifact)
    # …and what must stay: another job's model, registered, and an artifact of job 11.
    stores.registry.store.save("default", f"20260101-000000-abc-job{other.id}", artifact)
    stores.catalog.add(record(other, f"20260101-000000-abc-job{other.id}"))
    stores.registry.store.save("default", f"20260101-000000-abc-job{job.id}1", artifact)

    stores.run(job, Starter(kill_self, signal.SIGKILL))

    assert stores.registry.store.names("default") == [
        f"20260101-000000-abc-job{job.id}1",
        f"20260101-000000-abc-job{other.id}",
    ]


def test_a_runner_supervises_with_its_settings(stores: Stores) -> None:
    job = stores.new_job()
    start = Starter(sleep_then_exit, 60, 0)
    runner = JobRunner(
        jobs=stores.jobs,
        registry=stores.registry,
        worker="w",
        start=start,
        stale_after=1.0,
        timeout_s=0.5,
    )

    ended = runner.run(job.id)

    assert ended.worker == "w"
    assert "ran longer than 0.5 s" in ended.message


@pytest.mark.parametrize(
    ("exitcode", "reason"),
    [
        (-9, "its training process was killed by SIGKILL (the system may have run out of memory)"),
        (-15, "its training process was killed by SIGTERM"),
        (2, "its training process exited with code 2; the worker's log says why"),
        (0, "its training process ended without finishing the job"),
        (None, "its training process was lost"),
    ],
)
def test_exit_reasons(exitcode: int | None, reason: str) -> None:
    assert exit_reason(exitcode) == reason
