"""The training queue in Redis, for ``parley worker`` processes: an RQ queue named
``<scope>:training`` carrying job ids to :func:`parley.worker.rq_task.perform`.

RQ delivers; the job rows decide. A job id sent twice runs once (the worker claims the row
first), so sending again is always safe: :meth:`RqJobQueue.restore` sends the queued jobs
Redis lost, since this Redis keeps nothing on disk. RQ's own results, retries and failure
registry are not relied upon. ``docs/training.md`` says why RQ.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable

import redis
from rq import Queue

from parley.core.job import Job
from parley.errors import StorageError
from parley.settings.urls import redact_url

logger = logging.getLogger(__name__)

PERFORM = "parley.worker.rq_task.perform"
"""The function RQ's worker calls with the job's id (RQ imports it by name)."""

RESULT_TTL_S = 600
FAILURE_TTL_S = 7 * 24 * 3600
_RQ_ID = re.compile(r"^parley-job-(\d+)-[0-9a-f]+$")


def queue_name(scope: str) -> str:
    return f"{scope}:training"


class RqJobQueue:
    """The :class:`~parley.core.ports.JobQueue` of a Parley with Redis. Nothing is sent at
    construction; :meth:`start` checks that Redis answers."""

    def __init__(self, redis_url: str, scope: str, *, timeout_s: float = 6 * 3600.0) -> None:
        self.url = redact_url(redis_url)
        self.scope = scope
        self.timeout_s = timeout_s
        try:
            self.connection = redis.Redis.from_url(
                redis_url, socket_connect_timeout=5, socket_timeout=30, health_check_interval=30
            )
        except ValueError as error:
            raise StorageError(
                f"cannot use the Redis URL {self.url}: {error}; write REDIS_URL as "
                "redis://HOST:PORT/DB"
            ) from None
        self.queue = Queue(queue_name(scope), connection=self.connection)

    def start(self) -> None:
        """Check that Redis answers: a set Redis that does not is an error, never a reason
        to run the jobs elsewhere."""
        try:
            self.connection.ping()
        except redis.RedisError as error:
            raise StorageError(
                f"Redis at {self.url} does not answer ({error}); start it, or fix REDIS_URL "
                "(unset it to run training in the server process, without workers)"
            ) from None

    def close(self) -> None:
        self.connection.close()

    def submit(self, job: Job) -> None:
        try:
            self.queue.enqueue_call(
                PERFORM,
                args=(job.id,),
                job_id=f"parley-job-{job.id}-{uuid.uuid4().hex}",
                description=f"train project {job.project} (job {job.id})",
                # A backstop: the job's supervisor stops it at timeout_s itself.
                timeout=int(self.timeout_s) + 120,
                result_ttl=RESULT_TTL_S,
                failure_ttl=FAILURE_TTL_S,
            )
        except redis.RedisError as error:
            raise StorageError(
                f"job {job.id} is saved, but Redis at {self.url} did not take it ({error}); "
                "it runs once Redis answers again and a `parley worker` starts"
            ) from None

    def waiting(self) -> set[int]:
        """The ids of the jobs waiting in Redis."""
        try:
            ids = self.queue.get_job_ids()
        except redis.RedisError as error:
            raise StorageError(f"Redis at {self.url} does not answer ({error})") from None
        return {int(match.group(1)) for rq_id in ids if (match := _RQ_ID.match(rq_id))}

    def restore(self, jobs: Iterable[Job]) -> list[Job]:
        """Send those of ``jobs`` (queued rows) that Redis does not hold; returns them."""
        waiting = self.waiting()
        lost = [job for job in jobs if job.id not in waiting]
        for job in lost:
            self.submit(job)
        if lost:
            logger.info(
                "queued again %d job(s) that Redis did not hold: %s",
                len(lost),
                ", ".join(str(job.id) for job in lost),
            )
        return lost
