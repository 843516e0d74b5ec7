"""Composing the training jobs from the settings: the queue (a thread of the server, or
Redis when ``redis.url`` is set), the training process of a job, and ``parley worker``."""

from __future__ import annotations

import multiprocessing
import os
import socket
from functools import partial
from multiprocessing.process import BaseProcess
from typing import Protocol

from parley.bootstrap import train
from parley.bootstrap.platform import Platform, platform
from parley.cluster.job_queue import RqJobQueue
from parley.core.ports import JobQueue
from parley.errors import ConfigurationError
from parley.settings import Settings
from parley.storage.sql.database import Database
from parley.worker.embedded import EmbeddedQueue
from parley.worker.rq_worker import work
from parley.worker.supervisor import JobRunner, StartProcess
from parley.worker.training_job import become_training_process, run_training


class ManagedJobQueue(JobQueue, Protocol):
    """A job queue its owner starts (before the first job) and closes."""

    def start(self) -> None: ...

    def close(self) -> None: ...


def default_worker_name() -> str:
    """``HOST-PID``: unique among the workers of an installation, and says where to look."""
    return f"{socket.gethostname()}-{os.getpid()}"


def job_runner(settings: Settings, stores: Platform, *, worker: str | None = None) -> JobRunner:
    return JobRunner(
        jobs=stores.jobs,
        registry=stores.registry,
        worker=worker or default_worker_name(),
        start=start_child(settings),
        stale_after=settings.jobs.stale_after,
        timeout_s=settings.jobs.timeout,
    )


def job_queue(settings: Settings, stores: Platform) -> ManagedJobQueue:
    """The queue training jobs are submitted to: Redis (``redis.url``), whose jobs
    ``parley worker`` processes run; else a thread of this process, which runs them."""
    if settings.redis.url is not None:
        return RqJobQueue(
            str(settings.redis.url), settings.redis.scope, timeout_s=settings.jobs.timeout
        )
    return EmbeddedQueue(job_runner(settings, stores))


def start_child(settings: Settings) -> StartProcess:
    """How a worker starts the training process of a job: a new Python process (spawned,
    not forked, so it shares no thread, lock or connection with the worker).

    Spawning imports the main module again in the new process, as multiprocessing does: a
    script of its own that composes a server must keep its work under
    ``if __name__ == "__main__":`` (``parley`` and ASGI servers do)."""
    context = multiprocessing.get_context("spawn")

    def start(job_id: int) -> BaseProcess:
        process = context.Process(
            target=run_child,
            args=(job_id, settings, os.getpid()),
            name=f"parley-job-{job_id}",
        )
        process.start()
        return process

    return start


def run_child(job_id: int, settings: Settings, parent: int) -> None:
    """The training process of job ``job_id`` (started by :func:`start_child` in the
    process ``parent``): it opens the stores of ``settings`` and trains."""
    become_training_process(parent)
    # The worker migrated the database already.
    database = Database.connect(str(settings.database.url), pool_size=2)
    try:
        stores = platform(settings, database)
        run_training(
            stores.jobs.get(job_id),
            projects=stores.projects,
            registry=stores.registry,
            jobs=stores.jobs,
            train=partial(train, settings=settings),
        )
    finally:
        database.close()


def run_worker(settings: Settings, *, name: str | None = None, burst: bool = False) -> bool:
    """``parley worker``: run training jobs from Redis until stopped (or, with ``burst``,
    until the queue is empty); whether any job ran."""
    if settings.redis.url is None:
        raise ConfigurationError(
            "`parley worker` takes its jobs from Redis: set redis.url (REDIS_URL) to the "
            "Redis the server uses; without Redis the server runs training itself"
        )
    queue = RqJobQueue(
        str(settings.redis.url), settings.redis.scope, timeout_s=settings.jobs.timeout
    )
    try:
        queue.start()
        stores = platform(settings)
        try:
            return work(queue, job_runner(settings, stores, worker=name), burst=burst)
        finally:
            stores.database.close()
    finally:
        queue.close()
